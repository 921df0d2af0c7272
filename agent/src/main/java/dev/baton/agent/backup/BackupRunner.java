package dev.baton.agent.backup;

import dev.baton.config.Untrusted;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.Executor;
import java.util.logging.Logger;

/**
 * Runs backups of this node, one at a time, on its own thread {@code baton-backup}: never on the
 * HA loop, never on the long-action slot (a backup must not hold up a failover). {@code POST
 * /backup} and the leader's schedule start them; {@code GET /backup} and the metrics read the
 * {@link Status}. The stanza is ensured on the same thread, so a backup queued after it finds it.
 */
public final class BackupRunner implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(BackupRunner.class.getName());
    /** A running backup's progress is logged this often (and at its first report). */
    private static final long PROGRESS_LOG_EVERY_NANOS = 30_000_000_000L;
    /** The longest error kept in the status (pgBackRest's own words, control characters escaped). */
    static final int MAX_ERROR = 2000;

    /** The state of the last (or current) backup. */
    public enum State {
        NONE, RUNNING, SUCCEEDED, FAILED;

        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * The last (or current) backup started by this agent since it started: what {@code GET
     * /backup} answers. {@code id} counts runs from 1 (0 and {@link State#NONE}: none yet).
     */
    public record Status(long id, State state, BackupType type, Instant started, Instant finished, long doneBytes,
            long totalBytes, String label, String error) {
        public static final Status NONE = new Status(0, State.NONE, null, null, null, 0, 0, null, null);

        /** {@code {"id":N,"state":"running","type":"full","started":ISO,...}} (null type with state none). */
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("state", state.key());
            m.put("type", type == null ? null : type.key());
            m.put("started", started == null ? null : started.toString());
            m.put("finished", finished == null ? null : finished.toString());
            m.put("done_bytes", doneBytes);
            m.put("total_bytes", totalBytes);
            m.put("label", label);
            m.put("error", error);
            return m;
        }

        /** The run's duration, or null while it runs (or without one). */
        public Duration duration() {
            return started == null || finished == null ? null : Duration.between(started, finished);
        }
    }

    /** Whether {@link #run} started a backup, and the status it answers with (the running one if refused). */
    public record Submission(boolean started, Status status) {
    }

    private final BackupRepository repository;
    private final Clock clock;
    private final Executor executor;
    private final ExecutorService own;
    private final Map<BackupType, AtomicLong> successes = new EnumMap<>(BackupType.class);
    private final Map<BackupType, AtomicLong> failures = new EnumMap<>(BackupType.class);
    private Status status = Status.NONE;
    private Status lastSuccess;
    private long nextId = 1;
    /** How often the metrics' view of the repository is refreshed. */
    static final Duration LIST_REFRESH = Duration.ofMinutes(10);
    private Instant latestListed;
    private long listedAt;
    private boolean listPending;

    /** Runs on {@code executor} (tests: in place, or when they say). */
    public BackupRunner(BackupRepository repository, Clock clock, Executor executor) {
        this(repository, clock, executor, null);
    }

    private BackupRunner(BackupRepository repository, Clock clock, Executor executor, ExecutorService own) {
        this.repository = Objects.requireNonNull(repository, "repository");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.own = own;
        for (BackupType t : BackupType.values()) {
            successes.put(t, new AtomicLong());
            failures.put(t, new AtomicLong());
        }
    }

    /** With its own daemon thread {@code baton-backup}. */
    public static BackupRunner onOwnThread(BackupRepository repository, Clock clock) {
        ExecutorService exec = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "baton-backup");
            t.setDaemon(true);
            return t;
        });
        return new BackupRunner(repository, clock, exec, exec);
    }

    public BackupRepository repository() {
        return repository;
    }

    /**
     * Starts a backup of {@code type} unless one runs (then refused, with the running one's status).
     *
     * @param why for the log: "requested over the REST API", "scheduled (point 2026-12-06T03:00:00Z)"
     */
    public Submission run(BackupType type, String why) {
        return submit(type, null, why);
    }

    /**
     * Starts a backup of {@code type} taken on this member, a streaming standby, with
     * {@code primary} (the leader's published facts) starting and stopping it
     * ({@link BackupRepository#backupFromStandby}); refused while one runs.
     */
    public Submission runFromStandby(BackupType type, PgBackRestPeer primary, String why) {
        return submit(type, Objects.requireNonNull(primary, "primary"), why + ", from this replica");
    }

    private Submission submit(BackupType type, PgBackRestPeer primary, String why) {
        Objects.requireNonNull(type, "type");
        Status started;
        synchronized (this) {
            if (status.state() == State.RUNNING) {
                return new Submission(false, status);
            }
            started = new Status(nextId++, State.RUNNING, type, clock.instant(), null, 0, 0, null, null);
            status = started;
        }
        LOG.info(type.key() + " backup " + started.id() + " started: " + why);
        try {
            executor.execute(() -> backup(started, primary));
        } catch (RejectedExecutionException e) {
            finish(started.id(), null, "the agent is shutting down");
            return new Submission(false, status());
        }
        return new Submission(true, started);
    }

    private void backup(Status started, PgBackRestPeer primary) {
        long id = started.id();
        try {
            BackupProgress logged = ProgressText.logged(() -> clock.millis() * 1_000_000L, PROGRESS_LOG_EVERY_NANOS,
                    line -> { }, line -> LOG.info(started.type().key() + " backup " + id + ": " + line));
            BackupProgress progress = (done, total) -> {
                progress(id, done, total);
                logged.update(done, total);
            };
            BackupInfo info = primary == null ? repository.backup(started.type(), progress)
                    : repository.backupFromStandby(started.type(), primary, progress);
            finish(id, info, null);
        } catch (RuntimeException e) {
            finish(id, null, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    private synchronized void progress(long id, long done, long total) {
        if (status.id() == id && status.state() == State.RUNNING) {
            status = new Status(id, State.RUNNING, status.type(), status.started(), null, Math.max(0, done),
                    Math.max(0, total), null, null);
        }
    }

    private void finish(long id, BackupInfo info, String error) {
        Status done;
        synchronized (this) {
            if (status.id() != id) {
                return;
            }
            Status s = status;
            Instant now = clock.instant();
            if (error == null) {
                long size = info == null ? Math.max(s.totalBytes(), s.doneBytes()) : info.sizeBytes();
                done = new Status(id, State.SUCCEEDED, s.type(), s.started(), now, size, size,
                        info == null ? null : info.label(), null);
                lastSuccess = done;
                successes.get(s.type()).incrementAndGet();
            } else {
                done = new Status(id, State.FAILED, s.type(), s.started(), now, s.doneBytes(), s.totalBytes(), null,
                        Untrusted.shown(error, MAX_ERROR));
                failures.get(s.type()).incrementAndGet();
            }
            status = done;
        }
        if (done.state() == State.SUCCEEDED) {
            LOG.info(done.type().key() + " backup " + id + " succeeded: " + done.label() + " (" + done.doneBytes()
                    + " bytes in " + done.duration().toSeconds() + " s)");
        } else {
            LOG.warning(done.type().key() + " backup " + id + " failed: " + done.error());
        }
    }

    /**
     * Creates the stanza if needed, on the backup thread (idempotent; a failure is logged: WAL
     * archiving then fails visibly in pg_stat_archiver, and the next leadership tries again).
     */
    public void ensureStanza(String why) {
        try {
            executor.execute(() -> {
                try {
                    repository.ensureStanza();
                    LOG.info("backup stanza ensured (" + why + ")");
                } catch (RuntimeException e) {
                    LOG.warning("could not create the backup stanza (" + why + "); WAL archiving fails until it "
                            + "exists: " + e.getMessage());
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.info("backup stanza not ensured: the agent is shutting down");
        }
    }

    /** The last (or current) backup's status. */
    public synchronized Status status() {
        return status;
    }

    public synchronized boolean running() {
        return status.state() == State.RUNNING;
    }

    /** The last backup that succeeded since the agent started, or null. */
    public synchronized Status lastSuccess() {
        return lastSuccess;
    }

    /**
     * When the latest good backup finished: this agent's last success, or the newest backup the
     * repository lists (read at most every {@link #LIST_REFRESH}, on the backup thread, so an agent
     * that just started, or a replica, knows it too). Never blocks; null while nothing is known.
     */
    public Instant latestBackupFinished() {
        Instant listed;
        synchronized (this) {
            long now = clock.millis();
            if (!listPending && (listedAt == 0 || now - listedAt >= LIST_REFRESH.toMillis())) {
                listPending = true;
                listedAt = now;
                try {
                    executor.execute(this::refreshListed);
                } catch (RejectedExecutionException e) {
                    listPending = false;
                }
            }
            listed = latestListed;
        }
        Status s = lastSuccess();
        Instant mine = s == null ? null : s.finished();
        if (mine == null) {
            return listed;
        }
        return listed == null || mine.isAfter(listed) ? mine : listed;
    }

    private void refreshListed() {
        Instant newest = null;
        try {
            for (BackupInfo b : repository.list()) {
                if (b.stop() != null && (newest == null || b.stop().isAfter(newest))) {
                    newest = b.stop();
                }
            }
        } catch (RuntimeException e) {
            LOG.fine("could not list the backups for the metrics: " + e.getMessage());
        }
        synchronized (this) {
            if (newest != null) {
                latestListed = newest;
            }
            listPending = false;
        }
    }

    /** How many backups of {@code type} ended with that outcome since the agent started. */
    public long runs(BackupType type, boolean success) {
        return (success ? successes : failures).get(type).get();
    }

    @Override
    public void close() {
        if (own != null) {
            own.shutdownNow();
        }
    }
}
