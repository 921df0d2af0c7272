package dev.baton.aws.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The router's thread, retries and reconciliation, against an in-memory load balancer, on
 * {@link VirtualTime}: the router waits in virtual milliseconds, and calls in flight are held at
 * the fake's gate instead of taking real time.
 */
class RoutingEngineTest {
    static final RoutingTiming FAST = new RoutingTiming(Duration.ofMillis(300), Duration.ofMillis(50),
            Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(100), Duration.ofSeconds(2));

    private final FakeLoadBalancer lb = new FakeLoadBalancer();
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final VirtualTime time = new VirtualTime();
    private AwsRouter router;

    /** Starts a router; its first check may still be under way. */
    private AwsRouter launch(Mode mode, AwsRouter.Connector connector) {
        router = time.drive(new AwsRouter(mode, 5432, connector, new RoutingMetrics(registry, "demo", "node1"), FAST,
                time, new Random(7)).start());
        return router;
    }

    private AwsRouter launch(Mode mode) {
        return launch(mode, () -> new AwsRouter.Connection("i-me", List.of(lb)));
    }

    /** Starts a router and lets its first check (of an unknown role) end, so that what follows is one sequence. */
    private AwsRouter start(Mode mode) throws InterruptedException {
        launch(mode);
        time.settle();
        return router;
    }

    @AfterEach
    void close() {
        if (router != null) {
            router.close();
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
        time.runUntil("only i-me is registered", () -> lb.registered().equals(List.of("i-me")));
        assertEquals(State.DRAINING, lb.state("i-old"));
        assertEquals(State.DRAINING, lb.state("i-c"));
        time.runUntil("in sync", () -> router.status().inSync());
        assertEquals("primary", router.status().desired());
        assertEquals(Boolean.TRUE, router.status().registered());
        assertEquals(1, counter("baton.routing.changes", "action", "register", "result", "ok"));
        assertEquals(1, counter("baton.routing.changes", "action", "deregister", "result", "ok"));
        assertEquals(1, registry.find("baton.routing.latency").timer().count());
        assertEquals(1.0, registry.find("baton.routing.registered").gauge().value());
    }

    @Test
    void theFirstChangeIsMadeAtOnceNotAtTheNextCheck() throws Exception {
        start(Mode.REGISTER);
        router.primary();
        time.settle(); // no virtual time has passed
        assertEquals(List.of("i-me"), lb.registered());
        assertEquals(0, registry.find("baton.routing.latency").timer().totalTime(TimeUnit.NANOSECONDS),
                "the role change to the load balancer following it, on the router's ticker");
    }

    @Test
    void aDemotedMemberDeregistersItself() throws Exception {
        start(Mode.BOTH).primary();
        time.runUntil("registered", () -> lb.registered().equals(List.of("i-me")));
        lb.put("i-me", State.HEALTHY);
        router.notPrimary();
        time.runUntil("deregistered", () -> lb.registered().isEmpty());
        assertEquals(State.DRAINING, lb.state("i-me"));
        time.runUntil("status", () -> "not primary".equals(router.status().desired()) && router.status().inSync());
    }

    @Test
    void errorsAndThrottlingAreRetriedUntilTheyConverge() throws Exception {
        lb.put("i-old", State.HEALTHY);
        lb.fail("describe", 2, Kind.THROTTLED);
        lb.fail("register", 3, Kind.SERVER);
        lb.fail("deregister", 1, Kind.NETWORK);
        start(Mode.REGISTER).primary();
        time.runUntil("converged", () -> lb.registered().equals(List.of("i-me")) && router.status().inSync());
        assertEquals(4, lb.calls("register").size(), "3 failures, then success");
        assertEquals(2, lb.calls("deregister").size());
        assertEquals(3, counter("baton.routing.changes", "action", "register", "result", "error"));
    }

    @Test
    void aChangeOfHeartAbandonsTheStaleRetry() throws Exception {
        lb.fail("register", 1000, Kind.SERVER);
        start(Mode.REGISTER).primary();
        time.runUntil("a few failed registrations", () -> lb.calls("register").size() >= 3);
        int before = lb.calls("register").size(); // the router waits to retry: no call is in flight
        router.notPrimary();
        time.advance(Duration.ofMillis(500)); // several backoff periods
        assertEquals(before, lb.calls("register").size(), "no registration for the superseded state");
        assertTrue(lb.registered().isEmpty());
        assertTrue(router.status().inSync() && "not primary".equals(router.status().desired()), router.status().toString());
    }

    @Test
    void aChangeInTheMiddleOfAPassIsNotCompletedLate() throws Exception {
        lb.put("i-b", State.HEALTHY);
        lb.gate().hold("describe");
        launch(Mode.REGISTER);
        lb.gate().awaitHeld("describe", 1); // the first check is under way
        router.primary();
        lb.gate().proceed("describe");
        lb.gate().awaitHeld("describe", 2); // the primary's check is under way
        router.notPrimary();
        lb.gate().release("describe");
        time.advance(Duration.ofSeconds(1));
        assertEquals(List.of(), lb.calls("register"), "never registered for a state that was superseded");
        assertEquals(List.of(), lb.calls("deregister"));
        assertEquals(List.of("i-b"), lb.registered());
        assertEquals(1, counter("baton.routing.changes", "action", "register", "result", "abandoned"));
    }

    @Test
    void reconciliationRepairsDrift() throws Exception {
        lb.put("i-b", State.UNHEALTHY);
        start(Mode.REGISTER).primary();
        time.runUntil("alone", () -> lb.registered().equals(List.of("i-me")));
        lb.put("i-b", State.INITIAL); // an operator registers a replica by hand
        time.runUntil("removed again", () -> lb.registered().equals(List.of("i-me")));
        assertEquals(2, lb.calls("deregister").size());
    }

    @Test
    void callersNeverWaitForTheApi() throws Exception {
        lb.gate().hold("describe");
        launch(Mode.BOTH);
        lb.gate().awaitHeld("describe", 1); // the router's thread is inside an API call, and stays there
        // A caller that waited for the API would never return: the guard only turns a hang into a failure.
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (int i = 0; i < 100; i++) {
                router.primary();
                router.notPrimary();
            }
            router.primary();
            router.status();
        }, "a caller waited for the load balancer API");
        assertEquals(1, lb.calls().size(), "the one API call is still in flight");
        lb.gate().release("describe");
        time.runUntil("routed as the last call said", () -> lb.registered().equals(List.of("i-me")));
    }

    @Test
    void healthCheckModeRegistersAtStartAndStaysOnShutdown() throws Exception {
        lb.put("i-p", State.HEALTHY);
        start(Mode.HEALTH_CHECK);
        time.runUntil("registered without a role", () -> lb.registered().equals(List.of("i-me", "i-p")));
        router.notPrimary();
        time.advance(Duration.ofMillis(200));
        router.close();
        assertEquals(List.of("i-me", "i-p"), lb.registered(), "nobody is ever deregistered");
        assertEquals(List.of(), lb.calls("deregister"));
    }

    @Test
    void aMemberShuttingDownTakesItselfOut() throws Exception {
        start(Mode.BOTH).primary();
        time.runUntil("registered", () -> lb.registered().equals(List.of("i-me")));
        router.close();
        assertEquals(List.of(), lb.registered());
        router.primary(); // after close: ignored
        assertEquals(List.of(), lb.registered());
    }

    @Test
    void bothModeReplicaStandsByOnlyWhileThePrimaryIsHealthy() throws Exception {
        lb.put("i-p", State.UNHEALTHY);
        start(Mode.BOTH).notPrimary();
        time.advance(Duration.ofMillis(400));
        assertEquals(List.of("i-p"), lb.registered(), "nobody healthy: no stand-by (fail-open would reach it)");
        lb.put("i-p", State.HEALTHY);
        time.runUntil("stand-by", () -> lb.registered().equals(List.of("i-me", "i-p")));
        assertEquals(State.INITIAL, lb.state("i-me"));
        // The health check is wrong (not /primary): the stand-by turns healthy. Out, and no more stand-by.
        lb.put("i-me", State.HEALTHY);
        time.runUntil("out again", () -> lb.registered().equals(List.of("i-p")));
        time.advance(Duration.ofMillis(700));
        assertEquals(List.of("i-p"), lb.registered());
        assertEquals(1, lb.calls("register").size());
    }

    @Test
    void anUnreachableMetadataServiceIsRetriedOnTheRoutersThread() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        launch(Mode.REGISTER, () -> {
            if (attempts.incrementAndGet() < 3) {
                throw new java.io.IOException("the instance metadata service did not answer");
            }
            return new AwsRouter.Connection("i-me", List.of(lb));
        });
        time.settle();
        assertEquals(1, attempts.get(), "failed once; the next attempt waits for its backoff");
        assertNull(router.status().registered());
        router.primary(); // a new desired state is tried at once, backoff or not
        time.settle();
        assertEquals(2, attempts.get());
        time.runUntil("registered", () -> lb.registered().equals(List.of("i-me")));
        assertEquals(3, attempts.get());
    }

    @Test
    void backoffGrowsWithJitterUpToTheCap() {
        AwsRouter r = new AwsRouter(Mode.BOTH, 5432, () -> null, new RoutingMetrics(registry, "d", "n"), FAST,
                time, new Random(1));
        for (int n = 1; n < 40; n++) {
            long base = n == 1 ? 10 : Math.min(100, 10L << (n - 1));
            long d = TimeUnit.NANOSECONDS.toMillis(r.backoff(n, false));
            assertTrue(d >= base / 2 - 1 && d <= base, n + ": " + d);
        }
        assertTrue(TimeUnit.NANOSECONDS.toMillis(r.backoff(1, true)) >= 10, "throttling starts higher");
    }
}
