package dev.baton.agent.routing;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Metrics of load balancer routing, in the agent's registry (served on {@code /metrics}):
 * <ul>
 *   <li>{@code baton_routing_changes_total{action,result}}: register/deregister calls that changed
 *       the load balancer, by result ({@code ok}, {@code error}, {@code abandoned});</li>
 *   <li>{@code baton_routing_api_calls_total{operation,result}}: every AWS API call, including
 *       reads, by result ({@code ok}, {@code throttled}, {@code error});</li>
 *   <li>{@code baton_routing_latency_seconds}: from the role change to the load balancer change
 *       being acknowledged by the API;</li>
 *   <li>{@code baton_routing_registered}: 1 while this member is a registered target, 0 when it
 *       is not, -1 while unknown;</li>
 *   <li>{@code baton_routing_in_sync}: 1 when the last check found the load balancer as it
 *       should be, else 0.</li>
 * </ul>
 * All are labelled {@code scope} and {@code member}, like the agent's other metrics.
 */
public final class RoutingMetrics {
    private static final Duration[] LATENCY_BUCKETS = {Duration.ofMillis(25), Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30)};

    private final MeterRegistry registry;
    private final String scope;
    private final String member;
    private final Timer latency;
    private final AtomicInteger registered = new AtomicInteger(-1);
    private final AtomicInteger inSync = new AtomicInteger(0);

    public RoutingMetrics(MeterRegistry registry, String scope, String member) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.scope = Objects.requireNonNull(scope, "scope");
        this.member = Objects.requireNonNull(member, "member");
        latency = Timer.builder("baton.routing.latency")
                .description("From a role change to the load balancer change acknowledged by the API")
                .tags("scope", scope, "member", member)
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry);
        Gauge.builder("baton.routing.registered", registered, AtomicInteger::get)
                .description("1 while this member is a registered load balancer target, 0 when not, -1 while unknown")
                .tags("scope", scope, "member", member).register(registry);
        Gauge.builder("baton.routing.in.sync", inSync, AtomicInteger::get)
                .description("1 when the last check found the load balancer as it should be for this member's role")
                .tags("scope", scope, "member", member).register(registry);
    }

    /** A register or deregister call; {@code result} is "ok", "error" or "abandoned". */
    public void change(String action, String result) {
        Counter.builder("baton.routing.changes").description("Load balancer changes made by this member, by result")
                .tags("scope", scope, "member", member, "action", action, "result", result)
                .register(registry).increment();
    }

    /** Any AWS API call; {@code result} is "ok", "throttled" or "error". */
    public void apiCall(String operation, String result) {
        Counter.builder("baton.routing.api.calls").description("AWS API calls made for routing, by result")
                .tags("scope", scope, "member", member, "operation", operation, "result", result)
                .register(registry).increment();
    }

    public void latency(long nanos) {
        latency.record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
    }

    /** null: unknown. */
    public void registered(Boolean value) {
        registered.set(value == null ? -1 : value ? 1 : 0);
    }

    public void inSync(boolean value) {
        inSync.set(value ? 1 : 0);
    }
}
