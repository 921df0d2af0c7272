package dev.baton.aws.provision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.aws.provision.ClusterProvisioner.Network;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroup;

/** The steps' pure parts: the security group's rules, health check drift, subnets, etcd peers. */
class ProvisionStepsTest {
    private static final ClusterSpec SPEC = ClusterSpec.builder("demo").instances(3).instanceType("t3.medium")
            .ami("ami-0123456789abcdef0").subnets(List.of("subnet-0a", "subnet-0b")).colocateEtcd(true).build();

    private static Subnet subnet(String id, String zone) {
        return subnet(id, zone, "10.0.1.0/24");
    }

    private static Subnet subnet(String id, String zone, String cidr) {
        return Subnet.builder().subnetId(id).availabilityZone(zone).cidrBlock(cidr).vpcId("vpc-1").build();
    }

    private static String text(SecurityGroupStep.Rule r) {
        return r.from() + "-" + r.to() + " " + (r.group() != null ? r.group() : r.cidr());
    }

    /** The REST API port is open to the members and to the load balancer's subnets (its health checks), not the VPC. */
    @Test
    void rulesLetMembersTalkHealthChecksComeFromTheLoadBalancerAndClientsFromTheVpcOrTheirCidrs() {
        Network net = new Network("vpc-1", "10.0.0.0/16", List.of(subnet("subnet-a1", "az-a", "10.0.1.0/24"),
                subnet("subnet-b1", "az-b", "10.0.2.0/24"), subnet("subnet-a2", "az-a", "10.0.3.0/24")));
        assertEquals(List.of("5432-5432 sg-1", "8008-8008 sg-1", "2379-2380 sg-1", "8008-8008 10.0.1.0/24",
                "8008-8008 10.0.2.0/24", "5432-5432 10.0.0.0/16"), SecurityGroupStep.rules(SPEC, "sg-1", net).stream()
                .map(ProvisionStepsTest::text).toList());
        ClusterSpec open = ClusterSpec.builder("demo").clientCidrs(List.of("192.0.2.0/24", "198.51.100.0/24"))
                .sshCidrs(List.of("203.0.113.0/24")).build();
        assertEquals(List.of("5432-5432 sg-1", "8008-8008 sg-1", "2379-2380 sg-1", "8008-8008 10.0.1.0/24",
                "8008-8008 10.0.2.0/24", "5432-5432 192.0.2.0/24", "5432-5432 198.51.100.0/24", "22-22 203.0.113.0/24"),
                SecurityGroupStep.rules(open, "sg-1", net).stream().map(ProvisionStepsTest::text).toList());
        assertTrue(SecurityGroupStep.rules(open, "sg-1", net).stream()
                .noneMatch(r -> SecurityGroupStep.obsolete(r, "10.0.0.0/16")), "nothing opens the REST API to the VPC");
        assertTrue(SecurityGroupStep.obsolete(new SecurityGroupStep.Rule(8008, 8008, null, "10.0.0.0/16", null),
                "10.0.0.0/16"));
    }

    @Test
    void aRuleIsTheSameWhateverItsDescription() {
        SecurityGroupStep.Rule a = new SecurityGroupStep.Rule(1, 2, null, "10.0.0.0/8", "why");
        assertEquals(true, a.sameAs(new SecurityGroupStep.Rule(1, 2, null, "10.0.0.0/8", null)));
        assertEquals(false, a.sameAs(new SecurityGroupStep.Rule(1, 2, "sg-1", null, "why")));
        assertEquals("10.0.0.0/8", a.permission().ipRanges().get(0).cidrIp());
    }

    @Test
    void healthCheckDrift() {
        TargetGroup ours = TargetGroup.builder().healthCheckProtocol("HTTPS").healthCheckPath("/primary").healthCheckPort("8008")
                .healthCheckIntervalSeconds(5).healthyThresholdCount(2).unhealthyThresholdCount(2).build();
        assertEquals("", TargetGroupStep.healthCheckDrift(ours));
        assertEquals("path /health, port 5432, interval 30, thresholds 3/2",
                TargetGroupStep.healthCheckDrift(ours.toBuilder().healthCheckPath("/health").healthCheckPort("5432")
                        .healthCheckIntervalSeconds(30).healthyThresholdCount(3).build()));
        assertEquals("protocol HTTP (the agents serve HTTPS only)",
                TargetGroupStep.healthCheckDrift(ours.toBuilder().healthCheckProtocol("HTTP").build()));
    }

    @Test
    void oneLoadBalancerSubnetPerZoneTheFirstGiven() {
        Network net = new Network("vpc-1", "10.0.0.0/16", List.of(subnet("subnet-a1", "az-a"),
                subnet("subnet-b1", "az-b"), subnet("subnet-a2", "az-a")));
        assertEquals(List.of("subnet-a1", "subnet-b1"), LoadBalancerStep.loadBalancerSubnets(net));
    }

    @Test
    void aColocatedEtcdKnowsEveryPeer() {
        UserData.Etcd e = InstancesStep.etcd(SPEC, List.of("10.0.1.10", "10.0.2.10", "10.0.1.11"), 1);
        assertEquals(new UserData.Etcd("demo-2", "demo-1=https://10.0.1.10:2380,demo-2=https://10.0.2.10:2380,"
                + "demo-3=https://10.0.1.11:2380", "baton-demo"), e);
    }
}
