package dev.baton.agent.backup;

import dev.baton.config.RestoreConfig;
import java.util.List;

/**
 * The backup repository of this node's cluster (pgBackRest, stanza = scope): the port the HA loop,
 * the REST API and the metrics use. The implementation ({@link PgBackRest}) runs the
 * {@code pgbackrest} program against the local data directory; tests use a fake. Every method is
 * blocking, bounded only by the size of the work, and throws {@link BackupException} with
 * pgBackRest's own words on failure. Never called on the HA loop thread.
 */
public interface BackupRepository {

    /**
     * Creates the stanza of this cluster's scope if needed (idempotent: "already exists and is
     * valid" is success). Needs the local postgres running (pgBackRest reads its system identifier).
     */
    void ensureStanza();

    /**
     * Takes a backup of the local, running server now (the primary) and returns it as listed
     * afterwards. pgBackRest refuses a second backup of the stanza while one runs.
     */
    BackupInfo backup(BackupType type, BackupProgress progress);

    /**
     * Takes a backup on this node, a streaming standby, now (pgBackRest's {@code backup-standby}):
     * the files are copied here, while the backup is started and stopped on {@code primary} through
     * its pgBackRest TLS server. Returns the backup as listed afterwards.
     */
    default BackupInfo backupFromStandby(BackupType type, PgBackRestPeer primary, BackupProgress progress) {
        throw new BackupException(dev.baton.config.BackupConfig.FROM_REPLICA_NEEDS_SERVER);
    }

    /** The backups of this cluster's stanza, oldest first; empty when there are none (or no stanza). */
    List<BackupInfo> list();

    /** The backups of another scope's stanza in the same repository (for a restore from it). */
    List<BackupInfo> list(String scope);

    /**
     * Restores the latest backup of this cluster's stanza into the empty data directory as a
     * standby ({@code --type=standby}): afterwards {@code configure(replica)} and a start make it
     * stream. Throws when the directory is not empty; empties it again when the restore fails.
     */
    void restoreReplica(BackupProgress progress);

    /**
     * Restores {@code restore.fromScope()}'s (or this scope's) latest backup that precedes the
     * target into the empty data directory, set to recover to the target and then promote
     * ({@code --target-action=promote}). Empties the directory again when the restore fails.
     */
    void restoreCluster(RestoreConfig restore, BackupProgress progress);

    /**
     * After a restored server finished recovery: removes the recovery settings pgBackRest wrote
     * into postgresql.auto.conf ({@code restore_command}, {@code recovery_target*}), which would act
     * if the node later became a standby. Baton's own restore_command lives in postgresql.conf.
     */
    void clearRestoreSettings();
}
