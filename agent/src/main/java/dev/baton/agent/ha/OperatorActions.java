package dev.baton.agent.ha;

import dev.baton.agent.ha.OperatorPolicy.RestartRequest;
import dev.baton.agent.ha.OperatorPolicy.Result;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.agent.postgres.PostgresController.StopMode;
import dev.baton.agent.postgres.PostgresController.Upstream;
import dev.baton.agent.postgres.PostgresController;
import dev.baton.leader.model.Role;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The operator actions of the REST API ({@code POST /restart}, {@code /reload},
 * {@code /reinitialize}): checked by {@link OperatorPolicy}, run on the long-action slot (so the
 * loop reports them and never starts anything else meanwhile), and waited for, bounded.
 */
public final class OperatorActions {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(OperatorActions.class.getName());

    private final String me;
    private final PostgresController pg;
    private final LongActionSlot slot;
    private final Rejoin rejoin;
    private final ConfigApplier applier;
    private final Supplier<NodeState> state;
    private final LoopContext loop;
    private final Clock clock;
    private final AtomicReference<ScheduledRestart> scheduled = new AtomicReference<>();

    OperatorActions(String me, PostgresController pg, LongActionSlot slot, Rejoin rejoin, ConfigApplier applier,
                    Supplier<NodeState> state, LoopContext loop, Clock clock) {
        this.clock = clock;
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
        return restart(RestartRequest.of(role, pendingOnly), timeout);
    }

    /**
     * Restarts postgres now if the request's conditions hold, and waits up to {@code wait} (longer
     * when the request's {@code timeout} is: the start may take that long).
     */
    public Result restart(RestartRequest req, Duration wait) {
        PgStatus st = pg.isRunning() ? pg.status() : PgStatus.stopped();
        Optional<Result> refusal = OperatorPolicy.refuseRestart(st, req, loop.dynamic().pause());
        if (refusal.isPresent()) {
            return refusal.get();
        }
        Duration longest = req.timeoutSeconds() == null ? wait
                : Duration.ofSeconds(Math.max(wait.toSeconds(), req.timeoutSeconds() + 60L));
        return await(LongAction.RESTART, longest, restartBody(st, req));
    }

    /**
     * Stop (fast), configure as before, start. The start may take the request's {@code timeout}
     * (else the cluster's primary_start_timeout, at least 60 s); past it the restart fails and the
     * loop's usual handling of a postgres that is not running takes over (for the leader: starting
     * it again until primary_start_timeout, then releasing the key: a failover).
     */
    private java.util.concurrent.Callable<String> restartBody(PgStatus st, RestartRequest req) {
        // Stopped (only in pause): started as a replica unless this node holds the leader key.
        boolean replica = st.running() ? st.inRecovery() : !me.equals(state.get().lockHolder());
        Role current = replica ? Role.REPLICA : Role.PRIMARY;
        return () -> {
            Upstream up = replica ? applier.currentUpstream() : null;
            if (st.running()) {
                pg.beforeStop();
                pg.stop(StopMode.FAST, pg.pgCtlTimeout());
                loop.listener().stoppedForRestart(current);
            }
            pg.configure(replica, up, loop.dynamic());
            pg.start(req.timeoutSeconds() != null ? Duration.ofSeconds(req.timeoutSeconds())
                    : DecisionExecutor.startTimeout(loop.dynamic(), pg));
            loop.listener().restarted(current); // on_restart, not on_stop and on_start (Patroni)
            return "restarted successfully";
        };
    }

    /**
     * {@code POST /restart} with a {@code schedule}: remembered (202), run by the loop when due
     * ({@link #runScheduledIfDue}). Patroni's answers: one already scheduled is 409, a time in
     * the past 422, paused 503 (Patroni: 500).
     */
    public Result schedule(RestartRequest req, OffsetDateTime at) {
        if (loop.dynamic().pause()) {
            return new Result(503, "Can't schedule restart in the paused state");
        }
        if (at.toInstant().isBefore(clock.instant())) {
            return new Result(422, "Cannot schedule restart in the past");
        }
        String startedAt = pg.isRunning() ? pg.status().startedAt() : null;
        if (!scheduled.compareAndSet(null, new ScheduledRestart(at, req, startedAt))) {
            return new Result(409, "Another restart is already scheduled");
        }
        LOG.info("restart scheduled at " + at + " " + scheduled.get().describe(false));
        loop.wakeUp();
        return new Result(202, "Restart scheduled");
    }

    /** {@code DELETE /restart}: Patroni's 200 and 404. */
    public Result deleteScheduled() {
        ScheduledRestart was = scheduled.getAndSet(null);
        if (was == null) {
            return new Result(404, "no restarts are scheduled");
        }
        LOG.info("scheduled restart at " + was.schedule() + " deleted");
        loop.wakeUp();
        return new Result(200, "scheduled restart deleted");
    }

    /** The scheduled restart, if any. */
    public Optional<ScheduledRestart> scheduled() {
        return Optional.ofNullable(scheduled.get());
    }

    /** How long until the scheduled restart is due (the loop wakes up then), or empty. */
    Optional<Duration> untilScheduled() {
        ScheduledRestart r = scheduled.get();
        return r == null ? Optional.empty() : Optional.of(Duration.between(clock.instant(), r.schedule().toInstant()));
    }

    /**
     * Called by a cycle (under the cycle lock) that took no other action, with no long action
     * running: starts the scheduled restart on the long-action slot when it is due and its
     * conditions hold, drops it when they do not or when it is stale. The sentence, or null when
     * nothing happened.
     */
    String runScheduledIfDue(PgStatus st, boolean paused) {
        ScheduledRestart r = scheduled.get();
        if (r == null) {
            return null;
        }
        ScheduledRestart.Verdict v = ScheduledRestart.evaluate(r, clock.instant(), loop.dynamic().loopWait(), paused, st);
        if (v instanceof ScheduledRestart.Verdict.Wait) {
            return null;
        }
        scheduled.compareAndSet(r, null);
        if (v instanceof ScheduledRestart.Verdict.Drop d) {
            LOG.warning("scheduled restart at " + r.schedule() + " not done: " + d.why());
            return null;
        }
        LOG.info("scheduled restart at " + r.schedule() + ": restarting postgres");
        java.util.concurrent.Callable<String> body = restartBody(st, r.request());
        slot.submit(LongAction.RESTART.running(), () -> {
            try {
                body.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        });
        return "restart initiated: scheduled at " + r.schedule();
    }

    /** Re-renders postgresql.conf from the current configuration and reloads postgres. */
    public Result reload() {
        Optional<Result> refusal = OperatorPolicy.refuseReload(pg.isRunning());
        if (refusal.isPresent()) {
            return refusal.get();
        }
        Result r = await(LongAction.RELOAD, Duration.ofSeconds(30), () -> {
            applier.reload(loop.dynamic()); // the listener hears of it (on_reload)
            return "reloaded";
        });
        return r.status() == 200 ? new Result(202, "reload scheduled") : r;
    }

    /** Wipes this replica's data directory; the next cycle clones it again (from a clonefrom member or the leader). */
    public Result reinitialize() {
        return reinitialize(false);
    }

    /**
     * {@link #reinitialize()}; with {@code force}, as in Patroni, a long action in progress is
     * cancelled first instead of refusing (only one {@link OperatorPolicy#cancellableByForce} allows:
     * never a promotion).
     */
    public Result reinitialize(boolean force) {
        Optional<Result> refusal = OperatorPolicy.refuseReinitialize(loop.holdsLock(), me.equals(state.get().lockHolder()));
        if (refusal.isPresent()) {
            return refusal.get();
        }
        // A few tries: the loop may start another action (a start) between the cancel and the submit.
        for (int attempt = 0; force && attempt < 3; attempt++) {
            LongAction.Running busy = slot.running();
            if (busy == null) {
                break;
            }
            if (!OperatorPolicy.cancellableByForce(busy.action())) {
                return new Result(503, busy.description() + " is in progress and cannot be cancelled; try again later");
            }
            LOG.warning("reinitialize with force: cancelling " + busy.description());
            if (!slot.cancel(Duration.ofSeconds(30))) {
                return new Result(503, busy.description() + " did not stop within 30 s of being cancelled; try again");
            }
        }
        return await(LongAction.REINITIALIZE, Duration.ofSeconds(120), () -> {
            pg.beforeStop();
            pg.stop(StopMode.FAST, pg.pgCtlTimeout());
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
