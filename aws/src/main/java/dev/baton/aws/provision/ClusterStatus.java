package dev.baton.aws.provision;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Listener;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthDescription;

/**
 * What {@code baton aws describe} shows: the cluster's resources, each instance with the role its
 * agent reports and its health in the target group.
 *
 * @param members every instance not terminated, by member name
 */
public record ClusterStatus(String cluster, String securityGroupId, String targetGroupArn, String loadBalancerArn,
                            String loadBalancerDns, String loadBalancerState, String listener,
                            List<Member> members, List<String> conflicts) {

    /**
     * One instance.
     *
     * @param role         from its agent ({@code primary}, {@code replica}, ...), {@code unreachable},
     *                     or "" while the instance does not run
     * @param targetHealth its state in the target group ({@code healthy}, {@code unhealthy},
     *                     {@code initial}, {@code draining}, {@code unused} when not registered)
     */
    public record Member(String member, String instanceId, String availabilityZone, String privateIp, String state,
                         String role, String targetHealth, String targetHealthReason) {
    }

    public ClusterStatus {
        members = List.copyOf(members);
        conflicts = List.copyOf(conflicts);
    }

    /** True when nothing of the cluster exists. */
    public boolean empty() {
        return securityGroupId == null && targetGroupArn == null && loadBalancerArn == null && members.isEmpty();
    }

    /** Reads the status of {@code cluster}: its inventory, the target health and the agents' roles. */
    public static ClusterStatus read(Ec2Client ec2, ElasticLoadBalancingV2Client elb, MemberRoles roles, String cluster) {
        Inventory inv = new ClusterInventory(ec2, elb).read(cluster);
        Map<String, TargetHealthDescription> health = new HashMap<>();
        if (inv.targetGroup() != null) {
            String arn = inv.targetGroup().targetGroupArn();
            for (TargetHealthDescription d : elb.describeTargetHealth(r -> r.targetGroupArn(arn)).targetHealthDescriptions()) {
                health.put(d.target().id(), d);
            }
        }
        List<Instance> shown = inv.instances().stream().filter(i -> i.state().name() != InstanceStateName.TERMINATED)
                .sorted(java.util.Comparator.comparing((Instance i) -> {
                    String m = Inventory.tag(i.tags(), Names.MEMBER_TAG);
                    int idx = Names.index(cluster, m);
                    return idx < 0 ? Integer.MAX_VALUE : idx;
                })).toList();
        List<String> ips = shown.stream().filter(i -> i.state().name() == InstanceStateName.RUNNING
                && i.privateIpAddress() != null).map(Instance::privateIpAddress).toList();
        Map<String, String> roleByIp = ips.isEmpty() ? Map.of() : roles.roles(ips);
        List<Member> members = new ArrayList<>();
        for (Instance i : shown) {
            String member = Inventory.tag(i.tags(), Names.MEMBER_TAG);
            TargetHealthDescription d = health.get(i.instanceId());
            members.add(new Member(member == null ? i.instanceId() : member, i.instanceId(),
                    i.placement() == null ? "" : i.placement().availabilityZone(),
                    i.privateIpAddress() == null ? "" : i.privateIpAddress(), i.state().nameAsString(),
                    roleByIp.getOrDefault(i.privateIpAddress(), ""),
                    d == null ? (inv.targetGroup() == null ? "" : "unused") : d.targetHealth().stateAsString(),
                    d == null || d.targetHealth().reasonAsString() == null ? "" : d.targetHealth().reasonAsString()));
        }
        String sg = inv.securityGroups().isEmpty() ? null : inv.securityGroups().get(0).groupId();
        Listener l = inv.listeners().isEmpty() ? null : inv.listeners().get(0);
        return new ClusterStatus(cluster, sg, inv.targetGroup() == null ? null : inv.targetGroup().targetGroupArn(),
                inv.loadBalancer() == null ? null : inv.loadBalancer().loadBalancerArn(),
                inv.loadBalancer() == null ? null : inv.loadBalancer().dnsName(),
                inv.loadBalancer() == null ? null : inv.loadBalancer().state().codeAsString(),
                l == null ? null : l.protocolAsString() + " " + l.port(), members, inv.conflicts());
    }
}
