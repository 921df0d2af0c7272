package dev.baton.agent.ha;

import dev.baton.agent.postgres.FenceResult;
import dev.baton.agent.postgres.Lsn;
import dev.baton.agent.postgres.PostgresController;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Fence before promote: a candidate that won the leader key after the old leader's lease expired
 * (a failover, not a switchover) makes the old primary stop acknowledging commits before it
 * promotes itself, whenever it can reach it, and then waits until it has received all the WAL the
 * old primary flushed. This closes the window of a frozen agent (SIGSTOP of its process tree): its
 * postgres would otherwise keep acknowledging writes until the agent or its watchdog runs again.
 *
 * <p>The loop tells this class every leader it sees ({@link #observe}); at the moment this node
 * takes the key, {@link #failoverFrom} says whether a fence is owed: only when a leader other than
 * this node was known and its member key vanished with its lease (a switchover's old leader keeps
 * its member key; a bootstrap or a fresh agent knows no leader). {@link #fenceAndDrain} runs on
 * the long-action slot: SQL first ({@link PostgresController#fencePrimary}), then the old agent's
 * REST API ({@link PeerClient#fence}), all within {@code retry_timeout}; then the drain, bounded by
 * {@code retry_timeout} again. When the old primary cannot be reached on any channel, the lease and
 * watchdog reasoning applies as before and the promotion goes ahead.
 */
final class FenceBeforePromote {
    private static final Logger LOG = Logger.getLogger(FenceBeforePromote.class.getName());

    /** How often the drain reads this node's WAL position. */
    static final Duration DRAIN_POLL = Duration.ofMillis(10);

    /**
     * How fencing and draining went.
     *
     * @param oldPrimary the former leader, or null when none was known
     * @param result     the fence's outcome, or null when no fence was attempted
     * @param channel    {@code sql}, {@code rest} or {@code none}
     * @param fenceMs    how long fencing took
     * @param flushLsn   the old primary's flush position once fenced, 0 when unknown
     * @param drain      {@code complete}, {@code timed out} or {@code not needed}
     * @param drainMs    how long the drain took
     */
    record Outcome(String oldPrimary, FenceResult.Outcome result, String channel, long fenceMs, long flushLsn,
                   String drain, long drainMs) {

        static Outcome notAttempted(String oldPrimary) {
            return new Outcome(oldPrimary, null, "none", 0, 0, "not needed", 0);
        }

        boolean attempted() {
            return result != null;
        }

        /** The words of the fence for the report: the outcome's, or "not attempted". */
        String fenceWords() {
            return result == null ? "not attempted" : result.words();
        }

        /** The metric label: fenced, not_running, not_primary, unreachable, refused. */
        String label() {
            return result == null ? "not_attempted" : result.name().toLowerCase(Locale.ROOT);
        }

        /** The note on the new timeline's history line: "node1 fenced over sql, drained to 0/3000060". */
        String note() {
            if (result == null) {
                return null;
            }
            if (!result.fenced()) {
                return oldPrimary + " " + result.words() + ", not fenced";
            }
            String how = result == FenceResult.Outcome.FENCED ? oldPrimary + " fenced over " + channel
                    : oldPrimary + " " + result.words() + " (over " + channel + ")";
            return switch (drain) {
                case "complete" -> how + ", drained to " + Lsn.format(flushLsn);
                case "timed out" -> how + ", drain to " + Lsn.format(flushLsn) + " timed out";
                default -> how;
            };
        }

        PromotionReport report(String at, long promoteMs) {
            return new PromotionReport(at, oldPrimary, fenceWords(), channel, fenceMs,
                    flushLsn > 0 ? Lsn.format(flushLsn) : null, drain, drainMs, promoteMs);
        }
    }

    private final String me;
    private final PostgresController pg;
    private final PeerClient peers;
    private final LongSupplier ticker;
    private final Handover.Pause pause;
    /** The last leader other than me seen in a cluster view (cleared once I lead). */
    private volatile MemberStatus lastOtherLeader;
    /** The old primary still to fence before this node's promotion, or null. */
    private volatile MemberStatus pending;

    FenceBeforePromote(String me, PostgresController pg, PeerClient peers, LongSupplier ticker, Handover.Pause pause) {
        this.me = me;
        this.pg = pg;
        this.peers = peers;
        this.ticker = ticker;
        this.pause = pause;
    }

    /** Every cycle, with the view just read: remembers the leader if it is someone else. */
    void observe(ClusterView view) {
        String leader = view.leader();
        if (leader == null) {
            return;
        }
        if (leader.equals(me)) {
            lastOtherLeader = null;
            return;
        }
        pending = null;
        view.member(leader).ifPresent(m -> lastOtherLeader = m);
    }

    /** The last leader other than me, or null. */
    MemberStatus lastOtherLeader() {
        return lastOtherLeader;
    }

    /**
     * This node just took the leader key in {@code view} (read before it did): the old primary to
     * fence first, or null when this is no failover (no other leader known, or its member key is
     * still there: a planned handover).
     */
    MemberStatus failoverFrom(ClusterView view) {
        MemberStatus old = lastOtherLeader;
        if (old == null || view.members().containsKey(old.name())) {
            return null;
        }
        return old;
    }

    /** A fence is owed to {@code old} before this node promotes (null: none). */
    void owe(MemberStatus old) {
        pending = old;
    }

    /** The old primary still to fence before the next promotion, or null. */
    MemberStatus pending() {
        return pending;
    }

    /** Fencing and draining are done and the lock is confirmed: the promotion goes ahead. */
    void settled() {
        pending = null;
    }

    /**
     * Fences {@code old} (SQL, then REST), then drains; runs on the long-action slot and reports
     * each phase through {@code progress}. Never throws.
     */
    Outcome fenceAndDrain(MemberStatus old, DynamicConfig dynamic, Consumer<LongAction.Running> progress) {
        long budget = TimeUnit.SECONDS.toNanos(Math.max(1, dynamic.retryTimeout()));
        long start = ticker.getAsLong();
        boolean restCanFollow = old.apiUrl() != null && !old.apiUrl().isBlank();
        FenceResult sql = null;
        FenceResult rest = null;
        if (old.host() != null) {
            progress.accept(LongAction.FENCE.on(old.name() + " (over sql)"));
            long share = restCanFollow ? budget * 2 / 3 : budget;
            sql = sqlFence(old, Duration.ofNanos(share));
            LOG.info("fencing " + old.name() + " over sql: " + describe(sql));
        }
        if ((sql == null || !sql.outcome().fenced()) && restCanFollow) {
            long remaining = budget - (ticker.getAsLong() - start);
            if (remaining > 0) {
                progress.accept(LongAction.FENCE.on(old.name() + " (over rest)"));
                rest = restFence(old, Duration.ofNanos(remaining));
                LOG.info("fencing " + old.name() + " over rest: " + describe(rest));
            }
        }
        long fenceMs = TimeUnit.NANOSECONDS.toMillis(ticker.getAsLong() - start);
        FenceResult won = sql != null && sql.outcome().fenced() ? sql : rest != null && rest.outcome().fenced() ? rest : null;
        if (won == null) {
            FenceResult.Outcome o = (sql != null && sql.outcome() == FenceResult.Outcome.REFUSED)
                    || (rest != null && rest.outcome() == FenceResult.Outcome.REFUSED)
                    ? FenceResult.Outcome.REFUSED : FenceResult.Outcome.UNREACHABLE;
            LOG.warning("could not fence " + old.name() + " (" + o.words() + "); promoting anyway: its lease expired, "
                    + "its own fence and watchdog stop it");
            return new Outcome(old.name(), o, "none", fenceMs, 0, "not needed", 0);
        }
        String channel = won == sql ? "sql" : "rest";
        if (won.flushLsn() <= 0) {
            return new Outcome(old.name(), won.outcome(), channel, fenceMs, 0, "not needed", 0);
        }
        progress.accept(LongAction.DRAIN.on(old.name() + " to " + Lsn.format(won.flushLsn())));
        long drainStart = ticker.getAsLong();
        boolean complete = drain(won.flushLsn(), TimeUnit.SECONDS.toNanos(Math.max(1, dynamic.retryTimeout())));
        long drainMs = TimeUnit.NANOSECONDS.toMillis(ticker.getAsLong() - drainStart);
        if (!complete) {
            LOG.warning("the drain from " + old.name() + " to " + Lsn.format(won.flushLsn())
                    + " timed out; promoting with what was received");
        }
        return new Outcome(old.name(), won.outcome(), channel, fenceMs, won.flushLsn(),
                complete ? "complete" : "timed out", drainMs);
    }

    private FenceResult sqlFence(MemberStatus old, Duration budget) {
        try {
            return orUnreachable(pg.fencePrimary(old.host(), old.port(), budget));
        } catch (RuntimeException e) {
            return FenceResult.of(FenceResult.Outcome.UNREACHABLE, String.valueOf(e.getMessage()));
        }
    }

    private FenceResult restFence(MemberStatus old, Duration budget) {
        try {
            return orUnreachable(peers.fence(old, me, budget));
        } catch (RuntimeException e) {
            return FenceResult.of(FenceResult.Outcome.UNREACHABLE, String.valueOf(e.getMessage()));
        }
    }

    private static FenceResult orUnreachable(FenceResult r) {
        return r != null && r.outcome() != null ? r : FenceResult.of(FenceResult.Outcome.UNREACHABLE, "no answer");
    }

    private static String describe(FenceResult r) {
        return r.outcome().words() + (r.flushLsn() > 0 ? " at " + Lsn.format(r.flushLsn()) : "")
                + (r.detail() == null || r.detail().isEmpty() ? "" : " (" + r.detail() + ")");
    }

    /** Waits until this node has received (or replayed) {@code flushLsn}; false when the budget ran out. */
    private boolean drain(long flushLsn, long budgetNanos) {
        long deadline = ticker.getAsLong() + budgetNanos;
        while (true) {
            if (Long.compareUnsigned(position(), flushLsn) >= 0) {
                return true;
            }
            if (ticker.getAsLong() - deadline >= 0) {
                return false;
            }
            try {
                pause.pause(DRAIN_POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    private long position() {
        try {
            return pg.status().walPosition();
        } catch (RuntimeException e) {
            return 0;
        }
    }
}
