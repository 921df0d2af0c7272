package dev.baton.aws.provision;

import dev.baton.aws.provision.ProvisionReport.Status;
import dev.baton.aws.provision.UserData.Passwords;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import java.util.zip.CRC32;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.HttpTokensState;
import software.amazon.awssdk.services.ec2.model.IamInstanceProfileSpecification;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceAttributeName;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.IpRange;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.ec2.model.TagSpecification;
import software.amazon.awssdk.services.ec2.model.UserIdGroupPair;
import software.amazon.awssdk.services.ec2.waiters.Ec2Waiter;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ActionTypeEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Listener;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancer;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancerSchemeEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancerStateEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancerTypeEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ProtocolEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroup;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroupAttribute;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthStateEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetTypeEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.waiters.ElasticLoadBalancingV2Waiter;

/**
 * Builds a cluster on EC2, step by step, making only what is missing: the security group, the
 * target group (its ARN goes into every agent's configuration, so it comes first), the network
 * load balancer and its listener, the instances, then the target registrations. Everything is
 * found again by tag and name, instances are launched with a client token per member, so a
 * repeated or resumed run makes nothing twice. A failure stops the run with a {@link
 * ProvisionException} whose report says what exists and what was not created.
 */
public final class ClusterProvisioner {
    /** Steps shown as [n/STEPS]. */
    static final int STEPS = 8;
    /** Health check and draining settings of the target group (docs/aws.md). */
    public static final String HEALTH_CHECK_PATH = "/primary";
    public static final int HEALTH_CHECK_INTERVAL = 5;
    public static final int HEALTH_CHECK_TIMEOUT = 3;
    public static final int HEALTHY_THRESHOLD = 2;
    public static final int UNHEALTHY_THRESHOLD = 2;
    public static final int DEREGISTRATION_DELAY = 10;
    static final Map<String, String> TARGET_GROUP_ATTRIBUTES = Map.of(
            "deregistration_delay.timeout_seconds", Integer.toString(DEREGISTRATION_DELAY),
            "deregistration_delay.connection_termination.enabled", "true");

    private final Ec2Client ec2;
    private final ElasticLoadBalancingV2Client elb;
    private final String region;
    private final Pacing pacing;
    private final Supplier<String> passwordSource;
    private final Progress progress;
    private final ClusterInventory inventory;

    /**
     * @param region         the clients' region (it goes into the agents' configuration)
     * @param passwordSource new PostgreSQL passwords (for a cluster without instances yet)
     */
    public ClusterProvisioner(Ec2Client ec2, ElasticLoadBalancingV2Client elb, String region, Pacing pacing,
                              Supplier<String> passwordSource, Progress progress) {
        this.ec2 = Objects.requireNonNull(ec2, "ec2");
        this.elb = Objects.requireNonNull(elb, "elb");
        this.region = Objects.requireNonNull(region, "region");
        this.pacing = Objects.requireNonNull(pacing, "pacing");
        this.passwordSource = Objects.requireNonNull(passwordSource, "passwordSource");
        this.progress = Objects.requireNonNull(progress, "progress");
        this.inventory = new ClusterInventory(ec2, elb);
    }

    /** The VPC and the subnets (in the order given) a cluster goes into. */
    public record Network(String vpcId, String vpcCidr, List<Subnet> subnets) {
    }

    /**
     * What exists and what a create would add.
     *
     * @param memberIps the members' addresses with a colocated etcd, else null (AWS assigns them)
     * @param passwords the passwords of the existing members, or null when there are none
     */
    public record Plan(ClusterSpec spec, Network network, Inventory inventory, ProvisionReport report,
                       List<String> memberIps, Passwords passwords, Set<String> registered) {
    }

    /**
     * Reads what exists and works out what {@link #create} would make; changes nothing.
     * Throws {@link InvalidSpecException} for a spec that cannot be built (bad flags, unknown
     * subnets, a colocated etcd of another size) and the SDK's exceptions when AWS cannot be read.
     */
    public Plan plan(ClusterSpec spec) {
        List<String> problems = spec.validate();
        if (!problems.isEmpty()) {
            throw new InvalidSpecException(problems);
        }
        Network net = network(spec);
        List<String> ips = spec.colocateEtcd() ? memberIps(spec, net) : null;
        Inventory inv = inventory.read(spec.name());
        Passwords passwords = null;
        List<Instance> live = inv.live();
        if (!live.isEmpty()) {
            Instance first = live.get(0);
            String data = ec2.describeInstanceAttribute(r -> r.instanceId(first.instanceId())
                    .attribute(InstanceAttributeName.USER_DATA)).userData().value();
            if (data == null || data.isEmpty()) {
                throw new InvalidSpecException("instance " + first.instanceId() + " of cluster " + spec.name()
                        + " has no user data, so its passwords cannot be given to new members; delete the cluster "
                        + "or its stray instance");
            }
            try {
                passwords = UserData.passwords(data);
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
        }
        Set<String> registered = new HashSet<>();
        if (inv.targetGroup() != null) {
            String arn = inv.targetGroup().targetGroupArn();
            elb.describeTargetHealth(r -> r.targetGroupArn(arn)).targetHealthDescriptions().stream()
                    .filter(d -> d.targetHealth().state() != TargetHealthStateEnum.DRAINING)
                    .forEach(d -> registered.add(d.target().id()));
        }
        ProvisionReport report = new ProvisionReport(spec.name());
        String name = Names.resource(spec.name());
        SecurityGroup sg = inv.securityGroup(net.vpcId());
        report.put("security-group", name, sg == null ? null : sg.groupId(), sg == null ? Status.MISSING : Status.EXISTS,
                net.vpcId());
        TargetGroup tg = inv.targetGroup();
        report.put("target-group", name, tg == null ? null : tg.targetGroupArn(),
                tg == null ? Status.MISSING : Status.EXISTS, "TCP " + ClusterSpec.PG_PORT + ", health check HTTP "
                        + ClusterSpec.RESTAPI_PORT + " " + HEALTH_CHECK_PATH);
        LoadBalancer lb = inv.loadBalancer();
        report.put("load-balancer", name, lb == null ? null : lb.loadBalancerArn(),
                lb == null ? Status.MISSING : Status.EXISTS, lb == null ? scheme(spec).toString()
                        : lb.dnsName() + " (" + lb.state().codeAsString() + ")");
        if (lb != null) {
            report.endpoint(lb.dnsName() + ":" + ClusterSpec.PG_PORT);
        }
        Listener listener = listener(inv.listeners());
        report.put("listener", "TCP " + ClusterSpec.PG_PORT, listener == null ? null : listener.listenerArn(),
                listener == null ? Status.MISSING : Status.EXISTS, "forward to " + name);
        for (int i = 0; i < spec.instances(); i++) {
            String member = Names.member(spec.name(), i);
            Instance inst = inv.member(member);
            Subnet subnet = net.subnets().get(i % net.subnets().size());
            report.put("instance", member, inst == null ? null : inst.instanceId(),
                    inst == null ? Status.MISSING : Status.EXISTS,
                    inst == null ? subnet.subnetId() + " " + subnet.availabilityZone() + (ips == null ? "" : " " + ips.get(i))
                            : describe(inst));
        }
        for (Instance extra : live) {
            String member = Inventory.tag(extra.tags(), Names.MEMBER_TAG);
            int index = Names.index(spec.name(), member);
            if (index < 0 || index >= spec.instances()) {
                report.put("instance", member == null ? extra.instanceId() : member, extra.instanceId(), Status.EXISTS,
                        describe(extra) + ", beyond --instances " + spec.instances() + ": left alone");
            }
        }
        for (int i = 0; i < spec.instances(); i++) {
            String member = Names.member(spec.name(), i);
            Instance inst = inv.member(member);
            boolean on = inst != null && registered.contains(inst.instanceId());
            report.put("target", member, on ? inst.instanceId() : null, on ? Status.EXISTS : Status.MISSING,
                    "in target group " + name);
        }
        return new Plan(spec, net, inv, report, ips, passwords, registered);
    }

    /**
     * Creates what is missing of the cluster and waits until the instances run and the load
     * balancer is active. Returns the report of what exists (all of it).
     *
     * @throws InvalidSpecException when the spec cannot be built; nothing was changed
     * @throws SdkException         when what exists cannot be read (no credentials, ...); nothing was changed
     * @throws ProvisionException   when a step fails; its report says what exists and what not
     */
    public ProvisionReport create(ClusterSpec spec) {
        Plan plan = plan(spec);
        ProvisionReport report = plan.report();
        if (!plan.inventory().conflicts().isEmpty()) {
            throw new ProvisionException("checking names", String.join("; ", plan.inventory().conflicts())
                    + " (rename or delete it, or choose another cluster name)", report, null);
        }
        Network net = plan.network();
        progress.step("Cluster " + spec.name() + " in " + region + ": " + spec.instances() + " x " + spec.instanceType()
                + " (" + spec.ami() + ") in " + net.vpcId() + ", " + zones(net) + "; etcd "
                + (spec.colocateEtcd() ? "on the instances" : String.join(",", spec.etcdHosts())));
        String step = "security group";
        try {
            String sg = securityGroup(plan);
            step = "target group";
            String tg = targetGroup(plan);
            step = "load balancer";
            LoadBalancer lb = loadBalancer(plan);
            step = "listener";
            listener(plan, lb, tg);
            step = "instances";
            List<Instance> members = instances(plan, sg, tg);
            step = "waiting for the instances";
            members = waitRunning(plan, members);
            step = "targets";
            register(plan, tg, members);
            step = "waiting for the load balancer";
            waitActive(plan, lb);
        } catch (SdkException e) {
            throw new ProvisionException(step, describe(e), report, e);
        }
        return report;
    }

    // ------------------------------------------------------------------ network

    Network network(ClusterSpec spec) {
        List<Subnet> found;
        try {
            found = ec2.describeSubnets(r -> r.subnetIds(spec.subnets())).subnets();
        } catch (Ec2Exception e) {
            String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
            if (code.startsWith("InvalidSubnetID")) {
                throw new InvalidSpecException("--subnets: " + e.awsErrorDetails().errorMessage() + " (in " + region + ")");
            }
            throw e;
        }
        Map<String, Subnet> byId = new LinkedHashMap<>();
        for (Subnet s : found) {
            byId.put(s.subnetId(), s);
        }
        List<Subnet> ordered = new ArrayList<>();
        for (String id : spec.subnets()) {
            Subnet s = byId.get(id);
            if (s == null) {
                throw new InvalidSpecException("--subnets: subnet " + id + " does not exist in " + region);
            }
            ordered.add(s);
        }
        Map<String, List<String>> byVpc = new LinkedHashMap<>();
        for (Subnet s : ordered) {
            byVpc.computeIfAbsent(s.vpcId(), k -> new ArrayList<>()).add(s.subnetId());
        }
        if (byVpc.size() > 1) {
            throw new InvalidSpecException("--subnets: the subnets are in different VPCs " + byVpc
                    + "; give subnets of one VPC");
        }
        String vpcId = ordered.get(0).vpcId();
        String cidr = ec2.describeVpcs(r -> r.vpcIds(vpcId)).vpcs().get(0).cidrBlock();
        return new Network(vpcId, cidr, ordered);
    }

    /**
     * The members' addresses with a colocated etcd, known before launch: member i goes to subnet
     * {@code i % k}, at the subnet's first usable address + offset + {@code i / k}. The offset is
     * {@code --ip-offset}, else derived from the cluster name, so every run picks the same ones.
     */
    static List<String> memberIps(ClusterSpec spec, Network net) {
        int k = net.subnets().size();
        int perSubnet = (spec.instances() + k - 1) / k;
        long room = Long.MAX_VALUE;
        for (Subnet s : net.subnets()) {
            room = Math.min(room, Cidr.parse(s.cidrBlock()).usableCount());
        }
        if (room < perSubnet) {
            throw new InvalidSpecException("--subnets: a subnet has room for " + room + " instances, " + perSubnet
                    + " are to go in each");
        }
        long offset;
        if (spec.ipOffset() != null) {
            offset = spec.ipOffset();
            if (offset + perSubnet > room) {
                throw new InvalidSpecException("--ip-offset: " + offset + " + " + perSubnet + " instances per subnet "
                        + "does not fit the smallest subnet's " + room + " usable addresses");
            }
        } else {
            CRC32 crc = new CRC32();
            crc.update(spec.name().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            offset = crc.getValue() % (room - perSubnet + 1);
        }
        List<String> ips = new ArrayList<>();
        for (int i = 0; i < spec.instances(); i++) {
            Cidr c = Cidr.parse(net.subnets().get(i % k).cidrBlock());
            ips.add(Cidr.ip(c.firstUsable() + offset + i / k));
        }
        return ips;
    }

    private static String zones(Network net) {
        Set<String> zones = new LinkedHashSet<>();
        for (Subnet s : net.subnets()) {
            zones.add(s.availabilityZone());
        }
        return net.subnets().size() + " subnet" + (net.subnets().size() == 1 ? "" : "s") + " in " + String.join(", ", zones);
    }

    private void step(int n, String text) {
        progress.step("[" + n + "/" + STEPS + "] " + text);
    }

    // ------------------------------------------------------------------ security group

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

    static List<Rule> rules(ClusterSpec spec, String groupId, String vpcCidr) {
        List<Rule> rules = new ArrayList<>();
        rules.add(new Rule(ClusterSpec.PG_PORT, ClusterSpec.PG_PORT, groupId, null, "PostgreSQL between members"));
        rules.add(new Rule(ClusterSpec.RESTAPI_PORT, ClusterSpec.RESTAPI_PORT, groupId, null, "Baton REST API between members"));
        rules.add(new Rule(ClusterSpec.ETCD_CLIENT_PORT, ClusterSpec.ETCD_PEER_PORT, groupId, null, "etcd between members"));
        rules.add(new Rule(ClusterSpec.RESTAPI_PORT, ClusterSpec.RESTAPI_PORT, null, vpcCidr,
                "load balancer health checks on /primary"));
        for (String c : spec.clientCidrs().isEmpty() ? List.of(vpcCidr) : spec.clientCidrs()) {
            rules.add(new Rule(ClusterSpec.PG_PORT, ClusterSpec.PG_PORT, null, c, "PostgreSQL clients through the load balancer"));
        }
        for (String c : spec.sshCidrs()) {
            rules.add(new Rule(22, 22, null, c, "SSH"));
        }
        return rules;
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

    private String securityGroup(Plan plan) {
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
                        .tagSpecifications(tags(ResourceType.SECURITY_GROUP, Names.resourceTags(spec.name()))))
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
        for (Rule r : rules(spec, id, plan.network().vpcCidr())) {
            if (have.stream().noneMatch(r::sameAs)) {
                missing.add(r);
            }
        }
        if (!missing.isEmpty()) {
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
        step(1, "security group " + name + ": " + (created ? "created " : "exists ") + id
                + (missing.isEmpty() ? "" : ", " + missing.size() + " rule" + (missing.size() == 1 ? "" : "s") + " added"));
        return id;
    }

    private static TagSpecification tags(ResourceType type, Map<String, String> tags) {
        return TagSpecification.builder().resourceType(type).tags(tags.entrySet().stream()
                .map(e -> software.amazon.awssdk.services.ec2.model.Tag.builder().key(e.getKey()).value(e.getValue())
                        .build()).toList()).build();
    }

    private static List<software.amazon.awssdk.services.elasticloadbalancingv2.model.Tag> elbTags(String cluster) {
        return Names.resourceTags(cluster).entrySet().stream()
                .map(e -> software.amazon.awssdk.services.elasticloadbalancingv2.model.Tag.builder().key(e.getKey())
                        .value(e.getValue()).build()).toList();
    }

    // ------------------------------------------------------------------ target group, load balancer, listener

    private String targetGroup(Plan plan) {
        ClusterSpec spec = plan.spec();
        String name = Names.resource(spec.name());
        TargetGroup tg = plan.inventory().targetGroup();
        boolean created = tg == null;
        if (tg == null) {
            tg = elb.createTargetGroup(r -> r.name(name).protocol(ProtocolEnum.TCP).port(ClusterSpec.PG_PORT)
                    .vpcId(plan.network().vpcId()).targetType(TargetTypeEnum.INSTANCE)
                    .healthCheckEnabled(true).healthCheckProtocol(ProtocolEnum.HTTP)
                    .healthCheckPort(Integer.toString(ClusterSpec.RESTAPI_PORT)).healthCheckPath(HEALTH_CHECK_PATH)
                    .healthCheckIntervalSeconds(HEALTH_CHECK_INTERVAL).healthCheckTimeoutSeconds(HEALTH_CHECK_TIMEOUT)
                    .healthyThresholdCount(HEALTHY_THRESHOLD).unhealthyThresholdCount(UNHEALTHY_THRESHOLD)
                    .matcher(m -> m.httpCode("200")).tags(elbTags(spec.name()))).targetGroups().get(0);
            plan.report().put("target-group", name, tg.targetGroupArn(), Status.CREATED,
                    plan.report().get("target-group", name).detail());
        }
        String arn = tg.targetGroupArn();
        Map<String, String> have = new LinkedHashMap<>();
        for (TargetGroupAttribute a : elb.describeTargetGroupAttributes(r -> r.targetGroupArn(arn)).attributes()) {
            have.put(a.key(), a.value());
        }
        List<TargetGroupAttribute> change = new ArrayList<>();
        TARGET_GROUP_ATTRIBUTES.forEach((k, v) -> {
            if (!v.equals(have.get(k))) {
                change.add(TargetGroupAttribute.builder().key(k).value(v).build());
            }
        });
        if (!change.isEmpty()) {
            elb.modifyTargetGroupAttributes(r -> r.targetGroupArn(arn).attributes(change));
        }
        String drift = healthCheckDrift(tg);
        step(2, "target group " + name + ": " + (created ? "created " : "exists ") + arn
                + (drift.isEmpty() ? "" : " (its health check differs: " + drift + "; left as it is)"));
        return arn;
    }

    /** How an existing target group's health check differs from Baton's, or "". */
    static String healthCheckDrift(TargetGroup tg) {
        List<String> d = new ArrayList<>();
        if (!HEALTH_CHECK_PATH.equals(tg.healthCheckPath())) {
            d.add("path " + tg.healthCheckPath());
        }
        if (!Integer.toString(ClusterSpec.RESTAPI_PORT).equals(tg.healthCheckPort())) {
            d.add("port " + tg.healthCheckPort());
        }
        if (!Objects.equals(tg.healthCheckIntervalSeconds(), HEALTH_CHECK_INTERVAL)) {
            d.add("interval " + tg.healthCheckIntervalSeconds());
        }
        if (!Objects.equals(tg.healthyThresholdCount(), HEALTHY_THRESHOLD)
                || !Objects.equals(tg.unhealthyThresholdCount(), UNHEALTHY_THRESHOLD)) {
            d.add("thresholds " + tg.healthyThresholdCount() + "/" + tg.unhealthyThresholdCount());
        }
        return String.join(", ", d);
    }

    private static LoadBalancerSchemeEnum scheme(ClusterSpec spec) {
        return spec.publicLoadBalancer() ? LoadBalancerSchemeEnum.INTERNET_FACING : LoadBalancerSchemeEnum.INTERNAL;
    }

    /** One subnet per availability zone (the first given in each): a load balancer takes no more. */
    static List<String> loadBalancerSubnets(Network net) {
        Map<String, String> byZone = new LinkedHashMap<>();
        for (Subnet s : net.subnets()) {
            byZone.putIfAbsent(s.availabilityZone(), s.subnetId());
        }
        return new ArrayList<>(byZone.values());
    }

    private LoadBalancer loadBalancer(Plan plan) {
        ClusterSpec spec = plan.spec();
        String name = Names.resource(spec.name());
        LoadBalancer lb = plan.inventory().loadBalancer();
        boolean created = lb == null;
        if (lb == null) {
            lb = elb.createLoadBalancer(r -> r.name(name).type(LoadBalancerTypeEnum.NETWORK).scheme(scheme(spec))
                    .subnets(loadBalancerSubnets(plan.network())).tags(elbTags(spec.name()))).loadBalancers().get(0);
            plan.report().put("load-balancer", name, lb.loadBalancerArn(), Status.CREATED,
                    lb.dnsName() + " (" + lb.state().codeAsString() + ")");
        }
        plan.report().endpoint(lb.dnsName() + ":" + ClusterSpec.PG_PORT);
        step(3, "load balancer " + name + ": " + (created ? "created " : "exists ") + lb.loadBalancerArn() + " ("
                + lb.scheme() + ", " + lb.state().codeAsString() + ")");
        return lb;
    }

    private static Listener listener(Collection<Listener> listeners) {
        return listeners.stream().filter(l -> Objects.equals(l.port(), ClusterSpec.PG_PORT)).findFirst().orElse(null);
    }

    private void listener(Plan plan, LoadBalancer lb, String tg) {
        String key = "TCP " + ClusterSpec.PG_PORT;
        Listener existing = listener(plan.inventory().listeners());
        if (existing != null) {
            boolean ours = existing.defaultActions().stream().anyMatch(a -> tg.equals(a.targetGroupArn()));
            if (!ours) {
                throw new ProvisionException("listener", "the listener on port " + ClusterSpec.PG_PORT + " of "
                        + lb.loadBalancerName() + " forwards elsewhere (" + existing.listenerArn() + "); delete it "
                        + "and run again", plan.report(), null);
            }
            step(4, "listener " + key + ": exists " + existing.listenerArn());
            return;
        }
        Listener l = elb.createListener(r -> r.loadBalancerArn(lb.loadBalancerArn()).protocol(ProtocolEnum.TCP)
                .port(ClusterSpec.PG_PORT).defaultActions(a -> a.type(ActionTypeEnum.FORWARD).targetGroupArn(tg))
                .tags(elbTags(plan.spec().name()))).listeners().get(0);
        plan.report().put("listener", key, l.listenerArn(), Status.CREATED, "forward to " + Names.resource(plan.spec().name()));
        step(4, "listener " + key + ": created " + l.listenerArn());
    }

    // ------------------------------------------------------------------ instances

    static UserData.Etcd etcd(ClusterSpec spec, List<String> ips, int index) {
        List<String> peers = new ArrayList<>();
        for (int i = 0; i < spec.instances(); i++) {
            peers.add(Names.member(spec.name(), i) + "=http://" + ips.get(i) + ":" + ClusterSpec.ETCD_PEER_PORT);
        }
        return new UserData.Etcd(Names.member(spec.name(), index), String.join(",", peers),
                Names.resource(spec.name()));
    }

    /** The user data of member {@code index} (text). */
    static String userData(ClusterSpec spec, Network net, List<String> ips, String region, String tg,
                           Passwords passwords, int index) {
        List<String> etcdHosts = spec.colocateEtcd()
                ? ips.stream().map(ip -> ip + ":" + ClusterSpec.ETCD_CLIENT_PORT).toList()
                : spec.etcdHosts();
        return UserData.render(new UserData.Member(spec.name(), Names.member(spec.name(), index),
                ips == null ? null : ips.get(index), etcdHosts, region, tg, net.vpcCidr(),
                spec.clientCidrs().isEmpty() ? List.of(net.vpcCidr()) : spec.clientCidrs(), passwords,
                spec.batonUrl(), spec.batonSha256(), spec.colocateEtcd() ? etcd(spec, ips, index) : null));
    }

    private List<Instance> instances(Plan plan, String sg, String tg) {
        ClusterSpec spec = plan.spec();
        Network net = plan.network();
        Passwords passwords = plan.passwords() != null ? plan.passwords()
                : new Passwords(passwordSource.get(), passwordSource.get());
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
            Subnet subnet = net.subnets().get(i % net.subnets().size());
            String data = UserData.base64(userData(spec, net, plan.memberIps(), region, tg, passwords, i));
            RunInstancesRequest.Builder req = RunInstancesRequest.builder().imageId(spec.ami())
                    .instanceType(spec.instanceType()).minCount(1).maxCount(1).subnetId(subnet.subnetId())
                    .securityGroupIds(sg).userData(data)
                    .clientToken(Names.clientToken(spec.name(), i, plan.inventory().gone(member)))
                    .metadataOptions(m -> m.httpTokens(HttpTokensState.REQUIRED).httpPutResponseHopLimit(1))
                    .tagSpecifications(tags(ResourceType.INSTANCE, Names.memberTags(spec.name(), i)),
                            tags(ResourceType.VOLUME, Names.memberTags(spec.name(), i)));
            if (plan.memberIps() != null) {
                req.privateIpAddress(plan.memberIps().get(i));
            }
            if (spec.keyName() != null) {
                req.keyName(spec.keyName());
            }
            if (spec.instanceProfile() != null) {
                req.iamInstanceProfile(spec.instanceProfile().startsWith("arn:")
                        ? IamInstanceProfileSpecification.builder().arn(spec.instanceProfile()).build()
                        : IamInstanceProfileSpecification.builder().name(spec.instanceProfile()).build());
            }
            Instance launched = ec2.runInstances(req.build()).instances().get(0);
            members.add(launched);
            plan.report().put("instance", member, launched.instanceId(), Status.CREATED, describe(launched));
            lines.add(member + " created " + launched.instanceId() + " (" + launched.placement().availabilityZone()
                    + ", " + launched.privateIpAddress() + ")");
        }
        step(5, "instances: " + String.join("; ", lines));
        return members;
    }

    private List<Instance> waitRunning(Plan plan, List<Instance> members) {
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
                plan.report().put("instance", member, now.instanceId(), r.status(), describe(now));
            }
        }
        step(6, "instances running: " + String.join(", ", out.stream().map(i -> Inventory.tag(i.tags(), Names.MEMBER_TAG)
                + " " + i.privateIpAddress()).toList()));
        return out;
    }

    private void register(Plan plan, String tg, List<Instance> members) {
        List<Instance> missing = members.stream().filter(i -> !plan.registered().contains(i.instanceId())).toList();
        if (!missing.isEmpty()) {
            elb.registerTargets(r -> r.targetGroupArn(tg).targets(missing.stream().map(i -> software.amazon.awssdk
                    .services.elasticloadbalancingv2.model.TargetDescription.builder().id(i.instanceId())
                    .port(ClusterSpec.PG_PORT).build()).toList()));
        }
        for (Instance i : members) {
            String member = Inventory.tag(i.tags(), Names.MEMBER_TAG);
            plan.report().put("target", member, i.instanceId(), missing.contains(i) ? Status.CREATED : Status.EXISTS,
                    "in target group " + Names.resource(plan.spec().name()));
        }
        step(7, "targets: " + (missing.isEmpty() ? "all " + members.size() + " registered already"
                : "registered " + String.join(", ", missing.stream().map(Instance::instanceId).toList())));
    }

    private void waitActive(Plan plan, LoadBalancer lb) {
        String arn = lb.loadBalancerArn();
        if (lb.state().code() != LoadBalancerStateEnum.ACTIVE) {
            progress.step("      waiting for the load balancer to be active...");
            try (ElasticLoadBalancingV2Waiter waiter = ElasticLoadBalancingV2Waiter.builder().client(elb)
                    .overrideConfiguration(pacing.waiter(pacing.loadBalancerTimeout())).build()) {
                waiter.waitUntilLoadBalancerAvailable(r -> r.loadBalancerArns(arn));
            }
        }
        LoadBalancer now = elb.describeLoadBalancers(r -> r.loadBalancerArns(arn)).loadBalancers().get(0);
        String name = Names.resource(plan.spec().name());
        ProvisionReport.Resource r = plan.report().get("load-balancer", name);
        plan.report().put("load-balancer", name, arn, r.status(), now.dnsName() + " (" + now.state().codeAsString() + ")");
        step(8, "load balancer " + now.state().codeAsString() + ": " + now.dnsName() + ":" + ClusterSpec.PG_PORT);
    }

    // ------------------------------------------------------------------ text

    static String describe(Instance i) {
        return i.placement().availabilityZone() + " " + i.privateIpAddress() + " " + i.state().nameAsString();
    }

    /** An SDK failure in one line: the AWS error code and message, or the client-side reason. */
    public static String describe(SdkException e) {
        if (e instanceof AwsServiceException a && a.awsErrorDetails() != null) {
            return a.awsErrorDetails().errorCode() + ": " + a.awsErrorDetails().errorMessage()
                    + " (HTTP " + a.statusCode() + ")";
        }
        return e.getMessage();
    }
}
