package dev.baton.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.backup.BackupException;
import dev.baton.agent.backup.BackupInfo;
import dev.baton.agent.backup.BackupProgress;
import dev.baton.agent.backup.BackupRepository;
import dev.baton.agent.backup.BackupRunner;
import dev.baton.agent.backup.BackupType;
import dev.baton.agent.postgres.ArchiverStats;
import dev.baton.config.RestoreConfig;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The backup and archiving metrics, by their fixed names. */
class BackupMetricsTest {
    private static final long SECOND = 1_000_000_000L;
    private final AtomicLong ticker = new AtomicLong(1_000 * SECOND);
    private final Instant[] now = {Instant.parse("2026-12-01T12:00:00Z")};
    private final Clock clock = new Clock() {
        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now[0];
        }
    };
    private final Deque<Runnable> pending = new ArrayDeque<>();
    private final Executor later = pending::add;
    private boolean fail;

    private final BackupRepository repo = new BackupRepository() {
        @Override
        public void ensureStanza() {
        }

        @Override
        public BackupInfo backup(BackupType type, BackupProgress progress) {
            if (fail) {
                throw new BackupException("failed");
            }
            return new BackupInfo("L", type, now[0], now[0], "a", "b", 4096, 1024, null, null);
        }

        @Override
        public List<BackupInfo> list() {
            return List.of();
        }

        @Override
        public List<BackupInfo> list(String scope) {
            return List.of();
        }

        @Override
        public void restoreReplica(BackupProgress progress) {
        }

        @Override
        public void restoreCluster(RestoreConfig restore, BackupProgress progress) {
        }

        @Override
        public void clearRestoreSettings() {
        }
    };

    private void runPending() {
        while (!pending.isEmpty()) {
            pending.poll().run();
        }
    }

    @Test
    void backupAndArchiveMetricsByTheirNames() {
        AgentMetrics metrics = new AgentMetrics("demo", "node1", "1.0", ticker::get, clock);
        BackupRunner runner = new BackupRunner(repo, clock, later);
        AtomicInteger archiverReads = new AtomicInteger();
        metrics.watchBackups(runner, () -> {
            archiverReads.incrementAndGet();
            return new ArchiverStats(12, "000000010000000000000007", Instant.parse("2026-12-01T11:59:00Z"), 3,
                    "000000010000000000000005", Instant.parse("2026-12-01T11:00:00Z"));
        });
        runner.run(BackupType.FULL, "test");
        Exposition running = Exposition.parse(metrics.scrape());
        assertEquals(1, running.value("baton_backup_running", "member", "node1", "scope", "demo"));
        runPending();
        now[0] = now[0].plusSeconds(30);
        fail = true;
        runner.run(BackupType.INCR, "test");
        runPending();

        Exposition e = Exposition.parse(metrics.scrape());
        assertEquals(0, e.value("baton_backup_running"));
        assertEquals(Instant.parse("2026-12-01T12:00:00Z").getEpochSecond(),
                e.value("baton_backup_last_success_timestamp_seconds"));
        assertEquals(0, e.value("baton_backup_last_duration_seconds"));
        assertEquals(4096, e.value("baton_backup_last_size_bytes"));
        assertEquals(1, e.value("baton_backup_runs_total", "type", "full", "outcome", "success"));
        assertEquals(1, e.value("baton_backup_runs_total", "type", "incr", "outcome", "failure"));
        assertEquals(0, e.value("baton_backup_runs_total", "type", "diff", "outcome", "success"));
        assertEquals(Instant.parse("2026-12-01T11:59:00Z").getEpochSecond(),
                e.value("baton_archive_last_archived_timestamp_seconds"));
        assertEquals(3, e.value("baton_archive_failed_total"));
        assertEquals(Instant.parse("2026-12-01T11:00:00Z").getEpochSecond(),
                e.value("baton_archive_last_failed_timestamp_seconds"));
        assertEquals(1, archiverReads.get(), "pg_stat_archiver is read at most every few seconds, not per scrape");
        ticker.addAndGet(BackupCollector.ARCHIVER_REFRESH.toNanos());
        metrics.scrape();
        assertEquals(2, archiverReads.get());
    }

    @Test
    void unknownValuesAreLeftOutAndPostgresDownShowsNoArchiveSeries() {
        AgentMetrics metrics = new AgentMetrics("demo", "node1", "1.0", ticker::get, clock);
        metrics.watchBackups(new BackupRunner(repo, clock, later), () -> null);
        Exposition e = Exposition.parse(metrics.scrape());
        assertTrue(e.find("baton_backup_last_success_timestamp_seconds").isEmpty());
        assertTrue(e.find("baton_archive_last_archived_timestamp_seconds").isEmpty());
        assertTrue(e.find("baton_archive_failed_total").isEmpty());
        assertEquals(0, e.value("baton_backup_running"));
    }

    @Test
    void withoutARepositoryThereAreNoBackupMetrics() {
        AgentMetrics metrics = new AgentMetrics("demo", "node1", "1.0", ticker::get, clock);
        metrics.watchBackups(null, null);
        String text = metrics.scrape();
        assertFalse(text.contains("baton_backup_"), text);
        assertFalse(text.contains("baton_archive_"), text);
    }

    @Test
    void aSlowArchiverReadDoesNotHoldTheScrapeLong() {
        AgentMetrics metrics = new AgentMetrics("demo", "node1", "1.0", ticker::get, clock);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        metrics.watchBackups(null, () -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        try {
            metrics.scrape(); // waits at most ARCHIVER_WAIT, then shows the last reading (none)
            metrics.scrape(); // the read still runs: not started again, not waited for again beyond the bound
        } finally {
            release.countDown();
        }
    }
}
