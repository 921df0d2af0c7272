package dev.baton.config;

import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code backup}: continuous WAL archiving and base backups with pgBackRest (docs/backup.md).
 * Absent (null in {@link BatonConfig}) when the file has no {@code backup} section: then nothing
 * is archived and replicas are cloned with pg_basebackup. The pgBackRest stanza is the scope.
 *
 * @param repository     where backups and WAL go
 * @param schedule       when the leader takes backups by itself (UTC cron; each may be null)
 * @param retentionFull  how many full backups pgBackRest keeps ({@code repo1-retention-full})
 * @param archiveTimeout seconds: with writes, WAL is switched and archived at least this often
 *                       (PostgreSQL's {@code archive_timeout}; the RPO bound); 0 turns it off
 * @param fromReplica    {@code backup.from_replica}: scheduled backups are taken from a streaming
 *                       replica (pgBackRest's {@code backup-standby}); needs {@code server}
 * @param pgbackrest     the pgBackRest program, or null to find {@code pgbackrest} on the PATH
 * @param server         {@code backup.server}: pgBackRest's TLS server on this member, through which a
 *                       replica's backup reaches the primary; null: none (backups only from the leader)
 */
public record BackupConfig(Repository repository, Schedule schedule, int retentionFull, int archiveTimeout,
        boolean fromReplica, Path pgbackrest, Server server) {

    public static final int DEFAULT_RETENTION_FULL = 2;
    public static final int DEFAULT_ARCHIVE_TIMEOUT = 60;
    /** pgBackRest's own default {@code tls-server-port}. */
    public static final int DEFAULT_SERVER_PORT = 8432;
    /** Why a backup from a replica cannot be taken on a member without {@code backup.server}. */
    public static final String FROM_REPLICA_NEEDS_SERVER = "a backup from a replica needs backup.server (pgBackRest's "
            + "TLS server, on every member): pgBackRest backs up a standby only when it also reaches the primary, "
            + "where it starts and stops the backup";

    public BackupConfig {
        if (schedule == null) {
            schedule = Schedule.NONE;
        }
    }

    /** Without a TLS server (backups from the leader only). */
    public BackupConfig(Repository repository, Schedule schedule, int retentionFull, int archiveTimeout,
            boolean fromReplica, Path pgbackrest) {
        this(repository, schedule, retentionFull, archiveTimeout, fromReplica, pgbackrest, null);
    }

    /**
     * {@code backup.server}: pgBackRest's TLS server ({@code pgbackrest server}), which the agent runs
     * on every member so that a replica's backup (pgBackRest's {@code backup-standby}) reaches the
     * primary. Mutual TLS: the server presents {@code certfile} and accepts a client whose certificate
     * is signed by {@code cafile} and carries the same CommonName as {@code certfile}.
     *
     * @param listen         {@code host:port} the server binds to ({@code tls-server-address} and port)
     * @param connectAddress {@code host:port} other members reach it at; the host is a DNS name that the
     *                       certificate names as a subject alternative name (pgBackRest checks DNS names only)
     * @param tls            {@code certfile}, {@code keyfile}, {@code cafile}: server and client certificate
     *                       (with a CommonName, the client identity the servers accept), key, and the CA
     */
    public record Server(HostPort listen, HostPort connectAddress, TlsFiles tls) {
    }

    /** {@code backup.repository.type}. */
    public enum RepositoryType {
        POSIX, S3;

        /** The spelling in the configuration file and in pgBackRest's {@code repo1-type}. */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * {@code backup.repository}. For {@code posix}, {@code path} is a directory (on shared or
     * local storage); for {@code s3} it is the prefix in the bucket ({@code repo1-path}) and
     * credentials come from the AWS default chain (environment, profile, instance role).
     *
     * @param uriStyle {@code host} (virtual-hosted, AWS's default) or {@code path} (most S3-compatible servers)
     * @param verifyTls whether the S3 endpoint's certificate is verified (default true; pgBackRest's S3
     *                  driver always speaks TLS)
     * @param caFile    the CA certificate(s) (PEM) the S3 endpoint's certificate is verified with, or null
     *                  for the system's ({@code repo1-storage-ca-file})
     */
    public record Repository(RepositoryType type, String path, String bucket, String region, String endpoint,
            String uriStyle, boolean verifyTls, java.nio.file.Path caFile) {

        /** With the system's CA certificates. */
        public Repository(RepositoryType type, String path, String bucket, String region, String endpoint,
                String uriStyle, boolean verifyTls) {
            this(type, path, bucket, region, endpoint, uriStyle, verifyTls, null);
        }
    }

    /** {@code backup.schedule}: cron expressions (UTC); null when not scheduled. */
    public record Schedule(Cron full, Cron diff, Cron incr) {
        public static final Schedule NONE = new Schedule(null, null, null);

        public boolean isEmpty() {
            return full == null && diff == null && incr == null;
        }
    }
}
