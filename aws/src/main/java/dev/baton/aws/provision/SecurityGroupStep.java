package dev.baton.aws.provision;

import dev.baton.aws.provision.ClusterProvisioner.Network;
import dev.baton.aws.provision.ClusterProvisioner.Plan;
import dev.baton.aws.provision.ProvisionReport.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.IpRange;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.ec2.model.UserIdGroupPair;

/**
 * Step 1: the cluster's security group and its ingress rules. The members reach each other on
 * PostgreSQL, the REST API and etcd; health checks come from the load balancer's subnets, clients
 * from the VPC (or the given client CIDRs); SSH from the given CIDRs. Missing rules are added,
 * extra ones left alone.
 */
record SecurityGroupStep(Ec2Client ec2, Progress progress) {

    /** One ingress rule: TCP ports from the group itself or from a CIDR. */
    record Rule(int from, int to, String group, String cidr, String why) {
        boolean sameAs(Rule o) {
            return from == o.from && to == o.to && Objects.equals(group, o.group) && Objects.equals(cidr, o.cidr);
        }

        IpPermission permission() {
            IpPermission.Builder b = IpPermission.builder().ipProtocol("tcp").fromPort(from).toPort(to);
            if (group != null) {
                b.userIdGroupPairs(UserIdGroupPair.builder().groupId(group).description(why).build());
            } else {
                b.ipRanges(IpRange.builder().cidrIp(cidr).description(why).build());
            }
            return b.build();
        }
    }

    /**
     * The rules a cluster's group needs. The REST API is open to the members and to the load
     * balancer's subnets only: an NLB's health checks come from its nodes' private addresses in
     * the subnets it was made in, and nothing else needs the port (operators run {@code baton}
     * on a member). Unsafe REST requests also need a client certificate and Basic auth.
     */
    static List<Rule> rules(ClusterSpec spec, String groupId, Network net) {
        String vpcCidr = net.vpcCidr();
        List<Rule> rules = new ArrayList<>();
        rules.add(new Rule(ClusterSpec.PG_PORT, ClusterSpec.PG_PORT, groupId, null, "PostgreSQL between members"));
        rules.add(new Rule(ClusterSpec.RESTAPI_PORT, ClusterSpec.RESTAPI_PORT, groupId, null, "Baton REST API between members"));
        rules.add(new Rule(ClusterSpec.ETCD_CLIENT_PORT, ClusterSpec.ETCD_PEER_PORT, groupId, null, "etcd between members"));
        for (String c : healthCheckCidrs(net)) {
            rules.add(new Rule(ClusterSpec.RESTAPI_PORT, ClusterSpec.RESTAPI_PORT, null, c,
                    "load balancer health checks on /primary"));
        }
        for (String c : spec.clientCidrs().isEmpty() ? List.of(vpcCidr) : spec.clientCidrs()) {
            rules.add(new Rule(ClusterSpec.PG_PORT, ClusterSpec.PG_PORT, null, c, "PostgreSQL clients through the load balancer"));
        }
        for (String c : spec.sshCidrs()) {
            rules.add(new Rule(22, 22, null, c, "SSH"));
        }
        return rules;
    }

    /** The CIDRs of the subnets the load balancer is in (one per zone), in order, each once. */
    static List<String> healthCheckCidrs(Network net) {
        List<String> ids = LoadBalancerStep.loadBalancerSubnets(net);
        return net.subnets().stream().filter(s -> ids.contains(s.subnetId())).map(Subnet::cidrBlock).distinct().toList();
    }

    /**
     * A rule an earlier Baton made and this one no longer wants: the REST API open to the whole
     * VPC. Reported, left alone (a re-run changes no rule it did not make).
     */
    static boolean obsolete(Rule r, String vpcCidr) {
        return r.from() == ClusterSpec.RESTAPI_PORT && r.to() == ClusterSpec.RESTAPI_PORT && vpcCidr.equals(r.cidr());
    }

    private static List<Rule> existingRules(SecurityGroup g) {
        List<Rule> out = new ArrayList<>();
        if (g == null) {
            return out;
        }
        for (IpPermission p : g.ipPermissions()) {
            if (!"tcp".equals(p.ipProtocol()) || p.fromPort() == null || p.toPort() == null) {
                continue;
            }
            for (UserIdGroupPair pair : p.userIdGroupPairs()) {
                out.add(new Rule(p.fromPort(), p.toPort(), pair.groupId(), null, null));
            }
            for (IpRange r : p.ipRanges()) {
                out.add(new Rule(p.fromPort(), p.toPort(), null, r.cidrIp(), null));
            }
        }
        return out;
    }

    /** What the plan reports: the group, or that it is missing. */
    static void plan(ProvisionReport report, String name, SecurityGroup sg, String vpcId) {
        report.put("security-group", name, sg == null ? null : sg.groupId(), sg == null ? Status.MISSING : Status.EXISTS,
                vpcId);
    }

    /** Makes the group if it is missing, adds the missing rules; returns the group id. */
    String apply(Plan plan) {
        ClusterSpec spec = plan.spec();
        String name = Names.resource(spec.name());
        SecurityGroup existing = plan.inventory().securityGroup(plan.network().vpcId());
        String id;
        boolean created = false;
        if (existing != null) {
            id = existing.groupId();
        } else {
            try {
                id = ec2.createSecurityGroup(r -> r.groupName(name).vpcId(plan.network().vpcId())
                        .description("Baton cluster " + spec.name() + ": PostgreSQL, REST API and etcd between members")
                        .tagSpecifications(SdkTags.ec2(ResourceType.SECURITY_GROUP, Names.resourceTags(spec.name()))))
                        .groupId();
                created = true;
            } catch (Ec2Exception e) {
                if (!"InvalidGroup.Duplicate".equals(e.awsErrorDetails().errorCode())) {
                    throw e;
                }
                throw new ProvisionException("security group", "a security group named " + name + " exists in "
                        + plan.network().vpcId() + " but is not tagged " + Names.CLUSTER_TAG + "=" + spec.name()
                        + " (rename or delete it, or choose another cluster name)", plan.report(), e);
            }
            plan.report().put("security-group", name, id, Status.CREATED, plan.network().vpcId());
        }
        List<Rule> have = existingRules(existing);
        List<Rule> missing = new ArrayList<>();
        List<Rule> wanted = rules(spec, id, plan.network());
        for (Rule r : wanted) {
            if (have.stream().noneMatch(r::sameAs)) {
                missing.add(r);
            }
        }
        if (!missing.isEmpty()) {
            authorize(id, missing);
        }
        boolean wide = have.stream().anyMatch(r -> obsolete(r, plan.network().vpcCidr()))
                && wanted.stream().noneMatch(r -> obsolete(r, plan.network().vpcCidr()));
        ClusterProvisioner.step(progress, 3, "security group " + name + ": " + (created ? "created " : "exists ") + id
                + (missing.isEmpty() ? "" : ", " + missing.size() + " rule" + (missing.size() == 1 ? "" : "s") + " added")
                + (wide ? "; it still opens the REST API port " + ClusterSpec.RESTAPI_PORT + " to the whole VPC ("
                        + plan.network().vpcCidr() + "), as an earlier Baton made it: revoke that rule" : ""));
        return id;
    }

    /** Adds the rules at once, or one by one when AWS already has some of them. */
    private void authorize(String id, List<Rule> missing) {
        try {
            ec2.authorizeSecurityGroupIngress(r -> r.groupId(id).ipPermissions(
                    missing.stream().map(Rule::permission).toList()));
        } catch (Ec2Exception e) {
            if (!"InvalidPermission.Duplicate".equals(e.awsErrorDetails().errorCode())) {
                throw e;
            }
            for (Rule rule : missing) {
                try {
                    ec2.authorizeSecurityGroupIngress(r -> r.groupId(id).ipPermissions(rule.permission()));
                } catch (Ec2Exception again) {
                    if (!"InvalidPermission.Duplicate".equals(again.awsErrorDetails().errorCode())) {
                        throw again;
                    }
                }
            }
        }
    }
}
