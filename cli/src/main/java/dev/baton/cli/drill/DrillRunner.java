package dev.baton.cli.drill;

import dev.baton.agent.client.AgentClient;
import dev.baton.cli.local.Writer;
import dev.baton.cli.support.Poll;
import java.io.PrintWriter;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Runs the drill's iterations against a {@link DrillTarget} while writers insert through its
 * load-balanced endpoint (or straight into every member, for stop-agent-tree: {@link Workload}): for each, heal and wait until the cluster is whole, inject the fault
 * into the primary, observe (REST of every member every 100 ms, the leader key, the writers'
 * acknowledgements: {@link Sampler}), follow what happens ({@link FailoverTracker}), heal, wait
 * until the faulted member streams again, count the lost writes, and hand the trace to
 * {@link DrillAnalysis}. {@code baton demo} runs one iteration of it and narrates it through a
 * {@link Listener}.
 */
public final class DrillRunner {
    static final long MS = FailoverTracker.MS;
    static final long S = FailoverTracker.S;
    /**
     * The cluster counts as whole again only after it looked whole for this long without a break
     * (and a write sent after it first looked whole was acknowledged): an agent answers REST from
     * the state of its last cycle, so a primary whose postgres just died still answers /primary 200
     * for up to loop_wait. At least {@link #MIN_STABLE_NANOS}, and loop_wait + 1 s.
     */
    private static final long MIN_STABLE_NANOS = 2 * S;

    /**
     * @param faults     the faults, each run {@code iterations} times, in this order
     * @param writers    concurrent writer threads
     * @param ttl        the cluster's leader TTL (sizes the waits)
     * @param loopWait   the cluster's loop_wait: how stale an agent's REST answers can be
     * @param durations  --duration per fault that lasts, in seconds
     */
    public record Settings(List<Fault> faults, int iterations, int writers, int ttl, int loopWait,
                           Map<Fault, Integer> durations) {
        public int duration(Fault f) {
            return durations.getOrDefault(f, f.defaultDurationSeconds(ttl));
        }
    }

    /** What a run tells as it goes: the progress lines, and for a narrator the fault, the events and the observations. */
    public interface Listener {
        /** A progress line ({@code baton drill} prints them to stderr). */
        void say(String line);

        /** The fault is about to hit {@code old}; the writers had {@code acknowledged} writes acknowledged so far. */
        default void injecting(Fault fault, String old, long at, int acknowledged) {
        }

        /** The fault was injected (the injection itself took from the fault's instant to {@code at}). */
        default void injected(long at) {
        }

        /**
         * Something seen or done about {@code member}, as it happens; the kinds are the reports'
         * ({@code fault}, {@code primary}, {@code leader-gone}, {@code heal}, {@code rejoined},
         * ...), plus {@code first-write-seen} (the reports get it later as {@code first-write}).
         */
        default void event(long faultAt, IterationResult.Event e, String member) {
        }

        /** One observation after the fault. */
        default void observed(Observation o) {
        }

        /** Whether the next observations should ask every member's {@code /replica} too (the drill asks it only once healed). */
        default boolean wantsReplicas() {
            return false;
        }

        /** Prints the progress lines to {@code out}. */
        static Listener printing(PrintWriter out) {
            return line -> {
                out.println(line);
                out.flush();
            };
        }
    }

    final DrillTarget target;
    final Settings settings;
    final Listener listener;
    final Sampler sampler;
    final Poll poll = Poll.system();
    /** Every acknowledged write so far, with the member that acknowledged it. */
    final List<DrillAnalysis.Ack> acks = new ArrayList<>();
    /** The ids already counted as lost by an earlier iteration. */
    final Set<Long> lost = new HashSet<>();
    Workload writer;

    public DrillRunner(DrillTarget target, Settings settings, PrintWriter progress) {
        this(target, settings, Listener.printing(progress));
    }

    public DrillRunner(DrillTarget target, Settings settings, Listener listener) {
        this(target, settings, listener, new AgentClient(Duration.ofSeconds(1)));
    }

    /** @param agents the REST client of the cluster's agents (its TLS and credentials: {@code RestClientOptions}) */
    public DrillRunner(DrillTarget target, Settings settings, Listener listener, AgentClient agents) {
        this.target = target;
        this.settings = settings;
        this.listener = listener;
        this.sampler = new Sampler(target, agents);
    }

    /**
     * Runs every iteration, handing each result to {@code done} as it finishes. Stops after an
     * iteration that did not heal (the cluster is not fit for another).
     *
     * @throws IllegalStateException if the writers cannot start
     */
    public List<IterationResult> run(Consumer<IterationResult> done) throws InterruptedException {
        List<IterationResult> results = new ArrayList<>();
        writer = new Workload(target, settings.writers());
        try {
            listener.say("starting " + settings.writers() + " writer(s) through the load balancer");
            writer.start();
            long windowStart = System.nanoTime();
            outer:
            for (Fault f : settings.faults()) {
                for (int i = 1; i <= settings.iterations(); i++) {
                    Iteration it = new Iteration(this, f, i, windowStart);
                    IterationResult r = it.run();
                    windowStart = it.end();
                    results.add(r);
                    done.accept(r);
                    if (!r.healed()) {
                        break outer;
                    }
                }
            }
        } finally {
            writer.stop();
        }
        return results;
    }

    /** How many writes the writers had acknowledged in all. */
    public int acknowledged() {
        return writer == null ? 0 : writer.acknowledged();
    }

    /** Every acknowledged write so far (as the drill attributes them to members). */
    public List<DrillAnalysis.Ack> acks() {
        return List.copyOf(acks);
    }

    long stable() {
        return Math.max(MIN_STABLE_NANOS, (settings.loopWait() + 1L) * S);
    }

    /** Takes the writers' new acknowledgements into {@link #acks}; returns them. */
    List<DrillAnalysis.Ack> pull() {
        List<Writer.Ack> fresh = writer.fresh();
        List<DrillAnalysis.Ack> out = new ArrayList<>();
        for (Writer.Ack a : fresh) {
            out.add(new DrillAnalysis.Ack(a.id(), a.sentNanos(), a.nanos(), target.serverName(a)));
        }
        acks.addAll(out);
        return out;
    }

    /** The acknowledged writes missing on the primary; tries for 30 s (directly, then through the load balancer). */
    Set<Long> missingOn(String primary) throws SQLException, InterruptedException {
        List<Writer.Ack> all = writer.acks();
        SQLException[] last = new SQLException[1];
        Set<Long> missing = poll.until(Duration.ofSeconds(30), Duration.ofSeconds(1), () -> {
            try {
                return writer.missingOn(target.memberJdbcUrl(primary), all);
            } catch (SQLException e) {
                try {
                    // The member may not be reachable from here directly; the load balancer routes to it.
                    return writer.missingOn(target.lbJdbcUrl(), all);
                } catch (SQLException again) {
                    last[0] = e;
                    return null;
                }
            }
        }, m -> m != null);
        if (missing == null) {
            throw last[0];
        }
        return missing;
    }
}
