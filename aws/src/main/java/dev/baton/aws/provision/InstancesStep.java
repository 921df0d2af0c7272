package dev.baton.aws.provision;

import dev.baton.aws.provision.ClusterProvisioner.Network;
import dev.baton.aws.provision.ClusterProvisioner.Plan;
import dev.baton.aws.provision.ProvisionReport.Status;
import dev.baton.aws.provision.UserData.Passwords;
import dev.baton.aws.provision.UserData.Secrets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.HttpTokensState;
import software.amazon.awssdk.services.ec2.model.IamInstanceProfileSpecification;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceAttributeName;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.ec2.waiters.Ec2Waiter;

/**
 * Steps 5 and 6: one instance per member, round-robin over the subnets, each launched with its
 * own client token and user data (the agent's configuration with the target group's ARN, the
 * cluster's passwords and its CA), then the wait until they run. New members of an existing
 * cluster get the passwords and the CA of its first member, read back from that member's user data.
 */
record InstancesStep(Ec2Client ec2, String region, Pacing pacing, Supplier<String> passwordSource,
                     Function<String, UserData.ClusterCa> caSource, Progress progress) {

    /**
     * The passwords and the CA of the cluster's members, read from the first live one's user
     * data, or null when there is none. Refuses (before anything is changed) a member not
     * launched by Baton or launched by one without TLS, and a spec whose etcd differs from the
     * members' (external versus colocated, or other peers).
     */
    Secrets existingSecrets(ClusterSpec spec, List<String> ips, List<Instance> live) {
        return existingSecrets(spec, ips, live, null);
    }

    /**
     * As above; {@code stored} are the secrets already in SSM Parameter Store (or null), used
     * instead of those in the first member's user data (which has none when made with SSM).
     */
    Secrets existingSecrets(ClusterSpec spec, List<String> ips, List<Instance> live, Secrets stored) {
        if (live.isEmpty()) {
            return stored;
        }
        Instance first = live.get(0);
        String data = ec2.describeInstanceAttribute(r -> r.instanceId(first.instanceId())
                .attribute(InstanceAttributeName.USER_DATA)).userData().value();
        if (data == null || data.isEmpty()) {
            throw new InvalidSpecException("instance " + first.instanceId() + " of cluster " + spec.name()
                    + " has no user data, so its passwords cannot be given to new members; delete the cluster "
                    + "or its stray instance");
        }
        Secrets secrets = stored;
        try {
            if (secrets == null) {
                secrets = new Secrets(UserData.passwords(data), UserData.ca(data));
            }
        } catch (IllegalArgumentException e) {
            throw new InvalidSpecException("instance " + first.instanceId() + " of cluster " + spec.name()
                    + " was not launched by baton aws create-cluster (" + e.getMessage() + ")");
        }
        String theirs = UserData.etcdInitialCluster(data);
        String ours = spec.colocateEtcd() ? etcd(spec, ips, 0).initialCluster() : null;
        if (!Objects.equals(theirs, ours)) {
            throw new InvalidSpecException(theirs == null
                    ? "--colocate-etcd: cluster " + spec.name() + " exists with an external etcd; give --etcd"
                    : ours == null ? "--etcd: cluster " + spec.name() + " exists with its own etcd members; give "
                            + "--colocate-etcd"
                    : "--instances/--subnets: cluster " + spec.name() + " exists with the colocated etcd members "
                            + theirs + "; a colocated etcd cannot change its members (give the same --instances, "
                            + "--subnets and --ip-offset)");
        }
        return secrets;
    }

    /** What the plan reports: each member's instance or where it will go, and live instances beyond the count. */
    static void plan(ProvisionReport report, ClusterSpec spec, Network net, Inventory inv, List<String> ips) {
        for (int i = 0; i < spec.instances(); i++) {
            String member = Names.member(spec.name(), i);
            Instance inst = inv.member(member);
            Subnet subnet = net.subnets().get(i % net.subnets().size());
            report.put("instance", member, inst == null ? null : inst.instanceId(),
                    inst == null ? Status.MISSING : Status.EXISTS,
                    inst == null ? subnet.subnetId() + " " + subnet.availabilityZone() + (ips == null ? "" : " " + ips.get(i))
                            : ClusterProvisioner.describe(inst));
        }
        for (Instance extra : inv.live()) {
            String member = Inventory.tag(extra.tags(), Names.MEMBER_TAG);
            int index = Names.index(spec.name(), member);
            if (index < 0 || index >= spec.instances()) {
                report.put("instance", member == null ? extra.instanceId() : member, extra.instanceId(), Status.EXISTS,
                        ClusterProvisioner.describe(extra) + ", beyond --instances " + spec.instances() + ": left alone");
            }
        }
    }

    /** The etcd member {@code index} of a colocated etcd, with the whole initial cluster. */
    static UserData.Etcd etcd(ClusterSpec spec, List<String> ips, int index) {
        List<String> peers = new ArrayList<>();
        for (int i = 0; i < spec.instances(); i++) {
            peers.add(Names.member(spec.name(), i) + "=https://" + ips.get(i) + ":" + ClusterSpec.ETCD_PEER_PORT);
        }
        return new UserData.Etcd(Names.member(spec.name(), index), String.join(",", peers),
                Names.resource(spec.name()));
    }

    /** The user data of member {@code index} (text). */
    static String userData(ClusterSpec spec, Network net, List<String> ips, String region, String tg,
                           Secrets secrets, int index) {
        return userData(spec, net, ips, region, tg, secrets, index, null);
    }

    /** The user data of member {@code index} (text), with the backup repository or null. */
    static String userData(ClusterSpec spec, Network net, List<String> ips, String region, String tg,
                           Secrets secrets, int index, UserData.Backup backup) {
        return userData(spec, net, ips, region, tg, secrets, index, backup, null, null);
    }

    /**
     * As above, with the secrets in SSM under {@code parameterPrefix} (or null: in the user data)
     * and the package in the cluster's bucket (or null: {@code --baton-url}).
     */
    static String userData(ClusterSpec spec, Network net, List<String> ips, String region, String tg,
                           Secrets secrets, int index, UserData.Backup backup, String parameterPrefix,
                           UserData.Package pkg) {
        List<String> etcdHosts = spec.colocateEtcd()
                ? ips.stream().map(ip -> ip + ":" + ClusterSpec.ETCD_CLIENT_PORT).toList()
                : spec.etcdHosts();
        return UserData.render(new UserData.Member(spec.name(), Names.member(spec.name(), index),
                ips == null ? null : ips.get(index), etcdHosts, region, tg, net.vpcCidr(),
                spec.clientCidrs().isEmpty() ? List.of(net.vpcCidr()) : spec.clientCidrs(), secrets.passwords(),
                secrets.ca(), spec.batonUrl(), spec.batonSha256(), spec.colocateEtcd() ? etcd(spec, ips, index) : null,
                backup, parameterPrefix, pkg));
    }

    /** Step 5: launches the members that have no live instance; returns every member's instance. */
    List<Instance> apply(Plan plan, String sg, String tg) {
        return apply(plan, sg, tg, null, null);
    }

    /**
     * As above, with the backup repository for the node YAML (or null) and the instance profile
     * Baton made (or null: the spec's {@code --instance-profile}, if any).
     */
    List<Instance> apply(Plan plan, String sg, String tg, UserData.Backup backup, String madeProfile) {
        return apply(plan, sg, tg, backup, madeProfile, secrets(plan), null, null);
    }

    /** The cluster's secrets: those that exist, else new ones. */
    Secrets secrets(Plan plan) {
        return plan.secrets() != null ? plan.secrets()
                : new Secrets(new Passwords(passwordSource.get(), passwordSource.get(), passwordSource.get()),
                        caSource.apply(plan.spec().name()));
    }

    /**
     * As above with the given secrets: in SSM under {@code parameterPrefix} (then not in the user
     * data), or in the user data when it is null; and the package in the bucket, or null.
     */
    List<Instance> apply(Plan plan, String sg, String tg, UserData.Backup backup, String madeProfile, Secrets secrets,
                         String parameterPrefix, UserData.Package pkg) {
        ClusterSpec spec = plan.spec();
        Network net = plan.network();
        List<Instance> members = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < spec.instances(); i++) {
            String member = Names.member(spec.name(), i);
            Instance existing = plan.inventory().member(member);
            if (existing != null) {
                members.add(existing);
                lines.add(member + " exists " + existing.instanceId());
                continue;
            }
            Instance launched = launch(request(plan, i, sg, tg, secrets, backup, madeProfile, parameterPrefix, pkg));
            members.add(launched);
            plan.report().put("instance", member, launched.instanceId(), Status.CREATED,
                    ClusterProvisioner.describe(launched));
            lines.add(member + " created " + launched.instanceId() + " (" + launched.placement().availabilityZone()
                    + ", " + launched.privateIpAddress() + ")");
        }
        ClusterProvisioner.step(progress, 7, "instances: " + String.join("; ", lines));
        return members;
    }

    /**
     * RunInstances; a new instance profile takes a few seconds to reach EC2 (IAM is eventually
     * consistent), so "Invalid IAM Instance Profile" is retried for up to the dependency timeout.
     */
    private Instance launch(RunInstancesRequest req) {
        long deadline = System.nanoTime() + pacing.dependencyTimeout().toNanos();
        while (true) {
            try {
                return ec2.runInstances(req).instances().get(0);
            } catch (software.amazon.awssdk.services.ec2.model.Ec2Exception e) {
                String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
                String message = e.awsErrorDetails() == null ? "" : String.valueOf(e.awsErrorDetails().errorMessage());
                if (req.iamInstanceProfile() == null || !"InvalidParameterValue".equals(code)
                        || !message.toLowerCase(java.util.Locale.ROOT).contains("instance profile")
                        || System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(pacing.pollInterval().toMillis());
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private RunInstancesRequest request(Plan plan, int i, String sg, String tg, Secrets secrets,
                                        UserData.Backup backup, String madeProfile, String parameterPrefix,
                                        UserData.Package pkg) {
        ClusterSpec spec = plan.spec();
        Network net = plan.network();
        String member = Names.member(spec.name(), i);
        Subnet subnet = net.subnets().get(i % net.subnets().size());
        String data = UserData.base64(userData(spec, net, plan.memberIps(), region, tg, secrets, i, backup,
                parameterPrefix, pkg));
        RunInstancesRequest.Builder req = RunInstancesRequest.builder().imageId(spec.ami())
                .instanceType(spec.instanceType()).minCount(1).maxCount(1).subnetId(subnet.subnetId())
                .securityGroupIds(sg).userData(data)
                .clientToken(Names.clientToken(spec.name(), i, plan.inventory().gone(member)))
                .metadataOptions(m -> m.httpTokens(HttpTokensState.REQUIRED).httpPutResponseHopLimit(1))
                .tagSpecifications(SdkTags.ec2(ResourceType.INSTANCE, Names.memberTags(spec.name(), i)),
                        SdkTags.ec2(ResourceType.VOLUME, Names.memberTags(spec.name(), i)));
        if (plan.memberIps() != null) {
            req.privateIpAddress(plan.memberIps().get(i));
        }
        if (spec.keyName() != null) {
            req.keyName(spec.keyName());
        }
        if (madeProfile != null) {
            req.iamInstanceProfile(IamInstanceProfileSpecification.builder().name(madeProfile).build());
        } else if (spec.instanceProfile() != null) {
            req.iamInstanceProfile(spec.instanceProfile().startsWith("arn:")
                    ? IamInstanceProfileSpecification.builder().arn(spec.instanceProfile()).build()
                    : IamInstanceProfileSpecification.builder().name(spec.instanceProfile()).build());
        }
        return req.build();
    }

    /** Step 6: waits until every member runs; returns them as described now (with their addresses). */
    List<Instance> waitRunning(Plan plan, List<Instance> members) {
        List<String> ids = members.stream().map(Instance::instanceId).toList();
        boolean pending = members.stream().anyMatch(i -> i.state().name() != InstanceStateName.RUNNING);
        if (pending) {
            progress.step("      waiting for " + ids.size() + " instance" + (ids.size() == 1 ? "" : "s") + " to run...");
            try (Ec2Waiter waiter = Ec2Waiter.builder().client(ec2)
                    .overrideConfiguration(pacing.waiter(pacing.instanceTimeout())).build()) {
                waiter.waitUntilInstanceRunning(r -> r.instanceIds(ids));
            }
        }
        Map<String, Instance> byId = new LinkedHashMap<>();
        ec2.describeInstances(r -> r.instanceIds(ids)).reservations().forEach(r -> r.instances()
                .forEach(i -> byId.put(i.instanceId(), i)));
        List<Instance> out = new ArrayList<>();
        for (Instance i : members) {
            Instance now = byId.getOrDefault(i.instanceId(), i);
            out.add(now);
            String member = Inventory.tag(now.tags(), Names.MEMBER_TAG);
            ProvisionReport.Resource r = plan.report().get("instance", member);
            if (r != null) {
                plan.report().put("instance", member, now.instanceId(), r.status(), ClusterProvisioner.describe(now));
            }
        }
        ClusterProvisioner.step(progress, 8, "instances running: " + String.join(", ", out.stream()
                .map(i -> Inventory.tag(i.tags(), Names.MEMBER_TAG) + " " + i.privateIpAddress()).toList()));
        return out;
    }
}
