package dev.baton.aws.provision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.aws.emulator.AwsEmulator;
import dev.baton.aws.emulator.Sandbox;
import dev.baton.aws.provision.ProvisionReport.Status;
import dev.baton.config.ConfigLoader;
import dev.baton.config.LoadResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancer;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroup;

/** create / re-run / fail and resume / delete / status, against the AWS emulator (on virtual time) through the real SDK clients. */
class ClusterProvisionerTest {
    private static final Pacing FAST = Pacing.polling(Duration.ofMillis(10), Duration.ofSeconds(20));

    private AwsEmulator emu;
    private AwsClients aws;
    private String subnetA;
    private String subnetB;
    private final List<String> progress = new ArrayList<>();
    private int passwordCount;

    @BeforeEach
    void setUp() throws Exception {
        Sandbox sandbox = Sandbox.start();
        emu = sandbox.emu();
        subnetA = sandbox.subnetA();
        subnetB = sandbox.subnetB();
        aws = AwsClients.open(new AwsTarget(emu.region(), emu.endpoint(), emu.endpoint()),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")), FAST);
    }

    @AfterEach
    void tearDown() {
        aws.close();
        emu.close();
    }

    private ClusterProvisioner provisioner() {
        return new ClusterProvisioner(aws.ec2(), aws.elbv2(), emu.region(), FAST,
                () -> "Password" + (++passwordCount) + "x".repeat(20), progress::add);
    }

    private ClusterSpec.Builder spec() {
        return ClusterSpec.builder("demo").instances(3).instanceType("t3.medium").ami("ami-0123456789abcdef0")
                .subnets(List.of(subnetA, subnetB)).etcdHosts(List.of("10.0.9.1:2379", "10.0.9.2:2379"))
                .keyName("ops").sshCidrs(List.of("203.0.113.0/24"));
    }

    private List<AwsEmulator.Call> mutating() {
        return emu.calls().stream().filter(AwsEmulator.Call::mutating).toList();
    }

    /** The tags a RunInstances request put on the instance. */
    static Map<String, String> instanceTags(Map<String, String> params) {
        Map<String, String> tags = new LinkedHashMap<>();
        for (int s = 1; params.containsKey("TagSpecification." + s + ".ResourceType"); s++) {
            if (!params.get("TagSpecification." + s + ".ResourceType").equals("instance")) {
                continue;
            }
            for (int t = 1; params.containsKey("TagSpecification." + s + ".Tag." + t + ".Key"); t++) {
                tags.put(params.get("TagSpecification." + s + ".Tag." + t + ".Key"),
                        params.get("TagSpecification." + s + ".Tag." + t + ".Value"));
            }
        }
        return tags;
    }

    @Test
    void createsTheWholeClusterThenFindsItAgainAndCreatesNothing() {
        ProvisionReport report = provisioner().create(spec().build());
        assertTrue(report.resources().stream().allMatch(r -> r.status() == Status.CREATED), report.resources().toString());

        // The security group: the members talk to each other; health checks come from the load
        // balancer's subnets, clients from the VPC.
        SecurityGroup sg = aws.ec2().describeSecurityGroups(r -> r.groupNames("baton-demo")).securityGroups().get(0);
        assertEquals("demo", Inventory.tag(sg.tags(), Names.CLUSTER_TAG));
        Set<String> rules = new java.util.TreeSet<>();
        for (IpPermission p : sg.ipPermissions()) {
            p.userIdGroupPairs().forEach(g -> rules.add(p.fromPort() + "-" + p.toPort() + " " + (g.groupId().equals(sg.groupId()) ? "self" : g.groupId())));
            p.ipRanges().forEach(c -> rules.add(p.fromPort() + "-" + p.toPort() + " " + c.cidrIp()));
        }
        assertEquals(new java.util.TreeSet<>(List.of("5432-5432 self", "8008-8008 self", "2379-2380 self",
                "8008-8008 10.0.1.0/24", "8008-8008 10.0.2.0/24", "5432-5432 10.0.0.0/16",
                "22-22 203.0.113.0/24")), rules);

        // The target group: TCP 5432, health check HTTPS 8008 /primary every 5 s, 2/2; quick draining.
        TargetGroup tg = aws.elbv2().describeTargetGroups(r -> r.names("baton-demo")).targetGroups().get(0);
        assertEquals("TCP", tg.protocolAsString());
        assertEquals(5432, tg.port());
        assertEquals("HTTPS", tg.healthCheckProtocolAsString());
        assertEquals("8008", tg.healthCheckPort());
        assertEquals("/primary", tg.healthCheckPath());
        assertEquals(5, tg.healthCheckIntervalSeconds());
        assertTrue(tg.healthCheckTimeoutSeconds() >= 2 && tg.healthCheckTimeoutSeconds() <= 4);
        assertEquals(2, tg.healthyThresholdCount());
        assertEquals(2, tg.unhealthyThresholdCount());
        assertEquals("10", emu.targetGroupAttribute(tg.targetGroupArn(), "deregistration_delay.timeout_seconds"));
        assertEquals("true", emu.targetGroupAttribute(tg.targetGroupArn(),
                "deregistration_delay.connection_termination.enabled"));

        // The network load balancer, internal, one subnet per zone, with its listener, active.
        LoadBalancer lb = aws.elbv2().describeLoadBalancers(r -> r.names("baton-demo")).loadBalancers().get(0);
        assertEquals("network", lb.typeAsString());
        assertEquals("internal", lb.schemeAsString());
        assertEquals("active", lb.state().codeAsString());
        assertEquals(Set.of(subnetA, subnetB), lb.availabilityZones().stream().map(z -> z.subnetId()).collect(Collectors.toSet()));
        var listener = aws.elbv2().describeListeners(r -> r.loadBalancerArn(lb.loadBalancerArn())).listeners().get(0);
        assertEquals("TCP", listener.protocolAsString());
        assertEquals(5432, listener.port());
        assertEquals(tg.targetGroupArn(), listener.defaultActions().get(0).targetGroupArn());
        assertEquals(lb.dnsName() + ":5432", report.endpoint());

        // Three instances, round-robin over the subnets, each with its own tags, token and user data.
        List<AwsEmulator.Call> runs = emu.calls("RunInstances");
        assertEquals(3, runs.size());
        assertEquals(List.of(subnetA, subnetB, subnetA), runs.stream().map(c -> c.params().get("SubnetId")).toList());
        UserData.Passwords first = null;
        for (int i = 0; i < 3; i++) {
            Map<String, String> p = runs.get(i).params();
            String member = "demo-" + (i + 1);
            assertEquals(Map.of("baton:cluster", "demo", "baton:member", member, "Name", member), instanceTags(p));
            assertEquals("baton-" + member, p.get("ClientToken"));
            assertEquals(sg.groupId(), p.get("SecurityGroupId.1"));
            assertEquals("ops", p.get("KeyName"));
            assertEquals("t3.medium", p.get("InstanceType"));
            assertEquals("ami-0123456789abcdef0", p.get("ImageId"));
            assertEquals("required", p.get("MetadataOptions.HttpTokens"));
            assertNull(p.get("PrivateIpAddress"), "AWS assigns the addresses");
            String config = UserData.agentConfig(UserData.decode(p.get("UserData")));
            LoadResult r = new ConfigLoader(Map.of()).loadString(config.replace(UserData.PRIVATE_IP_TOKEN, "10.0.1.9"));
            assertTrue(r.ok(), r.errors().toString());
            assertEquals("demo", r.config().scope());
            assertEquals(member, r.config().name());
            assertEquals(List.of("10.0.9.1:2379", "10.0.9.2:2379"), r.config().etcd().hosts());
            assertEquals(tg.targetGroupArn(), r.config().aws().targetGroupArn());
            assertEquals("us-east-1", r.config().aws().region());
            UserData.Passwords pw = UserData.passwords(p.get("UserData"));
            if (first == null) {
                first = pw;
            }
            assertEquals(first, pw, "one set of passwords for the whole cluster");
        }
        for (String line : progress) {
            assertFalse(line.contains(first.superuser()) || line.contains(first.replication()), line);
        }
        List<String> ids = emu.instances().stream().map(AwsEmulator.InstanceInfo::id).toList();
        assertTrue(emu.instances().stream().allMatch(i -> i.state().equals("running")));
        assertEquals(List.of("us-east-1a", "us-east-1b", "us-east-1a"),
                emu.instances().stream().map(AwsEmulator.InstanceInfo::availabilityZone).toList());
        assertEquals(ids, emu.registeredTargets(tg.targetGroupArn()));
        assertTrue(progress.stream().anyMatch(l -> l.startsWith("[10/10] load balancer active")), progress.toString());

        // Again: everything is found, nothing is created or changed.
        emu.clearCalls();
        progress.clear();
        ProvisionReport again = provisioner().create(spec().build());
        assertEquals(List.of(), mutating());
        assertTrue(again.resources().stream().allMatch(r -> r.status() == Status.EXISTS), again.resources().toString());
        assertEquals(report.endpoint(), again.endpoint());
        assertEquals(1, passwordCount / 2, "the passwords of the first run are reused, never regenerated");
    }

    @Test
    void aFailureMidwayReportsWhatExistsAndARerunResumes() {
        emu.failNext("CreateLoadBalancer", 1, 400, "TooManyLoadBalancers", "quota of load balancers reached");
        ProvisionException e = assertThrows(ProvisionException.class, () -> provisioner().create(spec().build()));
        assertEquals("load balancer", e.step());
        assertTrue(e.getMessage().contains("TooManyLoadBalancers: quota of load balancers reached"), e.getMessage());
        Map<String, Status> status = e.report().resources().stream()
                .collect(Collectors.toMap(r -> r.kind() + " " + r.name(), ProvisionReport.Resource::status));
        assertEquals(Status.CREATED, status.get("security-group baton-demo"));
        assertEquals(Status.CREATED, status.get("target-group baton-demo"));
        assertEquals(Status.MISSING, status.get("load-balancer baton-demo"));
        assertEquals(Status.MISSING, status.get("listener TCP 5432"));
        assertEquals(Status.MISSING, status.get("instance demo-1"));
        assertEquals(Status.MISSING, status.get("target demo-3"));
        assertEquals(2, e.report().present().size());
        assertNotNull(e.report().get("target-group", "baton-demo").id());
        assertEquals(List.of(), emu.calls("RunInstances"), "stopped before the instances");

        emu.clearCalls();
        ProvisionReport r = provisioner().create(spec().build());
        assertEquals(Status.EXISTS, r.get("security-group", "baton-demo").status());
        assertEquals(Status.EXISTS, r.get("target-group", "baton-demo").status());
        assertEquals(Status.CREATED, r.get("load-balancer", "baton-demo").status());
        assertEquals(Status.CREATED, r.get("instance", "demo-3").status());
        assertEquals(List.of(), emu.calls("CreateSecurityGroup"));
        assertEquals(List.of(), emu.calls("CreateTargetGroup"));
        assertEquals(3, emu.registeredTargets(emu.targetGroupArn("baton-demo")).size());
    }

    /** The secrets go into the user data only: never into the progress lines or the report. */
    @Test
    void noPasswordOrKeyReachesTheProgressOrTheReport() {
        ProvisionReport report = provisioner().create(spec().build());
        String data = emu.instance(emu.instances().get(0).id()).userData();
        UserData.Passwords p = UserData.passwords(data);
        UserData.ClusterCa ca = UserData.ca(data);
        assertTrue(p.restapi().startsWith("Password"), "the REST API password is a new random one");
        assertNotEquals(p.superuser(), p.restapi());
        String key = ca.key().lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
        String shown = String.join("\n", progress) + "\n" + report.resources() + "\n" + report;
        for (String secret : List.of(p.superuser(), p.replication(), p.restapi(), key, "PRIVATE KEY")) {
            assertFalse(shown.contains(secret), "a secret in the output: " + shown);
        }
        assertTrue(UserData.agentConfig(UserData.decode(data)).contains("password: '" + p.restapi() + "'"));
    }

    @Test
    void aTerminatedMemberIsReplacedWithTheClustersPasswords() {
        provisioner().create(spec().build());
        String old = emu.instances().get(1).id();
        UserData.Passwords before = UserData.passwords(emu.instance(old).userData());
        emu.terminateInstanceNow(old);
        emu.clearCalls();
        ProvisionReport r = provisioner().create(spec().build());
        assertEquals(Status.CREATED, r.get("instance", "demo-2").status());
        List<AwsEmulator.Call> runs = emu.calls("RunInstances");
        assertEquals(1, runs.size());
        assertEquals("baton-demo-2-g1", runs.get(0).params().get("ClientToken"), "a new token: the old one is spent");
        assertEquals(subnetB, runs.get(0).params().get("SubnetId"));
        assertEquals(before, UserData.passwords(runs.get(0).params().get("UserData")));
        assertEquals(UserData.ca(emu.instance(emu.instances().get(0).id()).userData()),
                UserData.ca(runs.get(0).params().get("UserData")), "the cluster's CA, not a new one");
        String replacement = r.get("instance", "demo-2").id();
        assertNotEquals(old, replacement);
        assertTrue(emu.registeredTargets(emu.targetGroupArn("baton-demo")).contains(replacement));
    }

    @Test
    void aColocatedEtcdGetsAddressesChosenBeforeLaunch() {
        ClusterSpec colocated = spec().etcdHosts(List.of()).colocateEtcd(true).ipOffset(6).build();
        provisioner().create(colocated);
        List<AwsEmulator.Call> runs = emu.calls("RunInstances");
        assertEquals(List.of("10.0.1.10", "10.0.2.10", "10.0.1.11"),
                runs.stream().map(c -> c.params().get("PrivateIpAddress")).toList());
        assertEquals(List.of("10.0.1.10", "10.0.2.10", "10.0.1.11"),
                emu.instances().stream().map(AwsEmulator.InstanceInfo::privateIp).toList());
        String text = UserData.decode(runs.get(2).params().get("UserData"));
        String env = UserData.file(text, "/etc/default/etcd");
        assertTrue(env.contains("ETCD_NAME=demo-3\n"), env);
        assertTrue(env.contains("ETCD_INITIAL_CLUSTER=demo-1=https://10.0.1.10:2380,demo-2=https://10.0.2.10:2380,"
                + "demo-3=https://10.0.1.11:2380\n"), env);
        LoadResult r = new ConfigLoader(Map.of()).loadString(UserData.agentConfig(text));
        assertTrue(r.ok(), r.errors().toString());
        assertEquals(List.of("10.0.1.10:2379", "10.0.2.10:2379", "10.0.1.11:2379"), r.config().etcd().hosts());
        assertEquals("10.0.1.11", r.config().restapi().connectHost());

        // The etcd members cannot change afterwards: refused before anything is changed.
        emu.clearCalls();
        InvalidSpecException grow = assertThrows(InvalidSpecException.class,
                () -> provisioner().create(spec().etcdHosts(List.of()).colocateEtcd(true).ipOffset(6).instances(5).build()));
        assertTrue(grow.getMessage().contains("a colocated etcd cannot change its members"), grow.getMessage());
        assertThrows(InvalidSpecException.class, () -> provisioner().create(spec().build()), "now with an external etcd");
        assertEquals(List.of(), mutating());
    }

    @Test
    void theDerivedOffsetIsStableAndFitsTheSubnets() {
        ClusterProvisioner.Network net = provisioner().network(spec().build());
        ClusterSpec s = spec().etcdHosts(List.of()).colocateEtcd(true).build();
        List<String> ips = ClusterProvisioner.memberIps(s, net);
        assertEquals(ips, ClusterProvisioner.memberIps(s, net));
        assertEquals(3, ips.size());
        assertTrue(ips.get(0).startsWith("10.0.1.") && ips.get(1).startsWith("10.0.2."), ips.toString());
        assertNotEquals(ips, ClusterProvisioner.memberIps(ClusterSpec.builder("other").instances(3)
                .instanceType("t3.medium").ami("ami-0123456789abcdef0").subnets(List.of(subnetA, subnetB))
                .colocateEtcd(true).build(), net), "another cluster in the same subnets gets other addresses");
        String tiny = emu.addSubnet("us-east-1c", "10.0.3.0/29");
        assertThrows(InvalidSpecException.class, () -> provisioner().create(spec().subnets(List.of(tiny))
                .etcdHosts(List.of()).colocateEtcd(true).instances(5).build()));
    }

    @Test
    void unknownSubnetsAndForeignNamesChangeNothing() {
        InvalidSpecException e = assertThrows(InvalidSpecException.class,
                () -> provisioner().create(spec().subnets(List.of(subnetA, "subnet-00000000deadbeef0")).build()));
        assertTrue(e.getMessage().startsWith("--subnets:"), e.getMessage());
        assertEquals(List.of(), mutating());

        emu.createTargetGroup("baton-demo", 5432, 8008, "/primary");
        ProvisionException conflict = assertThrows(ProvisionException.class, () -> provisioner().create(spec().build()));
        assertEquals("checking names", conflict.step());
        assertTrue(conflict.getMessage().contains("is not tagged baton:cluster=demo"), conflict.getMessage());
        assertEquals(List.of(), mutating());
    }

    @Test
    void throttlingIsRetried() {
        emu.throttleNext("RunInstances", 2);
        emu.throttleNext("CreateTargetGroup", 2);
        provisioner().create(spec().build());
        assertEquals(3, emu.instances().size());
        assertEquals(5, emu.calls("RunInstances").size());
    }

    @Test
    void deleteRemovesEverythingAndIsSafeToRepeat() {
        provisioner().create(spec().build());
        assertFalse(emu.liveResources().isEmpty());
        ClusterInventory inventory = new ClusterInventory(aws.ec2(), aws.elbv2());
        List<String> lines = new ArrayList<>();
        ClusterDeleter deleter = new ClusterDeleter(aws.ec2(), aws.elbv2(), FAST, lines::add, emu::advance);
        ProvisionReport r = deleter.delete(inventory.read("demo"));
        assertTrue(r.resources().stream().allMatch(x -> x.status() == Status.DELETED), r.resources().toString());
        assertEquals(7, r.resources().size(), "listener, load balancer, target group, 3 instances, security group: "
                + r.resources());
        assertEquals(List.of(), emu.liveResources());
        assertTrue(inventory.read("demo").empty());
        emu.clearCalls();
        deleter.delete(inventory.read("demo"));
        assertEquals(List.of(), mutating());
        assertEquals(List.of(), inventory.list());
    }

    @Test
    void statusShowsRolesAndTargetHealth() {
        provisioner().create(spec().build());
        List<AwsEmulator.InstanceInfo> inst = emu.instances();
        String tg = emu.targetGroupArn("baton-demo");
        emu.setTargetHealth(tg, inst.get(0).id(), "healthy");
        emu.setTargetHealth(tg, inst.get(1).id(), "unhealthy");
        MemberRoles roles = ips -> {
            Map<String, String> m = new LinkedHashMap<>();
            ips.forEach(ip -> m.put(ip, ip.equals(inst.get(0).privateIp()) ? "primary"
                    : ip.equals(inst.get(1).privateIp()) ? "replica" : MemberRoles.UNREACHABLE));
            return m;
        };
        ClusterStatus st = ClusterStatus.read(aws.ec2(), aws.elbv2(), roles, "demo");
        assertEquals(List.of("demo-1", "demo-2", "demo-3"), st.members().stream().map(ClusterStatus.Member::member).toList());
        assertEquals(List.of("primary", "replica", "unreachable"), st.members().stream().map(ClusterStatus.Member::role).toList());
        assertEquals(List.of("healthy", "unhealthy", "initial"),
                st.members().stream().map(ClusterStatus.Member::targetHealth).toList());
        assertEquals("us-east-1a", st.members().get(0).availabilityZone());
        assertEquals(inst.get(2).privateIp(), st.members().get(2).privateIp());
        assertEquals("TCP 5432", st.listener());
        assertNotNull(st.loadBalancerDns());

        List<ClusterInventory.Summary> list = new ClusterInventory(aws.ec2(), aws.elbv2()).list();
        assertEquals(1, list.size());
        assertEquals(new ClusterInventory.Summary("demo", 3, 3, st.loadBalancerDns(), "active"), list.get(0));
    }
}
