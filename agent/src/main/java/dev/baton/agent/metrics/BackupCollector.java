package dev.baton.agent.metrics;

import dev.baton.agent.backup.BackupRunner;
import dev.baton.agent.backup.BackupType;
import dev.baton.agent.postgres.ArchiverStats;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The backup and WAL archiving metrics, computed at scrape time: backups from the
 * {@link BackupRunner} (memory only; the repository's newest backup is refreshed by the runner on
 * its own thread), archiving from {@code pg_stat_archiver}, read at most every
 * {@link #ARCHIVER_REFRESH} on the collector's own daemon thread: a scrape waits at most
 * {@link #ARCHIVER_WAIT} for it and otherwise shows the last reading. A series whose value is not
 * known (no backup yet, postgres down) is left out rather than shown as 0.
 */
final class BackupCollector implements MultiCollector, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(BackupCollector.class.getName());
    static final Duration ARCHIVER_REFRESH = Duration.ofSeconds(10);
    static final Duration ARCHIVER_WAIT = Duration.ofSeconds(1);

    private final Labels labels;
    private final BackupRunner runner;
    private final Supplier<ArchiverStats> archiver;
    private final LongSupplier ticker;
    private final ExecutorService reader;
    private ArchiverStats archiverStats;
    private long archiverReadAt;
    private CompletableFuture<ArchiverStats> reading;

    /**
     * @param runner   the backup runner, or null without a repository (no backup series)
     * @param archiver reads pg_stat_archiver (null when postgres is down), or null: no archive series
     */
    BackupCollector(String scope, String member, BackupRunner runner, Supplier<ArchiverStats> archiver,
                    LongSupplier ticker) {
        this.labels = Labels.of("member", member, "scope", scope);
        this.runner = runner;
        this.archiver = archiver;
        this.ticker = ticker;
        this.reader = archiver == null ? null : Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "baton-metrics-archiver");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public MetricSnapshots collect() {
        List<MetricSnapshot> out = new ArrayList<>();
        if (runner != null) {
            backups(out);
        }
        if (archiver != null) {
            archive(out, archiverStats());
        }
        return new MetricSnapshots(out);
    }

    private void backups(List<MetricSnapshot> out) {
        Instant latest = runner.latestBackupFinished();
        gauge(out, "baton_backup_last_success_timestamp_seconds",
                "When the latest good backup finished (Unix seconds; this agent's, or the repository's newest)",
                latest == null ? null : latest.toEpochMilli() / 1000.0);
        BackupRunner.Status last = runner.lastSuccess();
        gauge(out, "baton_backup_last_duration_seconds",
                "How long the last backup this agent took successfully ran, in seconds",
                last == null || last.duration() == null ? null : last.duration().toMillis() / 1000.0);
        gauge(out, "baton_backup_last_size_bytes", "The database size the last successful backup of this agent copied",
                last == null ? null : (double) last.doneBytes());
        gauge(out, "baton_backup_running", "1 while this agent takes a backup", runner.running() ? 1.0 : 0.0);
        CounterSnapshot.Builder runs = CounterSnapshot.builder().name("baton_backup_runs")
                .help("Backups this agent ran since it started, by type and outcome (success or failure)");
        for (BackupType t : BackupType.values()) {
            for (boolean success : new boolean[] {true, false}) {
                runs.dataPoint(CounterDataPointSnapshot.builder()
                        .labels(labels.add("type", t.key()).add("outcome", success ? "success" : "failure"))
                        .value(runner.runs(t, success)).build());
            }
        }
        out.add(runs.build());
    }

    private void archive(List<MetricSnapshot> out, ArchiverStats a) {
        gauge(out, "baton_archive_last_archived_timestamp_seconds",
                "When postgres last archived a WAL file (pg_stat_archiver.last_archived_time, Unix seconds)",
                a == null || a.lastArchivedTime() == null ? null : a.lastArchivedTime().toEpochMilli() / 1000.0);
        gauge(out, "baton_archive_last_failed_timestamp_seconds",
                "When archiving a WAL file last failed (pg_stat_archiver.last_failed_time, Unix seconds)",
                a == null || a.lastFailedTime() == null ? null : a.lastFailedTime().toEpochMilli() / 1000.0);
        CounterSnapshot.Builder failed = CounterSnapshot.builder().name("baton_archive_failed")
                .help("Failed attempts to archive a WAL file (pg_stat_archiver.failed_count)");
        if (a != null) {
            failed.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(a.failedCount()).build());
        }
        out.add(failed.build());
    }

    private void gauge(List<MetricSnapshot> out, String name, String help, Double value) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        if (value != null) {
            b.dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(value).build());
        }
        out.add(b.build());
    }

    /** The last pg_stat_archiver reading, refreshed off the scrape thread when older than the refresh interval. */
    private ArchiverStats archiverStats() {
        CompletableFuture<ArchiverStats> pending;
        synchronized (this) {
            long now = ticker.getAsLong();
            if (reading == null && (archiverReadAt == 0 || now - archiverReadAt >= ARCHIVER_REFRESH.toNanos())) {
                archiverReadAt = now;
                try {
                    reading = CompletableFuture.supplyAsync(this::readArchiver, reader);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    return archiverStats;
                }
            }
            pending = reading;
        }
        if (pending != null) {
            try {
                pending.get(ARCHIVER_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                // shown at a later scrape
            } catch (java.util.concurrent.ExecutionException e) {
                // readArchiver does not throw
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            return archiverStats;
        }
    }

    private ArchiverStats readArchiver() {
        ArchiverStats a = null;
        try {
            a = archiver.get();
        } catch (RuntimeException e) {
            LOG.fine("could not read pg_stat_archiver: " + e.getMessage());
        }
        synchronized (this) {
            archiverStats = a;
            reading = null;
        }
        return a;
    }

    @Override
    public void close() {
        if (reader != null) {
            reader.shutdownNow();
        }
    }
}
