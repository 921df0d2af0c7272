package dev.baton.agent.ha;

import dev.baton.agent.postgres.PgStatus;
import dev.baton.agent.postgres.PostgresController;
import dev.baton.agent.postgres.PostgresException;
import dev.baton.leader.StoreUnavailableException;
import dev.baton.leader.model.Role;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * A cycle in which the cluster store could not be reached: {@link OutagePolicy} decides, this
 * class acts. A primary no longer sure of its lease is fenced and comes back read-only, as a
 * standby that follows no one. With failsafe_mode, a primary first asks every member of the
 * {@code failsafe} key ({@link FailsafeRound}): if all accept, it keeps running and holds the lock
 * (fence and watchdog) for {@link FailsafePolicy#holdUntil}; if any does not, it demotes at once.
 */
record OutageResponse(PostgresController pg, LockHold lock, LongActionSlot slot, DataDirCache dataDir,
                      LoopContext ctx, LongSupplier ticker, FailsafeRound failsafe, FailsafeState failsafeState) {
    private static final Logger LOG = Logger.getLogger(OutageResponse.class.getName());

    /** Acts on the outage {@code e}, the store having been unreachable for {@code downNanos}; returns the sentence. */
    String respond(StoreUnavailableException e, long downNanos) {
        boolean alive = pg.isRunning();
        PgStatus status = alive ? pg.status() : PgStatus.stopped();
        // Only while the hold (lease or last round) still runs: once it ended, the fence stopped postgres.
        FailsafeRound.Result round = failsafe == null || !alive || ctx.dynamic().pause() || !holding()
                ? null : failsafe.run(ctx.dynamic(), status);
        if (round != null && round.round().keep() && holding()) {
            // Every member accepted after round.startedAt() and does not race for ttl after that.
            lock.hold(FailsafePolicy.holdUntil(round.startedAt(), ctx.dynamic().ttl()), false);
            failsafeState.activeAsLeader(true);
            ctx.publishLocal();
            return round.round().sentence();
        }
        failsafeState.activeAsLeader(false);
        boolean sure = round == null && LeaseMath.stillSure(lock.validUntil(), ticker.getAsLong());
        if (!sure) {
            lock.release();
        }
        OutagePolicy.Outcome outcome = OutagePolicy.decide(new OutagePolicy.Facts(status.runningAsPrimary(), alive, sure,
                ctx.dynamic().pause(), lock.fenced(), slot.running() != null, downNanos / 1e9, e.getMessage()));
        switch (outcome.action()) {
            case DEMOTE -> {
                lock.fenceNow();
                startReadOnly();
            }
            case FENCE -> lock.fenceNow();
            case START_READ_ONLY -> startReadOnly();
            case NONE -> { }
            default -> throw new IllegalStateException(outcome.action().toString());
        }
        ctx.publishLocal();
        return round != null && outcome.action() != OutagePolicy.Action.NONE ? round.round().sentence()
                : outcome.sentence();
    }

    private boolean holding() {
        return !lock.fenced() && LeaseMath.stillSure(lock.validUntil(), ticker.getAsLong());
    }

    private void startReadOnly() {
        try {
            pg.configure(true, null, ctx.dynamic());
            pg.start(DecisionExecutor.startTimeout(ctx.dynamic(), pg));
            lock.clearFenced();
            dataDir.invalidate();
            ctx.listener().started(Role.REPLICA);
        } catch (PostgresException e) {
            LOG.warning("could not start read-only: " + e.getMessage());
        }
    }
}
