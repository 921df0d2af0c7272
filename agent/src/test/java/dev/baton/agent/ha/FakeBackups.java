package dev.baton.agent.ha;

import dev.baton.agent.backup.BackupException;
import dev.baton.agent.backup.BackupInfo;
import dev.baton.agent.backup.BackupProgress;
import dev.baton.agent.backup.BackupRepository;
import dev.baton.agent.backup.BackupType;
import dev.baton.agent.postgres.DataDirInfo;
import dev.baton.config.RestoreConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A backup repository in memory for cycle tests: its calls go into the {@link FakePostgres}'s
 * call list (so the order across postgres and the repository is visible), restores fill the fake
 * data directory, and failures are injected with {@link #failOn}.
 */
final class FakeBackups implements BackupRepository {
    private final FakePostgres pg;
    private final Set<String> failing = new HashSet<>();
    final List<BackupInfo> backups = new ArrayList<>();
    /** The system identifier a restore of the cluster brings (the source cluster's). */
    String restoredSystemId = "7300000000000000099";
    /** How many status() calls a restored server stays in recovery before it promotes. */
    int recoveryPolls = 2;
    /** Progress reported by each restore and backup, as (done, total) pairs. */
    long[][] progress = {{50, 100}};
    /** Runs after a restore or backup reported its progress (e.g. a cycle meanwhile). */
    Runnable afterProgress = () -> { };
    /** Backups taken, by type. */
    final List<BackupType> taken = new ArrayList<>();

    FakeBackups(FakePostgres pg) {
        this.pg = pg;
    }

    FakeBackups withBackup() {
        backups.add(info("20261201-030000F", BackupType.FULL));
        return this;
    }

    static BackupInfo info(String label, BackupType type) {
        return new BackupInfo(label, type, Instant.parse("2026-12-01T03:00:00Z"), Instant.parse("2026-12-01T03:05:00Z"),
                "000000010000000000000003", "000000010000000000000004", 1000, 400, "0/3000028", "0/4000100");
    }

    FakeBackups failOn(String what) {
        failing.add(what);
        return this;
    }

    private void call(String what, String detail) {
        pg.calls.add(detail == null ? what : what + " " + detail);
        if (failing.contains(what)) {
            throw new BackupException(what + " failed (injected)");
        }
    }

    private void report(BackupProgress p) {
        for (long[] step : progress) {
            p.update(step[0], step[1]);
        }
        afterProgress.run();
    }

    @Override
    public void ensureStanza() {
        call("ensure stanza", null);
    }

    @Override
    public BackupInfo backup(BackupType type, BackupProgress progress) {
        call("backup", type.key());
        report(progress);
        taken.add(type);
        BackupInfo b = info("20261201-0" + taken.size() + "0000" + type.key().charAt(0), type);
        backups.add(b);
        return b;
    }

    /** The primaries backups from this standby went through. */
    final List<dev.baton.agent.backup.PgBackRestPeer> fromStandby = new ArrayList<>();

    @Override
    public BackupInfo backupFromStandby(BackupType type, dev.baton.agent.backup.PgBackRestPeer primary,
            BackupProgress progress) {
        call("backup from standby", type.key());
        fromStandby.add(primary);
        taken.add(type);
        BackupInfo b = info("20261201-0" + taken.size() + "0000" + type.key().charAt(0), type);
        backups.add(b);
        return b;
    }

    @Override
    public List<BackupInfo> list() {
        call("list backups", null);
        return List.copyOf(backups);
    }

    @Override
    public List<BackupInfo> list(String scope) {
        call("list backups", scope);
        return List.copyOf(backups);
    }

    @Override
    public void restoreReplica(BackupProgress progress) {
        call("restore replica", null);
        report(progress);
        pg.kind = DataDirInfo.Kind.INITIALIZED;
        pg.systemId = pg.cloneSystemId;
        pg.standbySignal = true;
    }

    @Override
    public void restoreCluster(RestoreConfig restore, BackupProgress progress) {
        call("restore cluster", (restore.fromScope() == null ? "own scope" : restore.fromScope()) + " "
                + restore.describeTarget());
        report(progress);
        pg.kind = DataDirInfo.Kind.INITIALIZED;
        pg.systemId = restoredSystemId;
        pg.standbySignal = false;
        pg.recoveryPolls = recoveryPolls;
    }

    @Override
    public void clearRestoreSettings() {
        call("clear restore settings", null);
    }
}
