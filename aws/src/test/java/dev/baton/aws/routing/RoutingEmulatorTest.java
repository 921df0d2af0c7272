package dev.baton.aws.routing;

import dev.baton.leader.model.Role;
import static dev.baton.aws.routing.RoutingEngineTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.ha.NodeState;
import dev.baton.agent.routing.RoutingListener;
import dev.baton.agent.routing.RoutingMetrics;
import dev.baton.aws.emulator.AwsEmulator;
import dev.baton.config.AwsConfig;
import dev.baton.config.AwsConfig.Mode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
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
 * retries under throttling and errors, abandonment, drift repair, IMDSv2 identity.
 */
class RoutingEmulatorTest {
    private static final Logger LOG = Logger.getLogger(RoutingEmulatorTest.class.getName());
    private static final StaticCredentialsProvider CREDENTIALS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));

    private AwsEmulator emu;
    private String me;
    private String b;
    private String c;
    private String arn;
    private ElasticLoadBalancingV2Client operator;
    private final List<AwsRouter> routers = new ArrayList<>();

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
        routers.forEach(AwsRouter::close);
        operator.close();
        emu.close();
    }

    private AwsConfig config(Mode mode, String instanceId, URI metadata, String region) {
        return new AwsConfig(region, arn, null, mode, instanceId, emu.endpoint(), metadata, 5432,
                Duration.ofSeconds(2), Duration.ofMillis(300));
    }

    private AwsRouter router(AwsConfig aws) {
        RoutingMetrics metrics = new RoutingMetrics(new SimpleMeterRegistry(), "demo", "node1");
        AwsRouter r = new AwsRouter(aws.mode(), aws.port(),
                () -> AwsRouting.connect(aws, metrics, Map.of(), CREDENTIALS,
                        new InstanceMetadata(aws.metadataUrl(), AwsRouting.metadataTimeout(aws))), metrics,
                RoutingEngineTest.FAST, System::nanoTime, new Random(3)).start();
        routers.add(r);
        return r;
    }

    private AwsRouter router(Mode mode) {
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
        await("the first check", () -> !emu.calls("DescribeTargetHealth").isEmpty());
        emu.clearCalls();
        long promoted = System.nanoTime();
        r.primary();
        await("only " + me + " is registered", () -> registered().equals(List.of(me)));
        assertEquals("draining", emu.targetHealth(arn, b));
        assertEquals("draining", emu.targetHealth(arn, c));
        long issued = emu.calls().get(0).nanoTime() - promoted;
        long registeredAt = emu.calls("RegisterTargets").get(0).nanoTime() - promoted;
        LOG.info(String.format("first routing call %.1f ms, RegisterTargets %.1f ms after the role change",
                issued / 1e6, registeredAt / 1e6));
        assertTrue(registeredAt < TimeUnit.SECONDS.toNanos(5), "generous bound: " + registeredAt / 1e6 + " ms");
        List<String> actions = emu.calls().stream().filter(AwsEmulator.Call::mutating).map(AwsEmulator.Call::action)
                .toList();
        assertEquals(List.of("RegisterTargets", "DeregisterTargets"), actions, "register first, then the others out");
        await("in sync", () -> r.status().inSync());
    }

    @Test
    void aDemotedPrimaryDeregistersItself() throws Exception {
        AwsRouter r = router(Mode.REGISTER);
        r.primary();
        await("registered", () -> registered().equals(List.of(me)));
        r.notPrimary();
        await("deregistered", () -> registered().isEmpty());
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
        await("converged", () -> registered().equals(List.of(me)) && r.status().inSync());
        assertEquals(4, emu.calls("RegisterTargets").size(), "3 throttled (each tried once by the SDK), then ok: "
                + emu.calls().stream().map(AwsEmulator.Call::action).toList());
        assertEquals(3, emu.calls("DeregisterTargets").size());
    }

    @Test
    void aRoleChangeAbandonsTheStaleRetry() throws Exception {
        emu.failNext("RegisterTargets", 1000, 500, "InternalFailure", "down");
        AwsRouter r = router(Mode.REGISTER);
        r.primary();
        await("failed registrations", () -> emu.calls("RegisterTargets").size() >= 2);
        r.notPrimary();
        long changed = System.nanoTime();
        Thread.sleep(1000);
        long late = emu.calls("RegisterTargets").stream()
                .filter(call -> call.nanoTime() - changed > TimeUnit.MILLISECONDS.toNanos(100)).count();
        assertEquals(0, late, "no registration for the superseded role");
        assertFalse(registered().contains(me));
        await("in sync as a replica", () -> r.status().inSync() && "not primary".equals(r.status().desired()));
    }

    @Test
    void reconciliationTakesAReplicaRegisteredByHandOutAgain() throws Exception {
        AwsRouter r = router(Mode.REGISTER);
        r.primary();
        await("registered", () -> registered().equals(List.of(me)));
        emu.setDeregistrationDelay(Duration.ofMillis(100));
        registerByHand(b);
        assertEquals(List.of(me, b), registered());
        await("removed again", () -> registered().equals(List.of(me)));
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
        await("registered as " + me, () -> registered().equals(List.of(me)));
        assertEquals(emu.region(), AwsRouting.region(new AwsConfig(null, null, "x", Mode.BOTH, null, null, imds, 1,
                null, null), Map.of(), md));
        assertEquals("eu-west-3", AwsRouting.region(new AwsConfig(null, null, "x", Mode.BOTH, null, null, imds, 1,
                null, null), Map.of("AWS_REGION", "eu-west-3"), md));
    }

    @Test
    void theHaLoopsCallsReturnAtOnceWhileTheApiIsSlow() throws Exception {
        emu.setLatency("DescribeTargetHealth", Duration.ofSeconds(5));
        emu.setLatency("RegisterTargets", Duration.ofSeconds(5));
        AwsRouter r = router(Mode.BOTH);
        RoutingListener listener = new RoutingListener(r, () -> NodeState.initial("node1", "demo"), System::nanoTime);
        Thread.sleep(100); // the router's thread is now inside a 5 s call
        long t0 = System.nanoTime();
        listener.started(Role.PRIMARY);
        listener.roleChanged(Role.REPLICA);
        listener.roleChanged(Role.PRIMARY);
        listener.cycleFinished(1, "x");
        listener.fenced();
        listener.stopped(Role.PRIMARY);
        long took = System.nanoTime() - t0;
        // Not a timing goal: a listener that waited for the API would take at least its 5 s latency.
        assertTrue(took < TimeUnit.SECONDS.toNanos(2), "the listener took " + took / 1e6 + " ms");
        long c0 = System.nanoTime();
        r.close();
        long closeTook = System.nanoTime() - c0;
        assertTrue(closeTook < TimeUnit.SECONDS.toNanos(4), "close is bounded: " + closeTook / 1e6 + " ms");
    }

    @Test
    void aClassicLoadBalancerIsRoutedToo() throws Exception {
        emu.createClassicLoadBalancer("pg-classic", 8008, "/primary");
        AwsConfig aws = new AwsConfig(emu.region(), arn, "pg-classic", Mode.REGISTER, me, emu.endpoint(), null, 5432,
                Duration.ofSeconds(2), Duration.ofMillis(300));
        AwsRouter other = router(new AwsConfig(emu.region(), null, "pg-classic", Mode.HEALTH_CHECK, b, emu.endpoint(),
                null, 5432, Duration.ofSeconds(2), Duration.ofMillis(300)));
        await(b + " registered itself (health-check mode)", () -> emu.classicInstances("pg-classic").contains(b));
        other.close();
        AwsRouter r = router(aws);
        r.primary();
        await("both load balancers route to " + me,
                () -> emu.classicInstances("pg-classic").equals(List.of(me)) && registered().equals(List.of(me)));
        r.notPrimary();
        await("out of both", () -> emu.classicInstances("pg-classic").isEmpty() && registered().isEmpty());
    }

    @Test
    void inBothModeAReplicaStandsByOnceThePrimaryIsHealthy() throws Exception {
        registerByHand(b);
        AwsRouter r = router(Mode.BOTH);
        r.notPrimary();
        Thread.sleep(500);
        assertEquals(List.of(b), registered(), "the primary is not healthy yet: no stand-by");
        emu.setTargetHealth(arn, b, "healthy");
        await("stand-by", () -> registered().equals(List.of(b, me)));
        assertEquals("initial", emu.targetHealth(arn, me));
    }
}
