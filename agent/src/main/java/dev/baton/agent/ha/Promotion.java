package dev.baton.agent.ha;

import dev.baton.agent.postgres.Lsn;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.agent.postgres.PostgresController;
import dev.baton.agent.postgres.PostgresException;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.History;
import dev.baton.leader.model.HistoryEntry;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import dev.baton.leader.model.SyncState;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Promotion of this node once it holds the leader key. It runs on the long-action slot (a
 * promotion can hang, e.g. on a stuck WAL receiver, and the loop must keep renewing meanwhile),
 * opens for writes as soon as postgres is writable, then creates the slots, records the timeline
 * switch in {@code history}, and checkpoints in the background (a former primary's pg_rewind needs
 * this node's control file on the new timeline; until then the member key says
 * {@code checkpoint_after_promote: false}). A configured {@code postgresql.pre_promote} runs on
 * the long action before the promotion; its failure cancels it, releases the key and keeps this
 * node out of the leader race for a ttl, as in Patroni.
 */
final class Promotion {
    private static final Logger LOG = Logger.getLogger(Promotion.class.getName());

    private final String me;
    private final ClusterStore store;
    private final PostgresController pg;
    private final LongActionSlot slot;
    private final LeaderDuties duties;
    private final Executor background;
    private final LoopContext hooks;
    private final FenceBeforePromote fencer;
    private final Consumer<PromotionReport> reports;
    private final LongSupplier ticker;
    private volatile boolean checkpointPending;
    /** When (ticker) the pre_promote script last failed and the key was released; null: never. */
    private volatile Long prePromoteFailedAt;
    /** Why the last promotion was cancelled by pre_promote, for the next cycle's sentence; null: none. */
    private final java.util.concurrent.atomic.AtomicReference<String> cancelled =
            new java.util.concurrent.atomic.AtomicReference<>();

    Promotion(String me, ClusterStore store, PostgresController pg, LongActionSlot slot, LeaderDuties duties,
              Executor background, LoopContext hooks, FenceBeforePromote fencer, Consumer<PromotionReport> reports,
              LongSupplier ticker) {
        this.me = me;
        this.store = store;
        this.pg = pg;
        this.slot = slot;
        this.duties = duties;
        this.background = background;
        this.hooks = hooks;
        this.fencer = fencer;
        this.reports = reports;
        this.ticker = ticker;
    }

    /** True from the start of a promotion until its checkpoint finished. */
    boolean checkpointPending() {
        return checkpointPending;
    }

    /**
     * Starts the promotion of the running replica (the lock is already ours); returns the cycle's
     * sentence, {@code sentence} unless the sync key cannot be claimed first. When a fence is owed
     * to the old primary ({@link FenceBeforePromote#pending()}), the long action fences and drains
     * first, confirms the leader key is still ours, and only then promotes; the sentence says so.
     */
    String promote(ClusterView view, int oldTimeline, DynamicConfig dynamic, String sentence) {
        long backoff = backoffSeconds(dynamic.ttl());
        if (backoff > 0) {
            // The key is mine again although a pre_promote failed moments ago (its release failed).
            hooks.holdLock(0);
            store.releaseLeader();
            return "not promoting: the pre_promote script failed; released the leader key (backing off "
                    + backoff + " s more)";
        }
        if (dynamic.synchronousMode()) {
            // Patroni's order: claim the sync key first (no standby listed: none is known to hold my
            // future commits), so that no one else counts as a synchronous standby of the old primary.
            if (!store.casSync(SyncState.toJson(me, null), view.sync().modRevision())) {
                return "postponing promotion: the sync key was changed by someone else";
            }
        }
        String names = dynamic.synchronousMode() ? SyncPlanner.namesValue(List.of(), dynamic.strictSynchronous()) : null;
        MemberStatus old = fencer.pending();
        MemberStatus known = fencer.lastOtherLeader();
        String oldName = old != null ? old.name() : known == null ? null : known.name();
        LongAction.Running first = old == null ? LongAction.PROMOTE.running()
                : LongAction.FENCE.on(old.name() + (old.host() != null ? " (over sql)" : " (over rest)"));
        long submitted = ticker.getAsLong();
        slot.submit(first, () -> {
            long began = ticker.getAsLong();
            FenceBeforePromote.Outcome fenced = FenceBeforePromote.Outcome.notAttempted(oldName);
            long fencedAt = began;
            if (old != null) {
                fenced = fencer.fenceAndDrain(old, dynamic, slot::progress);
                hooks.listener().fencedBeforePromotion(fenced.label());
                fencedAt = ticker.getAsLong();
                if (!stillMine(fencedAt - submitted, dynamic)) {
                    LOG.warning("not promoting: the leader key is no longer mine after fencing " + old.name());
                    return;
                }
                fencer.settled();
                slot.progress(LongAction.PROMOTE.running());
            }
            long confirmedAt = ticker.getAsLong();
            if (pg.hasPrePromote()) {
                // Patroni's fencing hook, synchronous, bounded by pg_ctl_timeout (a timeout is a failure).
                String failed = pg.prePromote();
                if (failed != null) {
                    cancel(failed);
                    return;
                }
                if (!stillMine()) {
                    LOG.warning("not promoting: the leader key is no longer mine after the pre_promote script");
                    return;
                }
            }
            checkpointPending = true;
            long started = ticker.getAsLong();
            // A clone or rewind copied the old primary's synchronous_standby_names along: replace it
            // before opening for writes (it may name this very node, and commits would hang).
            pg.ensureSynchronousStandbyNames(names);
            duties.syncNamesApplied(names);
            pg.promote(Duration.ofSeconds(60));
            long promoteMs = TimeUnit.NANOSECONDS.toMillis(ticker.getAsLong() - started);
            hooks.dataDirChanged();
            // Open for writes now: /primary answers 200 (the lock is held) without waiting for the
            // slots, the history key and the next cycle.
            hooks.publishPromoted();
            LOG.info("promoted: writable " + ms(ticker.getAsLong() - submitted) + " ms after the leader key was won"
                    + " (start " + ms(began - submitted) + ", fence and drain " + ms(fencedAt - began)
                    + ", confirm " + ms(confirmedAt - fencedAt) + ", pre_promote " + ms(started - confirmedAt)
                    + ", synchronous_standby_names and promote " + promoteMs + ", all in ms)");
            hooks.listener().roleChanged(Role.PRIMARY);
            reports.accept(fenced.report(hooks.now(), promoteMs));
            PgStatus after = pg.status();
            // Slots first: the other members re-point to this node as soon as they see the new key.
            duties.maintainSlots(view, dynamic);
            appendHistory(view, oldTimeline, after.timeline(), fenced.note());
            checkpointAfterPromote();
        });
        if (old == null) {
            return sentence;
        }
        return sentence + "; fencing " + old.name() + " first";
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    /**
     * The pre_promote script failed: Patroni releases the leader key voluntarily, does not promote
     * and stays out of the leader race for a ttl ({@link #backoffSeconds}). Runs on the long-action
     * slot; the next cycle's sentence says so ({@link #takeCancellation}).
     */
    private void cancel(String why) {
        LOG.warning("releasing the leader key voluntarily because the pre_promote script failed: " + why);
        prePromoteFailedAt = ticker.getAsLong();
        cancelled.set("promotion cancelled because the pre_promote script failed (" + why + "); released the leader key");
        hooks.exclusively(() -> {
            hooks.holdLock(0);
            try {
                store.releaseLeader();
            } catch (RuntimeException e) {
                // The next cycle finds the key still mine and releases it again (promote's backoff).
                LOG.warning("could not release the leader key after the failed pre_promote: " + e.getMessage());
            }
            return null;
        });
    }

    /**
     * Seconds this node stays out of the leader race after a failed pre_promote (Patroni: a ttl
     * from the release), 0 when it may race.
     */
    long backoffSeconds(int ttl) {
        Long at = prePromoteFailedAt;
        if (at == null) {
            return 0;
        }
        long left = TimeUnit.SECONDS.toNanos(ttl) - (ticker.getAsLong() - at);
        return left <= 0 ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toSeconds(left));
    }

    /** Why the last promotion was cancelled by pre_promote, once (then null). */
    String takeCancellation() {
        return cancelled.getAndSet(null);
    }

    /**
     * Before promoting after a fence that took {@code nanos} since the key was won: the lock is
     * still held, and, after a fence longer than a loop_wait, the leader key is still mine (read
     * now). After a quicker one it promotes on the acquisition itself, as a promotion without a
     * fence does: a key taken less than a loop_wait ago, on a lease the loop keeps renewing, is
     * lost only to a delete by hand, which no promotion re-checks for (and the read would cost the
     * promotion an etcd round trip, behind the cycle's own member-key write).
     */
    private boolean stillMine(long nanos, DynamicConfig dynamic) {
        if (nanos < TimeUnit.SECONDS.toNanos(dynamic.loopWait())) {
            return hooks.holdsLock();
        }
        return stillMine();
    }

    /** Before promoting after a fence: the lock is still held and the leader key still mine (read now). */
    private boolean stillMine() {
        return hooks.exclusively(() -> {
            try {
                return hooks.holdsLock() && store.confirmLeader();
            } catch (RuntimeException e) {
                LOG.warning("could not confirm the leader key before promoting: " + e.getMessage());
                return false;
            }
        });
    }

    private void checkpointAfterPromote() {
        background.execute(() -> {
            try {
                pg.checkpoint();
            } catch (PostgresException e) {
                LOG.warning("checkpoint after promotion failed: " + e.getMessage());
            } finally {
                checkpointPending = false;
                hooks.wakeUp();
            }
        });
    }

    private void appendHistory(ClusterView view, int oldTimeline, int newTimeline, String note) {
        try {
            HistoryEntry line = historyLine(pg.timelineHistory(newTimeline), oldTimeline, hooks.now(), me);
            if (note != null) {
                line = new HistoryEntry(line.timeline(), line.lsn(), line.reason() + "; " + note, line.timestamp(),
                        line.newLeader());
            }
            String current = view.snapshot().history() == null ? null : view.snapshot().history().value();
            store.putHistory(History.append(current, line));
        } catch (RuntimeException e) {
            LOG.warning("could not append to the history key: " + e.getMessage());
        }
    }

    /**
     * The history line for the switch from {@code oldTimeline}: where it ended and why, read from
     * the new timeline's history file ({@code <tli>\t<lsn>\t<reason>} lines), if there is one.
     */
    static HistoryEntry historyLine(String historyFile, int oldTimeline, String now, String newLeader) {
        long switchLsn = 0;
        String reason = "no recovery target specified";
        if (historyFile != null) {
            for (String line : historyFile.split("\n")) {
                String[] f = line.trim().split("\t");
                if (f.length >= 2 && f[0].matches("\\d+") && Integer.parseInt(f[0]) == oldTimeline) {
                    switchLsn = Lsn.parse(f[1]);
                    reason = f.length > 2 ? f[2] : reason;
                }
            }
        }
        return new HistoryEntry(oldTimeline, switchLsn, reason, now, newLeader);
    }
}
