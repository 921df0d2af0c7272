package dev.baton.aws.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.core.waiters.WaiterOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceAttributeName;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;
import software.amazon.awssdk.services.ec2.waiters.Ec2Waiter;
import software.amazon.awssdk.services.elasticloadbalancing.ElasticLoadBalancingClient;
import software.amazon.awssdk.services.elasticloadbalancing.model.InstanceState;
import software.amazon.awssdk.services.elasticloadbalancing.model.InvalidInstanceException;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Action;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ActionTypeEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.CreateTargetGroupRequest;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DuplicateTargetGroupNameException;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ElasticLoadBalancingV2Exception;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.InvalidTargetException;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Listener;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ListenerNotFoundException;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancer;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancerNotFoundException;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancerSchemeEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancerStateEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancerTypeEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ProtocolEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ResourceInUseException;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetDescription;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroup;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroupAttribute;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroupNotFoundException;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthDescription;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthStateEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetTypeEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.waiters.ElasticLoadBalancingV2Waiter;

/** The emulator driven by the real AWS SDK v2 clients, as Baton's code drives AWS. */
class AwsEmulatorTest {
    /** The emulator's virtual time moves this much with every request: a waiter's polls move it. */
    private static final Duration STEP = Duration.ofMillis(50);
    private static final WaiterOverrideConfiguration FAST = WaiterOverrideConfiguration.builder().maxAttempts(200)
            .backoffStrategyV2(BackoffStrategy.fixedDelayWithoutJitter(Duration.ofMillis(20))).build();

    private AwsEmulator emu;
    private Ec2Client ec2;
    private ElasticLoadBalancingV2Client elbv2;
    private ElasticLoadBalancingClient elb;
    private String subnetA;
    private String subnetB;

    @BeforeEach
    void setUp() throws Exception {
        emu = AwsEmulator.startVirtual(STEP);
        ec2 = ec2(3);
        elbv2 = elbv2(3);
        elb = client(ElasticLoadBalancingClient.builder(), 3).build();
        subnetA = emu.addSubnet("us-east-1a", "10.0.1.0/24");
        subnetB = emu.addSubnet("us-east-1b", "10.0.2.0/24");
    }

    @AfterEach
    void tearDown() {
        ec2.close();
        elbv2.close();
        elb.close();
        emu.close();
    }

    private static StaticCredentialsProvider creds() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));
    }

    /** A client of the emulator: its endpoint and region, test credentials, {@code attempts} tries 5 ms apart. */
    private <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B client(B builder, int attempts) {
        return builder.endpointOverride(emu.endpoint()).region(Region.of(emu.region())).credentialsProvider(creds())
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(b -> b.maxAttempts(attempts)
                        .backoffStrategy(BackoffStrategy.fixedDelay(Duration.ofMillis(5)))
                        .throttlingBackoffStrategy(BackoffStrategy.fixedDelay(Duration.ofMillis(5)))));
    }

    private Ec2Client ec2(int attempts) {
        return client(Ec2Client.builder(), attempts).build();
    }

    private ElasticLoadBalancingV2Client elbv2(int attempts) {
        return client(ElasticLoadBalancingV2Client.builder(), attempts).build();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    private String securityGroup(String name) {
        return ec2.createSecurityGroup(r -> r.groupName(name).description("test group").vpcId(emu.defaultVpcId())
                .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.SECURITY_GROUP)
                        .tags(Tag.builder().key("baton:cluster").value("demo").build()).build())).groupId();
    }

    private RunInstancesRequest.Builder run(String subnet, String sg, String token) {
        return RunInstancesRequest.builder().imageId("ami-0abcdef12").instanceType("t3.micro").minCount(1).maxCount(1)
                .subnetId(subnet).securityGroupIds(sg).clientToken(token).keyName("ops")
                .userData(Base64.getEncoder().encodeToString("#cloud-config\n".getBytes(StandardCharsets.UTF_8)))
                .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.INSTANCE)
                        .tags(Tag.builder().key("baton:cluster").value("demo").build(),
                                Tag.builder().key("Name").value("demo-0").build()).build());
    }

    // ------------------------------------------------------------------ EC2

    @Test
    void subnetsAndVpcsAreDescribed() {
        List<Subnet> subnets = ec2.describeSubnets(r -> r.subnetIds(subnetB, subnetA)).subnets();
        assertEquals(2, subnets.size());
        Subnet a = subnets.stream().filter(s -> s.subnetId().equals(subnetA)).findFirst().orElseThrow();
        assertEquals("us-east-1a", a.availabilityZone());
        assertEquals("10.0.1.0/24", a.cidrBlock());
        assertEquals(emu.defaultVpcId(), a.vpcId());
        assertEquals(251, a.availableIpAddressCount());
        assertEquals(List.of(subnetB), ec2.describeSubnets(r -> r.filters(
                Filter.builder().name("availability-zone").values("us-east-1b").build())).subnets().stream()
                .map(Subnet::subnetId).toList());
        assertEquals(emu.defaultVpcId(), ec2.describeVpcs(r -> r.vpcIds(a.vpcId())).vpcs().get(0).vpcId());
        assertTrue(ec2.describeVpcs(r -> r.vpcIds(a.vpcId())).vpcs().get(0).isDefault());
        Ec2Exception e = assertThrows(Ec2Exception.class, () -> ec2.describeSubnets(r -> r.subnetIds("subnet-0000dead")));
        assertEquals("InvalidSubnetID.NotFound", e.awsErrorDetails().errorCode());
        assertEquals(400, e.statusCode());
    }

    @Test
    void runInstancesGoesFromPendingToRunningAndIsIdempotentByClientToken() {
        emu.setPendingTime(Duration.ofMillis(300));
        String sg = securityGroup("demo-sg");
        Instance launched = ec2.runInstances(run(subnetA, sg, "demo-0").privateIpAddress("10.0.1.10").build())
                .instances().get(0);
        assertEquals(InstanceStateName.PENDING, launched.state().name());
        assertEquals("10.0.1.10", launched.privateIpAddress());
        assertEquals("us-east-1a", launched.placement().availabilityZone());
        assertEquals(subnetA, launched.subnetId());
        assertEquals(sg, launched.securityGroups().get(0).groupId());
        assertEquals("demo-sg", launched.securityGroups().get(0).groupName());
        assertTrue(launched.tags().contains(Tag.builder().key("Name").value("demo-0").build()));
        assertTrue(launched.instanceId().matches("i-[0-9a-f]{17}"), launched.instanceId());

        // The same token and parameters: the same instance, nothing new.
        Instance again = ec2.runInstances(run(subnetA, sg, "demo-0").privateIpAddress("10.0.1.10").build())
                .instances().get(0);
        assertEquals(launched.instanceId(), again.instanceId());
        assertEquals(1, emu.instances().size());
        // The same token, other parameters: refused.
        Ec2Exception mismatch = assertThrows(Ec2Exception.class,
                () -> ec2.runInstances(run(subnetB, sg, "demo-0").build()));
        assertEquals("IdempotentParameterMismatch", mismatch.awsErrorDetails().errorCode());

        try (Ec2Waiter waiter = Ec2Waiter.builder().client(ec2).overrideConfiguration(FAST).build()) {
            Instance running = waiter.waitUntilInstanceRunning(r -> r.instanceIds(launched.instanceId()))
                    .matched().response().orElseThrow().reservations().get(0).instances().get(0);
            assertEquals(InstanceStateName.RUNNING, running.state().name());
        }
        AwsEmulator.InstanceInfo info = emu.instance(launched.instanceId());
        assertEquals("#cloud-config\n", new String(Base64.getDecoder().decode(info.userData()), StandardCharsets.UTF_8));
        assertEquals(info.userData(), ec2.describeInstanceAttribute(r -> r.instanceId(launched.instanceId())
                .attribute(InstanceAttributeName.USER_DATA)).userData().value());
        assertEquals("demo-0", info.clientToken());
        assertEquals("ops", info.keyName());
        // The SDK sent what we asked for.
        Map<String, String> params = emu.calls("RunInstances").get(0).params();
        assertEquals("instance", params.get("TagSpecification.1.ResourceType"));
        assertEquals(sg, params.get("SecurityGroupId.1"));
        assertEquals("ec2", emu.calls("RunInstances").get(0).service());
    }

    @Test
    void addressesAreAllocatedAndCheckedPerSubnet() {
        String sg = securityGroup("demo-sg");
        Instance first = ec2.runInstances(run(subnetB, sg, "t1").build()).instances().get(0);
        assertEquals("10.0.2.4", first.privateIpAddress(), "AWS reserves the first four addresses");
        Instance second = ec2.runInstances(run(subnetB, sg, "t2").build()).instances().get(0);
        assertEquals("10.0.2.5", second.privateIpAddress());
        Ec2Exception inUse = assertThrows(Ec2Exception.class,
                () -> ec2.runInstances(run(subnetB, sg, "t3").privateIpAddress("10.0.2.5").build()));
        assertEquals("InvalidIPAddress.InUse", inUse.awsErrorDetails().errorCode());
        Ec2Exception outside = assertThrows(Ec2Exception.class,
                () -> ec2.runInstances(run(subnetB, sg, "t4").privateIpAddress("10.0.1.20").build()));
        assertEquals("InvalidParameterValue", outside.awsErrorDetails().errorCode());
        Ec2Exception badSubnet = assertThrows(Ec2Exception.class,
                () -> ec2.runInstances(run("subnet-00000000", sg, "t5").build()));
        assertEquals("InvalidSubnetID.NotFound", badSubnet.awsErrorDetails().errorCode());
        Ec2Exception badAmi = assertThrows(Ec2Exception.class,
                () -> ec2.runInstances(run(subnetB, sg, "t6").imageId("ubuntu").build()));
        assertEquals("InvalidAMIID.Malformed", badAmi.awsErrorDetails().errorCode());
        String big = Base64.getEncoder().encodeToString(new byte[16385]);
        Ec2Exception tooBig = assertThrows(Ec2Exception.class,
                () -> ec2.runInstances(run(subnetB, sg, "t7").userData(big).build()));
        assertEquals("InvalidParameterValue", tooBig.awsErrorDetails().errorCode());
    }

    @Test
    void describeInstancesFiltersAndTerminateRunsToTerminated() {
        emu.setPendingTime(Duration.ZERO);
        String sg = securityGroup("demo-sg");
        String a = ec2.runInstances(run(subnetA, sg, "a").build()).instances().get(0).instanceId();
        String b = ec2.runInstances(run(subnetB, sg, "b").build()).instances().get(0).instanceId();
        String other = emu.addRunningInstance("10.0.1.99", Map.of("baton:cluster", "other"));
        ec2.createTags(r -> r.resources(b).tags(Tag.builder().key("role").value("primary").build()));

        assertEquals(List.of(a, b), ids(ec2.describeInstances(r -> r.filters(
                Filter.builder().name("tag:baton:cluster").values("demo").build()))));
        assertEquals(List.of(b), ids(ec2.describeInstances(r -> r.filters(
                Filter.builder().name("tag-key").values("role").build()))));
        assertEquals(List.of(other), ids(ec2.describeInstances(r -> r.filters(
                Filter.builder().name("tag:baton:cluster").values("oth*").build(),
                Filter.builder().name("instance-state-name").values("running").build()))));
        assertEquals(List.of(a), ids(ec2.describeInstances(r -> r.instanceIds(a))));
        assertEquals(List.of(b), ids(ec2.describeInstances(r -> r.filters(
                Filter.builder().name("instance-id").values(b).build()))));
        // Pagination, through the SDK's paginator.
        assertEquals(3, ec2.describeInstancesPaginator(r -> r.maxResults(5)).reservations().stream().count());

        Ec2Exception notFound = assertThrows(Ec2Exception.class,
                () -> ec2.describeInstances(r -> r.instanceIds("i-0123456789abcdef0")));
        assertEquals("InvalidInstanceID.NotFound", notFound.awsErrorDetails().errorCode());
        Ec2Exception badFilter = assertThrows(Ec2Exception.class, () -> ec2.describeInstances(r -> r.filters(
                Filter.builder().name("no-such-filter").values("x").build())));
        assertEquals("InvalidParameterValue", badFilter.awsErrorDetails().errorCode());

        // The group is in use until its instances are terminated.
        Ec2Exception inUse = assertThrows(Ec2Exception.class, () -> ec2.deleteSecurityGroup(r -> r.groupId(sg)));
        assertEquals("DependencyViolation", inUse.awsErrorDetails().errorCode());
        var t = ec2.terminateInstances(r -> r.instanceIds(a, b)).terminatingInstances();
        assertEquals(InstanceStateName.SHUTTING_DOWN, t.get(0).currentState().name());
        assertEquals(InstanceStateName.RUNNING, t.get(0).previousState().name());
        try (Ec2Waiter waiter = Ec2Waiter.builder().client(ec2).overrideConfiguration(FAST).build()) {
            waiter.waitUntilInstanceTerminated(r -> r.instanceIds(a, b));
        }
        ec2.deleteSecurityGroup(r -> r.groupId(sg));
        assertEquals(List.of(), ids(ec2.describeInstances(r -> r.filters(
                Filter.builder().name("tag:baton:cluster").values("demo").build(),
                Filter.builder().name("instance-state-name").values("pending", "running").build()))));
        assertEquals(List.of("instance " + other), emu.liveResources());
    }

    private static List<String> ids(DescribeInstancesResponse r) {
        return r.reservations().stream().flatMap(x -> x.instances().stream()).map(Instance::instanceId).toList();
    }

    @Test
    void securityGroupsWithSourceGroupRules() {
        String sg = securityGroup("demo-sg");
        Ec2Exception dup = assertThrows(Ec2Exception.class, () -> securityGroup("demo-sg"));
        assertEquals("InvalidGroup.Duplicate", dup.awsErrorDetails().errorCode());

        ec2.authorizeSecurityGroupIngress(r -> r.groupId(sg).ipPermissions(
                IpPermission.builder().ipProtocol("tcp").fromPort(5432).toPort(5432)
                        .userIdGroupPairs(p -> p.groupId(sg)).build(),
                IpPermission.builder().ipProtocol("tcp").fromPort(2379).toPort(2380)
                        .userIdGroupPairs(p -> p.groupId(sg)).build(),
                IpPermission.builder().ipProtocol("tcp").fromPort(22).toPort(22)
                        .ipRanges(x -> x.cidrIp("203.0.113.0/24")).build()));
        Ec2Exception again = assertThrows(Ec2Exception.class, () -> ec2.authorizeSecurityGroupIngress(r -> r.groupId(sg)
                .ipPermissions(IpPermission.builder().ipProtocol("tcp").fromPort(5432).toPort(5432)
                        .userIdGroupPairs(p -> p.groupId(sg)).build())));
        assertEquals("InvalidPermission.Duplicate", again.awsErrorDetails().errorCode());

        SecurityGroup g = ec2.describeSecurityGroups(r -> r.filters(
                Filter.builder().name("tag:baton:cluster").values("demo").build(),
                Filter.builder().name("group-name").values("demo-sg").build(),
                Filter.builder().name("vpc-id").values(emu.defaultVpcId()).build())).securityGroups().get(0);
        assertEquals(sg, g.groupId());
        assertEquals("test group", g.description());
        assertEquals(3, g.ipPermissions().size());
        IpPermission etcd = g.ipPermissions().stream().filter(p -> p.fromPort() == 2379).findFirst().orElseThrow();
        assertEquals(2380, etcd.toPort());
        assertEquals(sg, etcd.userIdGroupPairs().get(0).groupId());
        IpPermission ssh = g.ipPermissions().stream().filter(p -> p.fromPort() == 22).findFirst().orElseThrow();
        assertEquals("203.0.113.0/24", ssh.ipRanges().get(0).cidrIp());
        assertEquals("baton:cluster", g.tags().get(0).key());
        assertEquals(List.of(), ec2.describeSecurityGroups(r -> r.filters(
                Filter.builder().name("group-name").values("nope").build())).securityGroups());
        Ec2Exception missing = assertThrows(Ec2Exception.class,
                () -> ec2.describeSecurityGroups(r -> r.groupIds("sg-00000000000000000")));
        assertEquals("InvalidGroup.NotFound", missing.awsErrorDetails().errorCode());
        ec2.deleteSecurityGroup(r -> r.groupId(sg));
        assertEquals(List.of(), emu.liveResources());
    }

    // ------------------------------------------------------------------ ELBv2

    private String targetGroup(String name) {
        return elbv2.createTargetGroup(tgRequest(name).build()).targetGroups().get(0).targetGroupArn();
    }

    private CreateTargetGroupRequest.Builder tgRequest(String name) {
        return CreateTargetGroupRequest.builder().name(name).protocol(ProtocolEnum.TCP).port(5432)
                .vpcId(emu.defaultVpcId()).healthCheckProtocol(ProtocolEnum.HTTP).healthCheckPort("8008")
                .healthCheckPath("/primary").healthCheckIntervalSeconds(5).healthCheckTimeoutSeconds(3)
                .healthyThresholdCount(2).unhealthyThresholdCount(2).targetType(TargetTypeEnum.INSTANCE)
                .tags(t -> t.key("baton:cluster").value("demo"));
    }

    @Test
    void loadBalancerTargetGroupAndListenerLifecycle() {
        LoadBalancer lb = elbv2.createLoadBalancer(r -> r.name("demo").type(LoadBalancerTypeEnum.NETWORK)
                .scheme(LoadBalancerSchemeEnum.INTERNAL).subnets(subnetA, subnetB)
                .tags(t -> t.key("baton:cluster").value("demo"))).loadBalancers().get(0);
        assertEquals(LoadBalancerStateEnum.PROVISIONING, lb.state().code());
        assertEquals(LoadBalancerTypeEnum.NETWORK, lb.type());
        assertEquals(emu.defaultVpcId(), lb.vpcId());
        assertEquals(2, lb.availabilityZones().size());
        assertTrue(lb.loadBalancerArn().contains(":loadbalancer/net/demo/"), lb.loadBalancerArn());
        // Same name, same settings: the same load balancer (AWS is idempotent by name).
        assertEquals(lb.loadBalancerArn(), elbv2.createLoadBalancer(r -> r.name("demo").type(LoadBalancerTypeEnum.NETWORK)
                .scheme(LoadBalancerSchemeEnum.INTERNAL).subnets(subnetA, subnetB)).loadBalancers().get(0).loadBalancerArn());
        try (ElasticLoadBalancingV2Waiter waiter = ElasticLoadBalancingV2Waiter.builder().client(elbv2)
                .overrideConfiguration(FAST).build()) {
            waiter.waitUntilLoadBalancerAvailable(r -> r.loadBalancerArns(lb.loadBalancerArn()));
        }
        assertEquals(LoadBalancerStateEnum.ACTIVE, elbv2.describeLoadBalancers(r -> r.names("demo")).loadBalancers()
                .get(0).state().code());
        assertThrows(LoadBalancerNotFoundException.class, () -> elbv2.describeLoadBalancers(r -> r.names("nope")));
        ElasticLoadBalancingV2Exception sameAz = assertThrows(ElasticLoadBalancingV2Exception.class,
                () -> elbv2.createLoadBalancer(r -> r.name("two").type(LoadBalancerTypeEnum.NETWORK)
                        .subnets(subnetA, emu.addSubnet("us-east-1a", "10.0.3.0/24"))));
        assertEquals("InvalidConfigurationRequest", sameAz.awsErrorDetails().errorCode());

        String tg = targetGroup("demo");
        TargetGroup described = elbv2.describeTargetGroups(r -> r.names("demo")).targetGroups().get(0);
        assertEquals(tg, described.targetGroupArn());
        assertEquals("/primary", described.healthCheckPath());
        assertEquals("8008", described.healthCheckPort());
        assertEquals(ProtocolEnum.HTTP, described.healthCheckProtocol());
        assertEquals(5, described.healthCheckIntervalSeconds());
        assertEquals(3, described.healthCheckTimeoutSeconds());
        assertEquals(2, described.healthyThresholdCount());
        assertEquals(2, described.unhealthyThresholdCount());
        assertEquals(tg, targetGroup("demo"), "idempotent by name with the same settings");
        assertThrows(DuplicateTargetGroupNameException.class,
                () -> elbv2.createTargetGroup(tgRequest("demo").healthCheckPath("/leader").build()));
        ElasticLoadBalancingV2Exception range = assertThrows(ElasticLoadBalancingV2Exception.class,
                () -> elbv2.createTargetGroup(tgRequest("other").healthCheckIntervalSeconds(4).build()));
        assertEquals("ValidationError", range.awsErrorDetails().errorCode());
        assertEquals("ValidationError", assertThrows(ElasticLoadBalancingV2Exception.class,
                () -> elbv2.createTargetGroup(tgRequest("other").healthyThresholdCount(11).build()))
                .awsErrorDetails().errorCode());
        assertEquals("ValidationError", assertThrows(ElasticLoadBalancingV2Exception.class,
                () -> elbv2.createTargetGroup(tgRequest("other").healthCheckPath("primary").build()))
                .awsErrorDetails().errorCode());

        List<TargetGroupAttribute> attrs = elbv2.modifyTargetGroupAttributes(r -> r.targetGroupArn(tg).attributes(
                a -> a.key("deregistration_delay.timeout_seconds").value("10"),
                a -> a.key("deregistration_delay.connection_termination.enabled").value("true"))).attributes();
        assertTrue(attrs.contains(TargetGroupAttribute.builder().key("deregistration_delay.timeout_seconds").value("10").build()));
        assertEquals("true", elbv2.describeTargetGroupAttributes(r -> r.targetGroupArn(tg)).attributes().stream()
                .filter(a -> a.key().equals("deregistration_delay.connection_termination.enabled")).findFirst()
                .orElseThrow().value());
        assertEquals("ValidationError", assertThrows(ElasticLoadBalancingV2Exception.class,
                () -> elbv2.modifyTargetGroupAttributes(r -> r.targetGroupArn(tg).attributes(
                        a -> a.key("deregistration_delay.timeout_seconds").value("3601")))).awsErrorDetails().errorCode());

        Listener listener = elbv2.createListener(r -> r.loadBalancerArn(lb.loadBalancerArn()).protocol(ProtocolEnum.TCP)
                .port(5432).defaultActions(Action.builder().type(ActionTypeEnum.FORWARD).targetGroupArn(tg).build()))
                .listeners().get(0);
        assertEquals(5432, listener.port());
        assertEquals(tg, listener.defaultActions().get(0).targetGroupArn());
        assertEquals(List.of(listener.listenerArn()), elbv2.describeListeners(r -> r.loadBalancerArn(lb.loadBalancerArn()))
                .listeners().stream().map(Listener::listenerArn).toList());
        assertEquals(List.of(lb.loadBalancerArn()), elbv2.describeTargetGroups(r -> r.targetGroupArns(tg))
                .targetGroups().get(0).loadBalancerArns());

        elbv2.addTags(r -> r.resourceArns(tg).tags(t -> t.key("Name").value("demo")));
        var tags = elbv2.describeTags(r -> r.resourceArns(tg, lb.loadBalancerArn())).tagDescriptions();
        assertEquals(2, tags.get(0).tags().size());
        assertEquals("baton:cluster", tags.get(1).tags().get(0).key());

        assertThrows(ResourceInUseException.class, () -> elbv2.deleteTargetGroup(r -> r.targetGroupArn(tg)));
        elbv2.deleteListener(r -> r.listenerArn(listener.listenerArn()));
        assertThrows(ListenerNotFoundException.class, () -> elbv2.deleteListener(r -> r.listenerArn(listener.listenerArn())));
        elbv2.deleteTargetGroup(r -> r.targetGroupArn(tg));
        elbv2.deleteLoadBalancer(r -> r.loadBalancerArn(lb.loadBalancerArn()));
        elbv2.deleteLoadBalancer(r -> r.loadBalancerArn(lb.loadBalancerArn()));
        assertThrows(TargetGroupNotFoundException.class, () -> elbv2.describeTargetGroups(r -> r.targetGroupArns(tg)));
        assertEquals(List.of(), emu.liveResources());
    }

    @Test
    void targetsRegisterHealthDrainAndDisappear() throws Exception {
        emu.setDeregistrationDelay(Duration.ofMillis(200));
        String tg = targetGroup("demo");
        String a = emu.addRunningInstance("10.0.1.11", Map.of());
        String b = emu.addRunningInstance("10.0.2.12", Map.of());
        elbv2.registerTargets(r -> r.targetGroupArn(tg).targets(t -> t.id(a), t -> t.id(b)));
        assertEquals(List.of(a, b), emu.registeredTargets(tg));
        List<TargetHealthDescription> health = elbv2.describeTargetHealth(r -> r.targetGroupArn(tg))
                .targetHealthDescriptions();
        assertEquals(TargetHealthStateEnum.INITIAL, health.get(0).targetHealth().state());
        assertEquals(5432, health.get(0).target().port());
        assertEquals("8008", health.get(0).healthCheckPort());

        emu.setTargetHealth(tg, a, "healthy");
        emu.setTargetHealth(tg, b, "unhealthy");
        try (ElasticLoadBalancingV2Waiter waiter = ElasticLoadBalancingV2Waiter.builder().client(elbv2)
                .overrideConfiguration(FAST).build()) {
            waiter.waitUntilTargetInService(r -> r.targetGroupArn(tg).targets(TargetDescription.builder().id(a).build()));
            TargetHealthDescription hb = elbv2.describeTargetHealth(r -> r.targetGroupArn(tg).targets(t -> t.id(b)))
                    .targetHealthDescriptions().get(0);
            assertEquals(TargetHealthStateEnum.UNHEALTHY, hb.targetHealth().state());

            elbv2.deregisterTargets(r -> r.targetGroupArn(tg).targets(t -> t.id(b)));
            TargetHealthDescription draining = elbv2.describeTargetHealth(r -> r.targetGroupArn(tg).targets(t -> t.id(b)))
                    .targetHealthDescriptions().get(0);
            assertEquals(TargetHealthStateEnum.DRAINING, draining.targetHealth().state());
            assertEquals("Target.DeregistrationInProgress", draining.targetHealth().reasonAsString());
            assertEquals(List.of(a), emu.registeredTargets(tg));
            waiter.waitUntilTargetDeregistered(r -> r.targetGroupArn(tg).targets(t -> t.id(b)));
        }
        TargetHealthDescription gone = elbv2.describeTargetHealth(r -> r.targetGroupArn(tg).targets(t -> t.id(b)))
                .targetHealthDescriptions().get(0);
        assertEquals(TargetHealthStateEnum.UNUSED, gone.targetHealth().state());
        assertEquals("Target.NotRegistered", gone.targetHealth().reasonAsString());
        assertEquals(1, elbv2.describeTargetHealth(r -> r.targetGroupArn(tg)).targetHealthDescriptions().size());

        assertThrows(InvalidTargetException.class,
                () -> elbv2.registerTargets(r -> r.targetGroupArn(tg).targets(t -> t.id("i-00000000000000bad"))));
        assertThrows(InvalidTargetException.class,
                () -> elbv2.describeTargetHealth(r -> r.targetGroupArn(tg).targets(t -> t.id("i-00000000000000bad"))));
        String missing = tg.replace("/demo/", "/nope/");
        assertThrows(TargetGroupNotFoundException.class, () -> elbv2.describeTargetHealth(r -> r.targetGroupArn(missing)));
        assertThrows(TargetGroupNotFoundException.class,
                () -> elbv2.registerTargets(r -> r.targetGroupArn(missing).targets(t -> t.id(a))));

        // A terminated instance drains out of the group by itself.
        emu.terminateInstanceNow(a);
        assertEquals("draining", emu.targetHealth(tg, a));
        emu.advance(Duration.ofMillis(200));
        assertEquals(List.of(), emu.registeredTargets(tg), "gone after the deregistration delay");
        assertEquals("unused", emu.targetHealth(tg, a));
    }

    // ------------------------------------------------------------------ classic ELB

    @Test
    void classicLoadBalancerInstances() {
        emu.createClassicLoadBalancer("pg-classic", 8008, "/primary");
        String a = emu.addRunningInstance("10.0.1.11", Map.of());
        String b = emu.addRunningInstance("10.0.1.12", Map.of());
        var registered = elb.registerInstancesWithLoadBalancer(r -> r.loadBalancerName("pg-classic")
                .instances(i -> i.instanceId(a), i -> i.instanceId(b))).instances();
        assertEquals(2, registered.size());
        assertEquals(List.of(a, b), emu.classicInstances("pg-classic"));
        List<InstanceState> states = elb.describeInstanceHealth(r -> r.loadBalancerName("pg-classic")).instanceStates();
        assertEquals("OutOfService", states.get(0).state());
        emu.setClassicInstanceHealth("pg-classic", a, "InService");
        assertEquals("InService", elb.describeInstanceHealth(r -> r.loadBalancerName("pg-classic")
                .instances(i -> i.instanceId(a))).instanceStates().get(0).state());
        var lbd = elb.describeLoadBalancers(r -> r.loadBalancerNames("pg-classic")).loadBalancerDescriptions().get(0);
        assertEquals("HTTP:8008/primary", lbd.healthCheck().target());
        assertEquals(2, lbd.instances().size());

        elb.deregisterInstancesFromLoadBalancer(r -> r.loadBalancerName("pg-classic").instances(i -> i.instanceId(b)));
        assertEquals(List.of(a), emu.classicInstances("pg-classic"));
        assertThrows(software.amazon.awssdk.services.elasticloadbalancing.model.LoadBalancerNotFoundException.class,
                () -> elb.describeInstanceHealth(r -> r.loadBalancerName("nope")));
        assertThrows(software.amazon.awssdk.services.elasticloadbalancing.model.LoadBalancerNotFoundException.class,
                () -> elb.describeLoadBalancers(r -> r.loadBalancerNames("nope")));
        assertThrows(InvalidInstanceException.class, () -> elb.registerInstancesWithLoadBalancer(
                r -> r.loadBalancerName("pg-classic").instances(i -> i.instanceId("i-00000000000000bad"))));
        assertThrows(InvalidInstanceException.class, () -> elb.describeInstanceHealth(
                r -> r.loadBalancerName("pg-classic").instances(i -> i.instanceId(b))));
    }

    // ------------------------------------------------------------------ faults

    @Test
    void throttlingIsRetriedByTheSdkUntilItSucceeds() {
        emu.throttleNext("DescribeSubnets", 2);
        assertEquals(2, ec2.describeSubnets().subnets().size());
        assertEquals(3, emu.calls("DescribeSubnets").size());

        String tg = targetGroup("demo");
        emu.clearCalls();
        emu.throttleNext("DescribeTargetGroups", 2);
        assertEquals(tg, elbv2.describeTargetGroups(r -> r.names("demo")).targetGroups().get(0).targetGroupArn());
        assertEquals(3, emu.calls("DescribeTargetGroups").size());

        // Without retries the throttling error reaches the caller, with AWS's codes and statuses.
        try (Ec2Client once = ec2(1); ElasticLoadBalancingV2Client onceLb = elbv2(1)) {
            emu.throttleNext("DescribeSubnets", 1);
            Ec2Exception e = assertThrows(Ec2Exception.class, () -> once.describeSubnets());
            assertEquals("RequestLimitExceeded", e.awsErrorDetails().errorCode());
            assertEquals(503, e.statusCode());
            emu.throttleNext("elbv2:DescribeTargetGroups", 1);
            ElasticLoadBalancingV2Exception t = assertThrows(ElasticLoadBalancingV2Exception.class,
                    () -> onceLb.describeTargetGroups(r -> r.names("demo")));
            assertEquals("Throttling", t.awsErrorDetails().errorCode());
            assertEquals(400, t.statusCode());
        }
    }

    @Test
    void injectedFailuresLatencyAndHeldCalls() throws Exception {
        emu.failNext("CreateSecurityGroup", 1, 400, "UnauthorizedOperation", "You are not authorized");
        Ec2Exception e = assertThrows(Ec2Exception.class, () -> securityGroup("demo-sg"));
        assertEquals("UnauthorizedOperation", e.awsErrorDetails().errorCode());
        assertEquals("You are not authorized", e.awsErrorDetails().errorMessage());
        assertEquals(List.of(), emu.liveResources(), "a failed call changes nothing");
        securityGroup("demo-sg");

        // A qualified name hits one ELB only.
        emu.createClassicLoadBalancer("pg-classic", 8008, "/primary");
        emu.failNext("elb:DescribeLoadBalancers", 1, 400, "LoadBalancerNotFound", "gone");
        elbv2.describeLoadBalancers();
        assertThrows(software.amazon.awssdk.services.elasticloadbalancing.model.LoadBalancerNotFoundException.class,
                () -> elb.describeLoadBalancers(r -> r.loadBalancerNames("pg-classic")));

        // Latency is real time (for tests with real agents): a lower bound, never exceeded downwards.
        emu.setLatency("DescribeVpcs", Duration.ofMillis(50));
        long t0 = System.nanoTime();
        ec2.describeVpcs();
        assertTrue(System.nanoTime() - t0 >= Duration.ofMillis(50).toNanos());
        emu.setLatency("DescribeVpcs", Duration.ZERO);

        // A held call waits at the gate, after it is recorded, until the test lets it go.
        emu.gate().hold("DescribeVpcs");
        CompletableFuture<?> held = CompletableFuture.runAsync(() -> ec2.describeVpcs());
        emu.gate().awaitHeld("DescribeVpcs", 1);
        assertFalse(held.isDone());
        assertEquals("DescribeVpcs", emu.calls().get(emu.calls().size() - 1).action());
        emu.gate().release("DescribeVpcs");
        held.get(10, TimeUnit.SECONDS);
    }

    @Test
    void unknownActionsAndVersionsAreRefused() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(emu.endpoint())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("Action=StopInstances&Version=2016-11-15&InstanceId.1=i-1")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("<Code>InvalidAction</Code>"), r.body());
        r = http.send(HttpRequest.newBuilder(emu.endpoint()).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("Action=CreateRule&Version=2015-12-01")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("<ErrorResponse") && r.body().contains("<Code>InvalidAction</Code>"), r.body());
        r = http.send(HttpRequest.newBuilder(emu.endpoint()).POST(HttpRequest.BodyPublishers.ofString(
                "Action=ListBuckets&Version=2006-03-01")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode());
    }

    // ------------------------------------------------------------------ probes

    @Test
    void healthFollowsRealHttpProbes() throws Exception {
        AtomicInteger status = new AtomicInteger(200);
        HttpServer agent = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        agent.createContext("/primary", ex -> {
            ex.sendResponseHeaders(status.get(), -1);
            ex.close();
        });
        agent.start();
        try {
            String tg = emu.createTargetGroup("demo", 5432, 8008, "/primary");
            emu.createClassicLoadBalancer("pg-classic", 8008, "/primary");
            String up = emu.addRunningInstance("10.0.1.11", Map.of());
            String down = emu.addRunningInstance("10.0.1.12", Map.of());
            elbv2.registerTargets(r -> r.targetGroupArn(tg).targets(t -> t.id(up), t -> t.id(down)));
            elb.registerInstancesWithLoadBalancer(r -> r.loadBalancerName("pg-classic").instances(i -> i.instanceId(up)));
            URI agentUri = URI.create("http://127.0.0.1:" + agent.getAddress().getPort());
            // "down" points at a port nobody listens on.
            URI dead = URI.create("http://127.0.0.1:1");
            emu.probeTargetsOverHttp(id -> id.equals(up) ? agentUri : dead, Duration.ofMillis(30));

            await("up healthy, down unhealthy", () -> emu.targetHealth(tg, up).equals("healthy")
                    && emu.targetHealth(tg, down).equals("unhealthy"));
            TargetHealthDescription d = elbv2.describeTargetHealth(r -> r.targetGroupArn(tg).targets(t -> t.id(down)))
                    .targetHealthDescriptions().get(0);
            assertEquals("Target.FailedHealthChecks", d.targetHealth().reasonAsString());
            await("classic InService", () -> emu.classicInstanceHealth("pg-classic", up).equals("InService"));

            status.set(503);
            await("up unhealthy after 503s", () -> emu.targetHealth(tg, up).equals("unhealthy"));
            assertEquals("Target.ResponseCodeMismatch", elbv2.describeTargetHealth(r -> r.targetGroupArn(tg)
                    .targets(t -> t.id(up))).targetHealthDescriptions().get(0).targetHealth().reasonAsString());
            await("classic OutOfService", () -> emu.classicInstanceHealth("pg-classic", up).equals("OutOfService"));

            status.set(200);
            await("up healthy again", () -> emu.targetHealth(tg, up).equals("healthy"));
            emu.stopProbing();
        } finally {
            agent.stop(0);
        }
    }

    // ------------------------------------------------------------------ IMDS

    @Test
    void imdsV2NeedsAToken() throws Exception {
        String id = emu.addRunningInstance("10.0.2.33", Map.of());
        URI base = emu.imds(id);
        assertEquals(base, emu.imds(id));
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> noToken = http.send(HttpRequest.newBuilder(base.resolve("/latest/meta-data/instance-id"))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, noToken.statusCode());
        HttpResponse<String> noTtl = http.send(HttpRequest.newBuilder(base.resolve("/latest/api/token"))
                .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, noTtl.statusCode());
        String token = http.send(HttpRequest.newBuilder(base.resolve("/latest/api/token"))
                .header("X-aws-ec2-metadata-token-ttl-seconds", "60").PUT(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertFalse(token.isBlank());
        for (Map.Entry<String, String> e : Map.of("/latest/meta-data/instance-id", id,
                "/latest/meta-data/placement/region", "us-east-1",
                "/latest/meta-data/placement/availability-zone", "us-east-1b",
                "/latest/meta-data/local-ipv4", "10.0.2.33").entrySet()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve(e.getKey()))
                    .header("X-aws-ec2-metadata-token", token).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), e.getKey());
            assertEquals(e.getValue(), r.body(), e.getKey());
        }
        HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(base.resolve("/latest/meta-data/instance-id"))
                .header("X-aws-ec2-metadata-token", "forged").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, wrong.statusCode());
        assertNotEquals(emu.imds(id), emu.imds(emu.addRunningInstance("10.0.2.34", Map.of())));
    }
}
