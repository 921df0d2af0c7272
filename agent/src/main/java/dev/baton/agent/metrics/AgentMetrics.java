package dev.baton.agent.metrics;

import dev.baton.agent.api.RestApi;
import dev.baton.agent.ha.HaListener;
import dev.baton.agent.ha.NodeState;
import dev.baton.leader.model.Role;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The agent's Prometheus metrics, served on {@code GET /metrics} of the REST port.
 *
 * <p>Two kinds of metrics, one registry:
 * <ul>
 *   <li><b>Events</b> (counters and histograms) go through Micrometer: the HA loop's events arrive
 *       through {@link HaListener} (this class is one), and etcd requests through
 *       {@link InstrumentedClusterStore}.</li>
 *   <li><b>State</b> (gauges: role, WAL positions, lag, lease, ...) is computed at scrape time by a
 *       {@link NodeStateCollector} registered directly in the underlying prometheus-metrics
 *       registry, so that names come out exactly as written, series can come and go with each
 *       scrape (one per replica, one replaced {@code baton_last_cycle_info}), and a scrape reads only the
 *       loop's last immutable {@link NodeState}: no I/O to postgres or etcd, no lock shared with
 *       the loop.</li>
 * </ul>
 * Baton's metrics are prefixed {@code baton_} and labelled {@code scope} and {@code member};
 * Patroni's names ({@code patroni_*}, labelled {@code scope} and {@code name}) are served too, so
 * that existing dashboards keep working. docs/observability.md lists every metric.
 */
public final class AgentMetrics implements HaListener, RestApi.Metrics {
    /** How long after the last sight of a {@code failover} key a promotion still counts as requested. */
    static final long PLANNED_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(60);

    /** Histogram buckets of the HA cycle (a cycle normally takes milliseconds; loop_wait is 1 s or more). */
    private static final Duration[] CYCLE_BUCKETS = durations(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10);

    private final String scope;
    private final String member;
    private final LongSupplier ticker;
    private final PrometheusMeterRegistry registry;
    private final NodeStateCollector collector;
    private final NodeState initial;
    private volatile Supplier<NodeState> state;

    private final Timer cycleDuration;
    private final Counter promotions;
    private final Counter failovers;
    private final Counter switchovers;
    private final Counter demotions;
    private final Counter fencings;
    private final Counter decisionChanges;
    private volatile String lastSentence;
    private volatile long failoverKeySeenAt;
    private volatile boolean failoverKeySeen;

    /**
     * @param scope   the cluster name (label {@code scope})
     * @param member  this member's name (label {@code member}, Patroni's {@code name})
     * @param version Baton's version ({@code baton_info}, {@code patroni_version})
     * @param ticker  the monotonic clock the HA loop uses (lease remaining, last cycle age)
     * @param clock   the wall clock (age of the last replayed transaction)
     */
    public AgentMetrics(String scope, String member, String version, LongSupplier ticker, Clock clock) {
        this.scope = Objects.requireNonNull(scope, "scope");
        this.member = Objects.requireNonNull(member, "member");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.initial = NodeState.initial(member, scope);
        this.state = () -> initial;
        this.collector = new NodeStateCollector(scope, member, version, this::current, ticker, clock);
        registry.getPrometheusRegistry().register(collector);

        cycleDuration = Timer.builder("baton.ha.cycle.duration")
                .description("Duration of one HA cycle (read the store, decide, act, publish)")
                .tags("scope", scope, "member", member)
                .serviceLevelObjectives(CYCLE_BUCKETS)
                .register(registry);
        promotions = counter("baton.promotions", "Promotions of this member's postgres to primary");
        failovers = counter("baton.failovers",
                "Promotions of this member that no operator asked for (automatic failovers)");
        switchovers = counter("baton.switchovers",
                "Promotions of this member that an operator asked for (a switchover or manual failover in the failover key)");
        demotions = counter("baton.demotions", "Demotions of this member's postgres from primary to replica");
        fencings = counter("baton.fencings",
                "Times the fence stopped postgres because the leader lease could not be confirmed in time");
        decisionChanges = counter("baton.decision.changes", "Cycles whose decision sentence differed from the previous one");
    }

    private Counter counter(String name, String help) {
        return Counter.builder(name).description(help).tags("scope", scope, "member", member).register(registry);
    }

    /** Reads the loop's state from {@code state} from now on (the HA loop's {@code state()}). */
    public void watch(Supplier<NodeState> state) {
        this.state = Objects.requireNonNull(state, "state");
    }

    /**
     * Serves the backup metrics ({@code baton_backup_*}, from {@code runner}; null without a
     * repository) and the WAL archiving metrics ({@code baton_archive_*}, from {@code archiver},
     * e.g. the controller's {@code archiver()}; read off the scrape, at most every few seconds).
     * Call once, before the first scrape.
     */
    public void watchBackups(dev.baton.agent.backup.BackupRunner runner,
                             Supplier<dev.baton.agent.postgres.ArchiverStats> archiver) {
        registry.getPrometheusRegistry().register(new BackupCollector(scope, member, runner, archiver, ticker));
    }

    /** Serves patroni_failsafe_mode_is_active and baton_failsafe_active from {@code active}. */
    public void watchFailsafe(java.util.function.BooleanSupplier active) {
        collector.watchFailsafe(active);
    }

    /** The loop's last state; the initial one until the loop has published one. */
    private NodeState current() {
        NodeState s = state.get();
        return s == null ? initial : s;
    }

    /** The registry, for instrumenting more things (e.g. {@link InstrumentedClusterStore}). */
    public MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition (format 0.0.4). Reads memory only. */
    @Override
    public String scrape() {
        return registry.scrape();
    }

    // ------------------------------------------------------------------ HA loop events

    @Override
    public void started(Role role) {
        Counter.builder("baton.postgres.starts").description("postgres starts by this agent, by role")
                .tags("scope", scope, "member", member, "role", role.wire()).register(registry).increment();
    }

    @Override
    public void stopped(Role role) {
        Counter.builder("baton.postgres.stops").description("postgres stops by this agent, by the role it had")
                .tags("scope", scope, "member", member, "role", role.wire()).register(registry).increment();
    }

    @Override
    public void roleChanged(Role newRole) {
        if (newRole == Role.PRIMARY) {
            promotions.increment();
            boolean planned = failoverKeySeen && ticker.getAsLong() - failoverKeySeenAt - PLANNED_WINDOW_NANOS < 0;
            (planned ? switchovers : failovers).increment();
            failoverKeySeen = false;
        } else if (newRole == Role.REPLICA) {
            demotions.increment();
        }
    }

    @Override
    public void cycleFinished(long nanos, String sentence) {
        cycleDuration.record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
        String previous = lastSentence;
        if (previous != null && !previous.equals(sentence)) {
            decisionChanges.increment();
        }
        lastSentence = sentence;
        try {
            NodeState s = current();
            if (s.cluster() != null && s.cluster().failover().isPresent()) {
                failoverKeySeenAt = ticker.getAsLong();
                failoverKeySeen = true;
            }
        } catch (RuntimeException e) {
            // Runs on the HA loop's thread: metrics must never break a cycle.
        }
    }

    @Override
    public void fenced() {
        fencings.increment();
    }

    @Override
    public void fencedBeforePromotion(String outcome) {
        Counter.builder("baton.fences.before.promotion")
                .description("Attempts to fence the old primary before promoting this member after a failover, by outcome")
                .tags("scope", scope, "member", member, "outcome", outcome).register(registry).increment();
    }

    private static Duration[] durations(double... seconds) {
        Duration[] d = new Duration[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            d[i] = Duration.ofNanos((long) (seconds[i] * 1e9));
        }
        return d;
    }
}
