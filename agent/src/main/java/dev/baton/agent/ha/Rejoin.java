package dev.baton.agent.ha;

import dev.baton.agent.postgres.Lsn;
import dev.baton.agent.postgres.PostgresController.RewindCheck;
import dev.baton.agent.postgres.PostgresController;
import dev.baton.agent.postgres.PostgresException;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.model.History;
import dev.baton.leader.model.HistoryEntry;
import dev.baton.leader.model.MemberStatus;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * A former primary (or a replica that went past the new leader's fork point) coming back as a
 * replica: the rewind step of the long action, and what the loop remembers about it between
 * cycles. The decisions are {@link RewindPolicy}'s; this class carries them out: it keeps the
 * WAL about to be discarded beside the data directory and records the discarded range in the
 * log and in the {@code history} key before pg_rewind runs.
 */
final class Rejoin {
    private static final Logger LOG = Logger.getLogger(Rejoin.class.getName());

    /** The last rewind failed against {@code leader}; postgres stays down saying {@code sentence}. */
    record Failure(String leader, String sentence) {
    }

    /** This data directory was fenced by {@code by} while it was the primary of {@code timeline}. */
    record Fenced(int timeline, String by) {
    }

    private final String me;
    private final ClusterStore store;
    private final PostgresController pg;
    private final LoopContext ctx;
    private volatile boolean requested;
    private volatile Failure failure;
    private volatile Fenced fenced;
    private volatile boolean rewound;

    Rejoin(String me, ClusterStore store, PostgresController pg, LoopContext ctx) {
        this.me = me;
        this.store = store;
        this.pg = pg;
        this.ctx = ctx;
    }

    /** A cycle stopped the running replica so that it is rewound before it follows. */
    void request() {
        requested = true;
    }

    boolean requested() {
        return requested;
    }

    /** Why postgres stays down after a failed rewind, or null. */
    String failedSentence() {
        Failure f = failure;
        return f == null ? null : f.sentence();
    }

    /** Forgets the failure when the leader changed: a rewind against the next one may work. */
    void onLeader(String leader) {
        Failure f = failure;
        if (f != null && !RewindPolicy.stillFailed(f.leader(), leader)) {
            LOG.info("a new leader, " + leader + ": trying to rewind again");
            failure = null;
        }
    }

    /** The member is about to be started as a replica (or wiped): nothing is pending anymore. */
    void reset() {
        requested = false;
        failure = null;
    }

    void started() {
        requested = false;
    }

    /**
     * Runs on the long-action slot before this stopped node follows {@code leader}: if its history
     * went past the leader's, keeps and records the WAL to be discarded, then rewinds. Returns
     * false when postgres must stay down.
     */
    boolean rewindIfDiverged(MemberStatus leader, boolean usePgRewind, boolean removeDataDirectoryOnFailure) {
        try {
            RewindCheck check = pg.checkRewind(leader.host(), leader.port());
            RewindPolicy.Plan plan = RewindPolicy.before(check, usePgRewind, leader.name());
            switch (plan.step()) {
                case FOLLOW -> {
                    rewound = false;
                    LOG.info("no rewind needed to follow " + leader.name());
                    return true;
                }
                case REFUSE -> throw new PostgresException(plan.problem());
                case REWIND -> rewind(leader, check);
                default -> throw new IllegalStateException(plan.step().toString());
            }
            return true;
        } catch (PostgresException e) {
            switch (RewindPolicy.afterFailure(ctx.shuttingDown(), removeDataDirectoryOnFailure)) {
                case RECLONE -> {
                    LOG.severe(e.getMessage() + "; removing the data directory to clone it again "
                            + "(remove_data_directory_on_rewind_failure)");
                    pg.removeDataDirectory();
                    ctx.dataDirChanged();
                }
                case STAY_DOWN -> {
                    failure = new Failure(leader.name(), RewindPolicy.failedSentence(leader.name(), e.getMessage()));
                    LOG.severe(failure.sentence());
                }
                case STOP -> { }
                default -> throw new IllegalStateException();
            }
            return false;
        }
    }

    private void rewind(MemberStatus leader, RewindCheck check) {
        long end = pg.localWalEnd();
        Path kept = pg.keepWal(check.timeline(), check.divergenceLsn());
        String note = me + " discarded WAL " + Lsn.format(check.divergenceLsn()) + " to "
                + (end > 0 ? Lsn.format(end) : "its end") + " of timeline " + check.timeline() + " (kept in " + kept + ")";
        LOG.warning("rewinding to follow " + leader.name() + ": " + note);
        recordDivergence(check.timeline(), check.divergenceLsn(), note);
        pg.rewind(leader.host(), leader.port());
        rewound = true;
        ctx.dataDirChanged();
        LOG.info("pg_rewind from " + leader.name() + " finished");
    }

    /**
     * Runs on the long-action slot before this stopped node rejoins as a replica of {@code leader}
     * (before a rewind, which replaces the configuration files): if another member fenced this
     * data directory while it was the primary, remembers it, to be recorded once the node rejoined.
     */
    void checkFenced(String leader) {
        try {
            if (fenced == null && pg.fenced()) {
                int timeline = pg.inspectDataDir().checkpointTimeline();
                fenced = new Fenced(timeline, leader);
                LOG.warning("my postgres was fenced by " + leader + " before its promotion (timeline " + timeline
                        + "); rejoining as its replica");
            }
        } catch (RuntimeException e) {
            LOG.warning("could not tell whether my data directory was fenced: " + e.getMessage());
        }
    }

    /**
     * This node rejoined ({@code recloned}: from a fresh copy; else by rewind, or without one when
     * nothing diverged): if it had been fenced, records it on the old timeline's history line.
     */
    void rejoined(boolean recloned) {
        Fenced f = fenced;
        if (f == null) {
            return;
        }
        fenced = null;
        String how = recloned ? "rejoined by re-clone" : rewound ? "rejoined by rewind"
                : "rejoined without a rewind (nothing to undo)";
        recordOnTimeline(f.timeline(), me + " was fenced by " + f.by() + " before its promotion; " + how);
    }

    /** Adds the discarded range to the history line of the timeline it happened on. */
    private void recordDivergence(int timeline, long lsn, String note) {
        try {
            ClusterSnapshot s = store.read();
            String current = s.history() == null ? null : s.history().value();
            store.putHistory(History.annotate(current, timeline, note, new HistoryEntry(timeline, lsn, note, ctx.now(), "")));
        } catch (RuntimeException e) {
            LOG.warning("could not record the discarded WAL in the history key: " + e.getMessage());
        }
    }

    /** Adds {@code note} to the history line of {@code timeline} (or a line of its own). */
    private void recordOnTimeline(int timeline, String note) {
        try {
            ClusterSnapshot s = store.read();
            String current = s.history() == null ? null : s.history().value();
            store.putHistory(History.annotate(current, timeline, note, new HistoryEntry(timeline, 0, note, ctx.now(), "")));
            LOG.info(note);
        } catch (RuntimeException e) {
            LOG.warning("could not record the fence in the history key: " + e.getMessage());
        }
    }
}
