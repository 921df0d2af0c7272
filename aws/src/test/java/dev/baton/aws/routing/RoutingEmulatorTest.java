package dev.baton.aws.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.ha.NodeState;
import dev.baton.agent.routing.RoutingListener;
import dev.baton.agent.routing.RoutingMetrics;
import dev.baton.aws.emulator.AwsEmulator;
import dev.baton.config.AwsConfig.Mode;
import dev.baton.config.AwsConfig;
import dev.baton.leader.model.Role;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetDescription;

/**
 * The router with the real AWS SDK against the in-process AWS emulator: what lands on the wire,
 * retries under throttling and errors, abandonment, drift repair, IMDSv2 identity. The routers
 * wait on {@link VirtualTime}; the emulator answers at once, or holds a call at its gate.
 */
class RoutingEmulatorTest {
    private static final StaticCredentialsProvider CREDENTIALS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));

    private AwsEmulator emu;
    private String me;
    private String b;
    private String c;
    private String arn;
    private ElasticLoadBalancingV2Client operator;
    private final List<AwsRouter> routers = new ArrayList<>();
    private final VirtualTime time = new VirtualTime();

    @BeforeEach
    void setUp() throws Exception {
        emu = AwsEmulator.start();
        emu.setDeregistrationDelay(Duration.ofSeconds(30)); // deregistered targets stay visible as draining
        me = emu.addRunningInstance("10.0.0.11", Map.of("Name", "pg-1"));
        b = emu.addRunningInstance("10.0.0.12", Map.of("Name", "pg-2"));
        c = emu.addRunningInstance("10.0.0.13", Map.of("Name", "pg-3"));
        arn = emu.createTargetGroup("pg", 5432, 8008, "/primary");
        operator = ElasticLoadBalancingV2Client.builder().endpointOverride(emu.endpoint())
                .region(Region.of(emu.region())).credentialsProvider(CREDENTIALS)
                .httpClient(UrlConnectionHttpClient.create()).build();
    }

    @AfterEach
    void tearDown() {
        emu.gate().releaseAll();
        routers.forEach(AwsRouter::close);
        operator.close();
        emu.close();
    }

    private AwsConfig config(Mode mode, String instanceId, URI metadata, String region) {
        return new AwsConfig(region, arn, null, mode, instanceId, emu.endpoint(), metadata, 5432,
                Duration.ofSeconds(2), Duration.ofMillis(300));
    }

    /** Starts a router; its first check may still be under way. */
    private AwsRouter router(AwsConfig aws, RoutingTiming timing) {
        RoutingMetrics metrics = new RoutingMetrics(new SimpleMeterRegistry(), "demo", "node1");
        AwsRouter r = time.drive(new AwsRouter(aws.mode(), aws.port(),
                () -> AwsRouting.connect(aws, metrics, Map.of(), CREDENTIALS,
                        new InstanceMetadata(aws.metadataUrl(), AwsRouting.metadataTimeout(aws))), metrics,
                timing, time, new Random(3)).start());
        routers.add(r);
        return r;
    }

    /** Starts a router and lets its first check (of an unknown role) end, so that what follows is one sequence. */
    private AwsRouter router(AwsConfig aws) throws InterruptedException {
        AwsRouter r = router(aws, RoutingEngineTest.FAST);
        time.settle();
        return r;
    }

    private AwsRouter router(Mode mode) throws InterruptedException {
        return router(config(mode, me, null, emu.region()));
    }

    /** What an operator (or a previous primary) did: register by hand. */
    private void registerByHand(String... ids) {
        List<TargetDescription> list = new ArrayList<>();
        for (String id : ids) {
            list.add(TargetDescription.builder().id(id).port(5432).build());
        }
        operator.registerTargets(r -> r.targetGroupArn(arn).targets(list));
    }

    private List<String> registered() {
        return emu.registeredTargets(arn);
    }

    @Test
    void aNewPrimaryIsTheOnlyRegisteredTargetAndTheOthersDrain() throws Exception {
        registerByHand(b, c);
        emu.setTargetHealth(arn, b, "healthy");
        emu.setTargetHealth(arn, c, "unhealthy");
        AwsRouter r = router(Mode.BOTH);
        assertFalse(emu.calls("DescribeTargetHealth").isEmpty(), "the first check");
        emu.clearCalls();
        r.primary();
        time.settle(); // no virtual time passes: the router acts on the change at once
        assertEquals(List.of(me), registered());
        assertEquals("draining", emu.targetHealth(arn, b));
        assertEquals("draining", emu.targetHealth(arn, c));
        List<String> actions = emu.calls().stream().filter(AwsEmulator.Call::mutating).map(AwsEmulator.Call::action)
                .toList();
        assertEquals(List.of("RegisterTargets", "DeregisterTargets"), actions, "register first, then the others out");
        time.runUntil("in sync", () -> r.status().inSync());
    }

    @Test
    void aDemotedPrimaryDeregistersItself() throws Exception {
        AwsRouter r = router(Mode.REGISTER);
        r.primary();
        time.runUntil("registered", () -> registered().equals(List.of(me)));
        r.notPrimary();
        time.runUntil("deregistered", () -> registered().isEmpty());
        assertEquals("draining", emu.targetHealth(arn, me));
    }

    @Test
    void throttlingAndServerErrorsAreRetriedUntilTheyConverge() throws Exception {
        registerByHand(b);
        emu.clearCalls();
        emu.throttleNext("RegisterTargets", 3);
        emu.failNext("DeregisterTargets", 2, 503, "ServiceUnavailable", "try again");
        emu.failNext("DescribeTargetHealth", 1, 500, "InternalFailure", "oops");
        AwsRouter r = router(Mode.REGISTER);
        r.primary();
        time.runUntil("converged", () -> registered().equals(List.of(me)) && r.status().inSync());
        assertEquals(4, emu.calls("RegisterTargets").size(), "3 throttled (each tried once by the SDK), then ok: "
                + emu.calls().stream().map(AwsEmulator.Call::action).toList());
        assertEquals(3, emu.calls("DeregisterTargets").size());
    }

    @Test
    void aRoleChangeAbandonsTheStaleRetry() throws Exception {
        emu.failNext("RegisterTargets", 1000, 500, "InternalFailure", "down");
        AwsRouter r = router(Mode.REGISTER);
        r.primary();
        time.runUntil("failed registrations", () -> emu.calls("RegisterTargets").size() >= 2);
        int before = emu.calls("RegisterTargets").size(); // the router waits to retry: no call is in flight
        r.notPrimary();
        time.advance(Duration.ofSeconds(1));
        assertEquals(before, emu.calls("RegisterTargets").size(), "no registration for the superseded role");
        assertFalse(registered().contains(me));
        assertTrue(r.status().inSync() && "not primary".equals(r.status().desired()), r.status().toString());
    }

    @Test
    void reconciliationTakesAReplicaRegisteredByHandOutAgain() throws Exception {
        AwsRouter r = router(Mode.REGISTER);
        r.primary();
        time.runUntil("registered", () -> registered().equals(List.of(me)));
        emu.setDeregistrationDelay(Duration.ofMillis(100));
        registerByHand(b);
        assertEquals(List.of(me, b), registered());
        time.runUntil("removed again", () -> registered().equals(List.of(me)));
    }

    @Test
    void theIdentityComesFromImdsV2() throws Exception {
        URI imds = emu.imds(me);
        InstanceMetadata md = new InstanceMetadata(imds, Duration.ofSeconds(2));
        assertEquals(me, md.instanceId());
        assertEquals(emu.region(), md.region());
        // No instance_id and no region: both from the metadata service (the ARN's region wins for the region).
        AwsRouter r = router(new AwsConfig(null, arn, null, Mode.REGISTER, null, emu.endpoint(), imds, 5432,
                Duration.ofSeconds(2), Duration.ofMillis(300)));
        r.primary();
        time.runUntil("registered as " + me, () -> registered().equals(List.of(me)));
        assertEquals(emu.region(), AwsRouting.region(new AwsConfig(null, null, "x", Mode.BOTH, null, null, imds, 1,
                null, null), Map.of(), md));
        assertEquals("eu-west-3", AwsRouting.region(new AwsConfig(null, null, "x", Mode.BOTH, null, null, imds, 1,
                null, null), Map.of("AWS_REGION", "eu-west-3"), md));
    }

    @Test
    void theMetadataServiceIsTheSdksVariableUnlessMetadataUrlIsSet() {
        AwsConfig unset = new AwsConfig(null, null, "x", Mode.BOTH, null, null, null, 1, null, null);
        assertEquals(AwsConfig.DEFAULT_METADATA_URL, AwsRouting.metadataUrl(unset, Map.of()));
        assertEquals(URI.create("http://127.0.0.1:4567"), AwsRouting.metadataUrl(unset,
                Map.of("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:4567")));
        AwsConfig set = new AwsConfig(null, null, "x", Mode.BOTH, null, null, URI.create("http://10.1.1.1"), 1, null, null);
        assertEquals(URI.create("http://10.1.1.1"), AwsRouting.metadataUrl(set,
                Map.of("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:4567")));
    }

    @Test
    void theHaLoopsCallsReturnAtOnceWhileTheApiIsSlow() throws Exception {
        emu.gate().hold("DescribeTargetHealth");
        AwsRouter r = router(config(Mode.BOTH, me, null, emu.region()), new RoutingTiming(Duration.ofMillis(300),
                Duration.ofMillis(50), Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(100),
                Duration.ofMillis(200)));
        RoutingListener listener = new RoutingListener(r, () -> NodeState.initial("node1", "demo"), System::nanoTime);
        emu.gate().awaitHeld("DescribeTargetHealth", 1); // the router's thread is inside a call that does not end
        // A listener or a close that waited for the API would never return: the guard only turns a hang into a failure.
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            listener.started(Role.PRIMARY);
            listener.roleChanged(Role.REPLICA);
            listener.roleChanged(Role.PRIMARY);
            listener.cycleFinished(1, "x");
            listener.fenced();
            listener.stopped(Role.PRIMARY);
            r.close(); // gives up on the last deregistration after its grace
        }, "waited for the load balancer API");
        assertEquals(1, emu.calls().size(), "the one call is still held: " + emu.calls());
    }

    @Test
    void aClassicLoadBalancerIsRoutedToo() throws Exception {
        emu.createClassicLoadBalancer("pg-classic", 8008, "/primary");
        AwsConfig aws = new AwsConfig(emu.region(), arn, "pg-classic", Mode.REGISTER, me, emu.endpoint(), null, 5432,
                Duration.ofSeconds(2), Duration.ofMillis(300));
        AwsRouter other = router(new AwsConfig(emu.region(), null, "pg-classic", Mode.HEALTH_CHECK, b, emu.endpoint(),
                null, 5432, Duration.ofSeconds(2), Duration.ofMillis(300)));
        time.runUntil(b + " registered itself (health-check mode)", () -> emu.classicInstances("pg-classic").contains(b));
        other.close();
        AwsRouter r = router(aws);
        r.primary();
        time.runUntil("both load balancers route to " + me,
                () -> emu.classicInstances("pg-classic").equals(List.of(me)) && registered().equals(List.of(me)));
        r.notPrimary();
        time.runUntil("out of both", () -> emu.classicInstances("pg-classic").isEmpty() && registered().isEmpty());
    }

    @Test
    void inBothModeAReplicaStandsByOnceThePrimaryIsHealthy() throws Exception {
        registerByHand(b);
        AwsRouter r = router(Mode.BOTH);
        r.notPrimary();
        time.advance(Duration.ofMillis(500));
        assertEquals(List.of(b), registered(), "the primary is not healthy yet: no stand-by");
        emu.setTargetHealth(arn, b, "healthy");
        time.runUntil("stand-by", () -> registered().equals(List.of(b, me)));
        assertEquals("initial", emu.targetHealth(arn, me));
    }
}
