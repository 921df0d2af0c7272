package dev.baton.aws.routing;

import dev.baton.agent.routing.LoadBalancerRouter;
import dev.baton.agent.routing.RoutingMetrics;
import dev.baton.agent.routing.RoutingStatus;
import dev.baton.aws.routing.RoutingPlan.Plan;
import dev.baton.aws.routing.RoutingPlan.Want;
import dev.baton.config.AwsConfig.Mode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * Keeps AWS load balancers routed to the primary, on its own thread.
 *
 * <p>{@link #primary()} and {@link #notPrimary()} only record the newest desired state (a
 * generation number) and wake the router's thread; they never wait. That thread then, for each
 * load balancer: reads the targets and their health (DescribeTargetHealth or
 * DescribeInstanceHealth), works out the changes with {@link RoutingPlan}, makes them, and reads
 * again to verify. Before every call it checks that the desired state is still the one it works
 * for: a change for a superseded state is abandoned, never completed late.
 *
 * <p>A failed pass is retried with exponential backoff and jitter (longer when throttled) for as
 * long as the desired state stands. Without a change, the load balancer is compared with the
 * desired state every {@code reconcile_interval} (with jitter, so that members do not call in
 * step), which repairs drift such as a replica registered by hand.
 *
 * <p>The member's identity (instance metadata) is resolved, and the API clients built, on the
 * router's thread too, so that a slow or absent metadata service never delays the agent's start.
 */
public final class AwsRouter implements LoadBalancerRouter {
    private static final Logger LOG = Logger.getLogger(AwsRouter.class.getName());
    /** After this many failed passes in a row, failures are logged every this many passes only. */
    private static final int LOG_EVERY = 10;
    private static final int MAX_ROUNDS = 2;

    /** Learns who this member is and builds the clients; runs on the router's thread, may block. */
    @FunctionalInterface
    interface Connector {
        Connection connect() throws Exception;
    }

    /** This member's target id and the load balancers to route. */
    record Connection(String self, List<TargetSet> sets) implements AutoCloseable {
        Connection {
            Objects.requireNonNull(self, "self");
            sets = List.copyOf(sets);
        }

        @Override
        public void close() {
            for (TargetSet s : sets) {
                try {
                    s.close();
                } catch (RuntimeException e) {
                    LOG.log(Level.FINE, "closing " + s.name() + ": " + e, e);
                }
            }
        }
    }

    /** The desired state a pass works for. */
    private record Job(Want want, long generation, long sinceNanos, boolean demoted) {
    }

    /** A pass was overtaken by a newer desired state. */
    private static final class Abandoned extends Exception {
        private static final long serialVersionUID = 1L;
        final String action;

        Abandoned(String action) {
            super(action, null, false, false);
            this.action = action;
        }
    }

    private enum Outcome { DONE, ABANDONED, FAILED }

    private final Mode mode;
    private final int port;
    private final Connector connector;
    private final RoutingMetrics metrics;
    private final RoutingTiming timing;
    private final LongSupplier ticker;
    private final Random random;
    private final Object lock = new Object();
    private final Thread worker;

    // Guarded by lock.
    private Want want = Want.UNKNOWN;
    private long generation;
    private long wantSince;
    private boolean demoted;
    private boolean checkNow;
    private boolean closing;
    private boolean started;
    /** The router's thread waits and nothing was due at the ticker's time when it began to. */
    private boolean idle;

    // The router's thread only.
    private volatile Connection connection;
    private final Set<String> demotionDone = new HashSet<>();
    private final Set<String> standbyRegistered = new HashSet<>();
    private final Set<String> standbyDisabled = new HashSet<>();
    private long demotionGeneration = -1;
    private long latencyRecordedFor = -1;
    private boolean throttledLast;
    private boolean changedLastPass;
    private boolean standbyOnly;
    private String lastFailure;
    private int failureCount;

    private volatile RoutingStatus status;

    /**
     * @param mode      aws.mode
     * @param port      the port registered with target groups
     * @param connector resolves identity and builds the clients, on the router's thread
     * @param metrics   where changes and API calls are counted
     * @param timing    intervals and backoff
     * @param ticker    monotonic clock (System::nanoTime)
     * @param random    jitter
     */
    public AwsRouter(Mode mode, int port, Connector connector, RoutingMetrics metrics, RoutingTiming timing,
                     LongSupplier ticker, Random random) {
        this.mode = Objects.requireNonNull(mode, "mode");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be between 1 and 65535, got " + port);
        }
        this.port = port;
        this.connector = Objects.requireNonNull(connector, "connector");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.timing = Objects.requireNonNull(timing, "timing");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.random = Objects.requireNonNull(random, "random");
        this.status = new RoutingStatus("unknown", false, null, null, "not started", 0);
        this.worker = new Thread(this::run, "baton-routing");
        this.worker.setDaemon(true);
    }

    /** Starts the router's thread; the first check runs at once. */
    public AwsRouter start() {
        synchronized (lock) {
            if (started) {
                throw new IllegalStateException("the router can be started only once");
            }
            if (closing) {
                throw new IllegalStateException("the router is closed");
            }
            started = true;
        }
        worker.start();
        return this;
    }

    // ------------------------------------------------------------------ the caller's side

    @Override
    public void primary() {
        desire(Want.PRIMARY);
    }

    @Override
    public void notPrimary() {
        desire(Want.NOT_PRIMARY);
    }

    private void desire(Want w) {
        synchronized (lock) {
            if (closing) {
                return;
            }
            if (want == w) {
                checkNow = true; // the same state again: look again soon, but it is no new change
            } else {
                demoted = w == Want.NOT_PRIMARY && (want == Want.PRIMARY || demoted);
                want = w;
                generation++;
                wantSince = ticker.getAsLong();
            }
            idle = false;
            lock.notifyAll();
        }
    }

    @Override
    public RoutingStatus status() {
        return status;
    }

    /**
     * Stops the router. A member that leaves takes itself out of the load balancer first (modes
     * register and both), for at most {@link RoutingTiming#closeGrace()}.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closing) {
                return;
            }
            closing = true;
            generation++;
            idle = false;
            lock.notifyAll();
        }
        if (worker.isAlive()) {
            try {
                worker.join(timing.closeGrace().toMillis() + 500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (worker.isAlive()) {
                LOG.warning("routing: gave up on the load balancer after " + timing.closeGrace().toMillis()
                        + " ms while shutting down");
                worker.interrupt();
            }
        }
        Connection c = connection;
        if (c != null) {
            c.close();
        }
    }

    /**
     * Wakes the router's thread to read the ticker again. Production needs no such call (its
     * waits end when the time comes); tests that move a virtual ticker do.
     */
    void wake() {
        synchronized (lock) {
            idle = false;
            lock.notifyAll();
        }
    }

    /**
     * Waits until the router's thread is idle: waiting, with nothing due at the ticker's time
     * and no change since. With a virtual ticker nothing happens after that until the test moves
     * the ticker ({@link #wake()}) or the desired state changes, so that "nothing happened" can be
     * asserted without sleeping. A closed router counts as idle. Returns false if {@code
     * timeoutMillis} passed first.
     */
    boolean awaitIdle(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        synchronized (lock) {
            while (!idle && !closing) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
            return true;
        }
    }

    // ------------------------------------------------------------------ the router's thread

    private void run() {
        long nextCheck = ticker.getAsLong();
        long retryAt = 0;
        int failures = 0;
        long failedGeneration = -1;
        long doneGeneration = -1;
        while (true) {
            Job job;
            boolean leaving;
            try {
                synchronized (lock) {
                    while (true) {
                        long now = ticker.getAsLong();
                        if (closing) {
                            break;
                        }
                        if (checkNow) {
                            checkNow = false;
                            break;
                        }
                        if (generation != doneGeneration && generation != failedGeneration) {
                            break; // a new desired state: act now, even in the middle of a backoff
                        }
                        long due = failures > 0 ? retryAt : nextCheck;
                        if (now - due >= 0) {
                            break;
                        }
                        long waitNanos = due - now;
                        idle = true;
                        lock.notifyAll(); // for awaitIdle
                        lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos)));
                        idle = false;
                    }
                    leaving = closing;
                    job = new Job(closing ? Want.LEAVING : want, generation, wantSince, demoted);
                }
            } catch (InterruptedException e) {
                return;
            }
            if (leaving) {
                leave(job);
                return;
            }
            if (job.generation() != failedGeneration) {
                failures = 0;
            }
            Outcome outcome;
            try {
                outcome = pass(job);
            } catch (RuntimeException e) {
                // A bug or an SDK surprise must not end routing: count it as a failed pass.
                LOG.log(Level.WARNING, "routing: unexpected error: " + e, e);
                throttledLast = false;
                outcome = Outcome.FAILED;
            }
            long now = ticker.getAsLong();
            switch (outcome) {
                case DONE -> {
                    if (failures > 0) {
                        LOG.info("routing: the load balancer API answers again after " + failures + " failed attempt"
                                + (failures == 1 ? "" : "s"));
                    }
                    failures = 0;
                    failedGeneration = -1;
                    doneGeneration = job.generation();
                    nextCheck = now + (changedLastPass ? timing.followUp().toNanos() : jittered(timing.reconcileInterval()));
                }
                case ABANDONED -> {
                    failures = 0;
                    failedGeneration = -1;
                }
                case FAILED -> {
                    failures++;
                    failedGeneration = job.generation();
                    retryAt = now + backoff(failures, throttledLast);
                }
            }
        }
    }

    /** The reconcile interval less up to 20 %, so that members do not call the API in step. */
    private long jittered(Duration interval) {
        long n = interval.toNanos();
        return n - (long) (random.nextDouble() * n / 5);
    }

    /** Exponential backoff with "equal jitter": between half and all of min(cap, base * 2^(n-1)). */
    long backoff(int failures, boolean throttled) {
        long base = (throttled ? timing.throttleBase() : timing.backoffBase()).toNanos();
        long cap = timing.backoffCap().toNanos();
        long exp = failures >= 31 ? cap : Math.min(cap, base << Math.min(30, failures - 1));
        exp = Math.max(1, Math.min(cap, exp));
        return exp / 2 + (long) (random.nextDouble() * (exp - exp / 2));
    }

    /** One pass over every load balancer; never throws. */
    private Outcome pass(Job job) {
        changedLastPass = false;
        throttledLast = false;
        Connection c = connection;
        if (c == null) {
            try {
                c = connector.connect();
                connection = c;
                LOG.info("routing: this member is target " + c.self() + " of "
                        + c.sets().stream().map(TargetSet::name).collect(Collectors.joining(" and "))
                        + " (aws.mode " + mode + ")");
            } catch (Exception e) {
                failure("cannot start routing: " + e.getMessage(), e);
                return Outcome.FAILED;
            }
        }
        if (job.generation() != demotionGeneration) {
            demotionGeneration = job.generation();
            demotionDone.clear();
            if (job.want() != Want.NOT_PRIMARY) {
                standbyRegistered.clear();
            }
        }
        boolean failed = false;
        boolean inSync = true;
        boolean allRegistered = true;
        boolean allHealthy = true;
        List<String> changes = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        standbyOnly = true;
        for (TargetSet set : c.sets()) {
            try {
                Plan last = converge(set, c.self(), job, changes);
                if (last == null) {
                    inSync = false;
                } else {
                    allRegistered &= last.selfRegistered();
                    allHealthy &= last.selfHealthy();
                }
            } catch (Abandoned a) {
                String message = "routing: abandoned the " + a.action + " for \"" + describe(job.want())
                        + "\": the role changed again";
                if (a.action.equals("check")) {
                    LOG.fine(message);
                } else {
                    metrics.change(a.action, "abandoned");
                    LOG.info(message);
                }
                return Outcome.ABANDONED;
            } catch (RoutingCallException e) {
                failed = true;
                inSync = false;
                throttledLast |= e.throttled();
                errors.add(set.name() + ": " + e.getMessage());
            }
        }
        long now = ticker.getAsLong();
        if (!changes.isEmpty()) {
            changedLastPass = true;
            String after = "";
            // The time from a role change to the load balancer following it; a stand-by
            // registration follows the primary's health, not a role change of this member.
            boolean roleChange = job.want() == Want.PRIMARY || job.want() == Want.NOT_PRIMARY && !standbyOnly;
            if (latencyRecordedFor != job.generation() && roleChange) {
                latencyRecordedFor = job.generation();
                long nanos = now - job.sinceNanos();
                metrics.latency(nanos);
                after = String.format(Locale.ROOT, " (%d ms after the role change)", TimeUnit.NANOSECONDS.toMillis(nanos));
            }
            LOG.info("routing: " + String.join("; ", changes) + after);
        }
        boolean known = !failed || !changes.isEmpty();
        Boolean registered = known && !failed ? allRegistered : null;
        Boolean healthy = known && !failed ? allHealthy : null;
        metrics.registered(registered);
        metrics.inSync(inSync && !failed);
        String detail = failed ? String.join("; ", errors)
                : changes.isEmpty() ? (inSync ? "in sync" : "changes made, not visible yet") : String.join("; ", changes);
        status = new RoutingStatus(describe(job.want()), inSync && !failed, registered, healthy, detail, now);
        if (failed) {
            failure(String.join("; ", errors), null);
            return Outcome.FAILED;
        }
        lastFailure = null;
        return Outcome.DONE;
    }

    /** Logs a failure: the first of a series, a changed one, and every {@link #LOG_EVERY}th. */
    private void failure(String message, Exception e) {
        failureCount = lastFailure == null ? 1 : failureCount + 1;
        boolean loud = lastFailure == null || !lastFailure.equals(message) || failureCount % LOG_EVERY == 0;
        lastFailure = message;
        if (loud) {
            LOG.warning("routing: " + message + (failureCount > 1 ? " (" + failureCount + " attempts so far)" : "")
                    + "; retrying with backoff, the HA loop is not affected");
        } else {
            LOG.log(Level.FINE, "routing: " + message, e);
        }
        if (connection == null) {
            status = new RoutingStatus(describe(currentWant()), false, null, null, message, ticker.getAsLong());
            metrics.inSync(false);
        }
    }

    private Want currentWant() {
        synchronized (lock) {
            return want;
        }
    }

    /**
     * Brings one load balancer to the desired state: read, plan, change, read again. Returns the
     * last plan (which found nothing to do), or null when the changes were made but are not
     * visible yet (the API is eventually consistent: the next check looks again).
     */
    private Plan converge(TargetSet set, String self, Job job, List<String> changes)
            throws RoutingCallException, Abandoned {
        String name = set.name();
        for (int round = 0; ; round++) {
            current(job, "check");
            List<Target> targets = set.describe();
            boolean demotedHere = job.demoted() && !demotionDone.contains(name);
            Plan p = RoutingPlan.plan(mode, job.want(), self, targets, demotedHere, !standbyDisabled.contains(name));
            if (demotedHere && !p.selfRegistered()) {
                demotionDone.add(name);
            }
            if (p.replicaHealthy() && standbyRegistered.contains(name) && standbyDisabled.add(name)) {
                LOG.warning("routing: " + name + " reports this replica healthy: its health check does not test "
                        + "/primary on the REST API port, so replicas no longer register as stand-by targets");
            }
            if (p.nothingToDo()) {
                return p;
            }
            if (round >= MAX_ROUNDS) {
                return null;
            }
            if (p.registerSelf()) {
                current(job, "register");
                try {
                    set.register(self, port);
                } catch (RoutingCallException e) {
                    metrics.change("register", "error");
                    throw e;
                }
                metrics.change("register", "ok");
                if (p.standby()) {
                    standbyRegistered.add(name);
                } else {
                    standbyOnly = false;
                }
                changes.add("registered " + self + " in " + name + (p.standby() ? " as a stand-by target" : ""));
            }
            if (!p.deregister().isEmpty()) {
                current(job, "deregister");
                try {
                    set.deregister(p.deregister());
                } catch (RoutingCallException e) {
                    metrics.change("deregister", "error");
                    throw e;
                }
                metrics.change("deregister", "ok");
                standbyOnly = false;
                changes.add("deregistered " + p.deregister().stream().map(Target::id).distinct()
                        .collect(Collectors.joining(", ")) + " from " + name);
            }
        }
    }

    /** Throws {@link Abandoned} when the desired state has moved on since {@code job}. */
    private void current(Job job, String action) throws Abandoned {
        synchronized (lock) {
            if (generation != job.generation()) {
                throw new Abandoned(action);
            }
        }
    }

    /** The last pass, on shutdown: a member that leaves takes itself out (register and both). */
    private void leave(Job job) {
        Connection c = connection;
        if (c == null || mode == Mode.HEALTH_CHECK) {
            return;
        }
        List<String> changes = new ArrayList<>();
        for (TargetSet set : c.sets()) {
            try {
                converge(set, c.self(), job, changes);
            } catch (RoutingCallException | RuntimeException e) {
                LOG.warning("routing: could not take this member out of " + set.name() + " on shutdown: "
                        + e.getMessage() + " (the health check will)");
            } catch (Abandoned a) {
                return; // cannot happen: nothing changes the generation after close
            }
        }
        if (!changes.isEmpty()) {
            LOG.info("routing: shutting down: " + String.join("; ", changes));
        }
    }

    private static String describe(Want w) {
        return switch (w) {
            case UNKNOWN -> "unknown";
            case PRIMARY -> "primary";
            case NOT_PRIMARY -> "not primary";
            case LEAVING -> "leaving";
        };
    }
}
