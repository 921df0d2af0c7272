package dev.baton.aws.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.routing.RoutingMetrics;
import dev.baton.aws.routing.RoutingCallException.Kind;
import dev.baton.aws.routing.Target.State;
import dev.baton.config.AwsConfig.Mode;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The router's thread, retries and reconciliation, against an in-memory load balancer. */
class RoutingEngineTest {
    static final AwsRouter.Timing FAST = new AwsRouter.Timing(Duration.ofMillis(300), Duration.ofMillis(50),
            Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(100), Duration.ofSeconds(2));

    private final FakeLoadBalancer lb = new FakeLoadBalancer();
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private AwsRouter router;

    private AwsRouter start(Mode mode, AwsRouter.Connector connector) {
        router = new AwsRouter(mode, 5432, connector, new RoutingMetrics(registry, "demo", "node1"), FAST,
                System::nanoTime, new Random(7)).start();
        return router;
    }

    private AwsRouter start(Mode mode) {
        return start(mode, () -> new AwsRouter.Connection("i-me", List.of(lb)));
    }

    @AfterEach
    void close() {
        if (router != null) {
            router.close();
        }
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    private double counter(String name, String... tags) {
        var c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aNewPrimaryBecomesTheOnlyRegisteredTarget() throws Exception {
        lb.put("i-old", State.HEALTHY);
        lb.put("i-c", State.UNHEALTHY);
        start(Mode.BOTH).primary();
        await("only i-me is registered", () -> lb.registered().equals(List.of("i-me")));
        assertEquals(State.DRAINING, lb.state("i-old"));
        assertEquals(State.DRAINING, lb.state("i-c"));
        await("in sync", () -> router.status().inSync());
        assertEquals("primary", router.status().desired());
        assertEquals(Boolean.TRUE, router.status().registered());
        assertEquals(1, counter("baton.routing.changes", "action", "register", "result", "ok"));
        assertEquals(1, counter("baton.routing.changes", "action", "deregister", "result", "ok"));
        assertEquals(1, registry.find("baton.routing.latency").timer().count());
        assertEquals(1.0, registry.find("baton.routing.registered").gauge().value());
    }

    @Test
    void aDemotedMemberDeregistersItself() throws Exception {
        start(Mode.BOTH).primary();
        await("registered", () -> lb.registered().equals(List.of("i-me")));
        lb.put("i-me", State.HEALTHY);
        router.notPrimary();
        await("deregistered", () -> lb.registered().isEmpty());
        assertEquals(State.DRAINING, lb.state("i-me"));
        await("status", () -> "not primary".equals(router.status().desired()) && router.status().inSync());
    }

    @Test
    void errorsAndThrottlingAreRetriedUntilTheyConverge() throws Exception {
        lb.put("i-old", State.HEALTHY);
        lb.fail("describe", 2, Kind.THROTTLED);
        lb.fail("register", 3, Kind.SERVER);
        lb.fail("deregister", 1, Kind.NETWORK);
        start(Mode.REGISTER).primary();
        await("converged", () -> lb.registered().equals(List.of("i-me")) && router.status().inSync());
        assertEquals(4, lb.calls("register").size(), "3 failures, then success");
        assertEquals(2, lb.calls("deregister").size());
        assertEquals(3, counter("baton.routing.changes", "action", "register", "result", "error"));
    }

    @Test
    void aChangeOfHeartAbandonsTheStaleRetry() throws Exception {
        lb.fail("register", 1000, Kind.SERVER);
        start(Mode.REGISTER).primary();
        await("a few failed registrations", () -> lb.calls("register").size() >= 3);
        router.notPrimary();
        long changed = System.nanoTime();
        Thread.sleep(500); // several backoff periods
        long late = lb.calls("register").stream().filter(c -> c.nanos() - changed > TimeUnit.MILLISECONDS.toNanos(50))
                .count();
        assertEquals(0, late, "no registration for the superseded state");
        assertTrue(lb.registered().isEmpty());
        await("in sync as not primary", () -> router.status().inSync() && "not primary".equals(router.status().desired()));
    }

    @Test
    void aChangeInTheMiddleOfAPassIsNotCompletedLate() throws Exception {
        lb.put("i-b", State.HEALTHY);
        lb.latency("describe", 300);
        start(Mode.REGISTER);
        Thread.sleep(50); // the first check is under way
        router.primary();
        Thread.sleep(50);
        router.notPrimary(); // while the primary's describe is in flight
        Thread.sleep(1000);
        assertEquals(List.of(), lb.calls("register"), "never registered for a state that was superseded");
        assertEquals(List.of(), lb.calls("deregister"));
        assertEquals(List.of("i-b"), lb.registered());
    }

    @Test
    void reconciliationRepairsDrift() throws Exception {
        lb.put("i-b", State.UNHEALTHY);
        start(Mode.REGISTER).primary();
        await("alone", () -> lb.registered().equals(List.of("i-me")));
        lb.put("i-b", State.INITIAL); // an operator registers a replica by hand
        await("removed again", () -> lb.registered().equals(List.of("i-me")));
        assertEquals(2, lb.calls("deregister").size());
    }

    @Test
    void callersNeverWaitForTheApi() throws Exception {
        lb.latency("describe", 2000);
        lb.latency("register", 2000);
        start(Mode.BOTH);
        long t0 = System.nanoTime();
        for (int i = 0; i < 100; i++) {
            router.primary();
            router.notPrimary();
        }
        router.primary();
        router.status();
        long took = System.nanoTime() - t0;
        // Not a timing goal: a caller that waited for the API would take at least its 2 s latency.
        assertTrue(took < TimeUnit.SECONDS.toNanos(1), "201 calls took " + took / 1_000_000 + " ms");
    }

    @Test
    void healthCheckModeRegistersAtStartAndStaysOnShutdown() throws Exception {
        lb.put("i-p", State.HEALTHY);
        start(Mode.HEALTH_CHECK);
        await("registered without a role", () -> lb.registered().equals(List.of("i-me", "i-p")));
        router.notPrimary();
        Thread.sleep(200);
        router.close();
        assertEquals(List.of("i-me", "i-p"), lb.registered(), "nobody is ever deregistered");
        assertEquals(List.of(), lb.calls("deregister"));
    }

    @Test
    void aMemberShuttingDownTakesItselfOut() throws Exception {
        start(Mode.BOTH).primary();
        await("registered", () -> lb.registered().equals(List.of("i-me")));
        router.close();
        assertEquals(List.of(), lb.registered());
        router.primary(); // after close: ignored
        assertEquals(List.of(), lb.registered());
    }

    @Test
    void bothModeReplicaStandsByOnlyWhileThePrimaryIsHealthy() throws Exception {
        lb.put("i-p", State.UNHEALTHY);
        start(Mode.BOTH).notPrimary();
        Thread.sleep(400);
        assertEquals(List.of("i-p"), lb.registered(), "nobody healthy: no stand-by (fail-open would reach it)");
        lb.put("i-p", State.HEALTHY);
        await("stand-by", () -> lb.registered().equals(List.of("i-me", "i-p")));
        assertEquals(State.INITIAL, lb.state("i-me"));
        // The health check is wrong (not /primary): the stand-by turns healthy. Out, and no more stand-by.
        lb.put("i-me", State.HEALTHY);
        await("out again", () -> lb.registered().equals(List.of("i-p")));
        Thread.sleep(700);
        assertEquals(List.of("i-p"), lb.registered());
        assertEquals(1, lb.calls("register").size());
    }

    @Test
    void anUnreachableMetadataServiceIsRetriedOnTheRoutersThread() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        start(Mode.REGISTER, () -> {
            if (attempts.incrementAndGet() < 3) {
                throw new java.io.IOException("the instance metadata service did not answer");
            }
            return new AwsRouter.Connection("i-me", List.of(lb));
        }).primary();
        assertNull(router.status().registered());
        await("registered", () -> lb.registered().equals(List.of("i-me")));
        assertEquals(3, attempts.get());
    }

    @Test
    void backoffGrowsWithJitterUpToTheCap() {
        AwsRouter r = new AwsRouter(Mode.BOTH, 5432, () -> null, new RoutingMetrics(registry, "d", "n"), FAST,
                System::nanoTime, new Random(1));
        for (int n = 1; n < 40; n++) {
            long base = n == 1 ? 10 : Math.min(100, 10L << (n - 1));
            long d = TimeUnit.NANOSECONDS.toMillis(r.backoff(n, false));
            assertTrue(d >= base / 2 - 1 && d <= base, n + ": " + d);
        }
        assertTrue(TimeUnit.NANOSECONDS.toMillis(r.backoff(1, true)) >= 10, "throttling starts higher");
    }
}
