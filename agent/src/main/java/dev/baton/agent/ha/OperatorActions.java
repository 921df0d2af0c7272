package dev.baton.agent.ha;

import dev.baton.agent.ha.OperatorPolicy.Result;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.agent.postgres.PostgresController.StopMode;
import dev.baton.agent.postgres.PostgresController.Upstream;
import dev.baton.agent.postgres.PostgresController;
import dev.baton.leader.model.Role;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The operator actions of the REST API ({@code POST /restart}, {@code /reload},
 * {@code /reinitialize}): checked by {@link OperatorPolicy}, run on the long-action slot (so the
 * loop reports them and never starts anything else meanwhile), and waited for, bounded.
 */
public final class OperatorActions {

    private final String me;
    private final PostgresController pg;
    private final LongActionSlot slot;
    private final Rejoin rejoin;
    private final ConfigApplier applier;
    private final Supplier<NodeState> state;
    private final LoopContext loop;

    OperatorActions(String me, PostgresController pg, LongActionSlot slot, Rejoin rejoin, ConfigApplier applier,
                    Supplier<NodeState> state, LoopContext loop) {
        this.me = me;
        this.pg = pg;
        this.slot = slot;
        this.rejoin = rejoin;
        this.applier = applier;
        this.state = state;
        this.loop = loop;
    }

    /**
     * Restarts postgres in its current role and waits for the result.
     *
     * @param role        only if this node has that role ({@code primary}/{@code master}, {@code replica}, {@code any}; null: any)
     * @param pendingOnly only if a changed parameter waits for a restart
     */
    public Result restart(String role, boolean pendingOnly, Duration timeout) {
        PgStatus st = pg.isRunning() ? pg.status() : PgStatus.stopped();
        OperatorPolicy.RoleFilter filter = OperatorPolicy.RoleFilter.parse(role)
                .orElseThrow(() -> new IllegalArgumentException("role must be primary, replica or any; got \"" + role + "\""));
        Optional<Result> refusal = OperatorPolicy.refuseRestart(st, filter, pendingOnly);
        if (refusal.isPresent()) {
            return refusal.get();
        }
        Role current = st.inRecovery() ? Role.REPLICA : Role.PRIMARY;
        return await(LongAction.RESTART, timeout, () -> {
            boolean replica = st.inRecovery();
            Upstream up = replica ? applier.currentUpstream() : null;
            pg.stop(StopMode.FAST, Duration.ofSeconds(60));
            loop.listener().stopped(current);
            pg.configure(replica, up, loop.dynamic());
            pg.start(DecisionExecutor.startTimeout(loop.dynamic()));
            loop.listener().started(current);
            return "restarted successfully";
        });
    }

    /** Re-renders postgresql.conf from the current configuration and reloads postgres. */
    public Result reload() {
        Optional<Result> refusal = OperatorPolicy.refuseReload(pg.isRunning());
        if (refusal.isPresent()) {
            return refusal.get();
        }
        Result r = await(LongAction.RELOAD, Duration.ofSeconds(30), () -> {
            applier.reload(loop.dynamic());
            loop.listener().reloaded();
            return "reloaded";
        });
        return r.status() == 200 ? new Result(202, "reload scheduled") : r;
    }

    /** Wipes this replica's data directory; the next cycle clones it again (from a clonefrom member or the leader). */
    public Result reinitialize() {
        Optional<Result> refusal = OperatorPolicy.refuseReinitialize(loop.holdsLock(), me.equals(state.get().lockHolder()));
        if (refusal.isPresent()) {
            return refusal.get();
        }
        return await(LongAction.REINITIALIZE, Duration.ofSeconds(120), () -> {
            pg.stop(StopMode.FAST, Duration.ofSeconds(60));
            loop.listener().stopped(Role.REPLICA);
            // Checked again after the stop, which can take a while: if the leader is gone now, this
            // replica may be the best candidate, so its data stays (the loop starts it again).
            if (state.get().lockHolder() == null) {
                throw new IllegalStateException("the cluster lost its leader while postgres stopped; "
                        + "the data directory was kept");
            }
            pg.removeDataDirectory();
            rejoin.reset();
            return "reinitialize started";
        });
    }

    /** Either the refusal or the submitted action's outcome. */
    private record Submission(Result refused, CompletableFuture<String> done) {
    }

    private Result await(LongAction action, Duration timeout, java.util.concurrent.Callable<String> body) {
        // Checked and submitted under the cycle lock, so no cycle starts a long action in between.
        Submission s = loop.exclusively(() -> {
            Optional<Result> busy = OperatorPolicy.refuseWhileBusy(slot.running());
            return busy.isPresent() ? new Submission(busy.get(), null)
                    : new Submission(null, slot.submitForResult(action.running(), body));
        });
        if (s.refused() != null) {
            return s.refused();
        }
        CompletableFuture<String> done = s.done();
        String description = action.running().description();
        try {
            return new Result(200, done.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            return new Result(503, description + " did not finish within " + timeout.toSeconds() + " s");
        } catch (ExecutionException e) {
            return new Result(503, description + " failed: " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(503, description + " was interrupted");
        }
    }
}
