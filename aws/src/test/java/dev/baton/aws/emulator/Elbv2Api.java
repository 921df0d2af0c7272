package dev.baton.aws.emulator;

import dev.baton.aws.emulator.World.HealthCheck;
import dev.baton.aws.emulator.World.Instance;
import dev.baton.aws.emulator.World.Listener;
import dev.baton.aws.emulator.World.LoadBalancer;
import dev.baton.aws.emulator.World.Subnet;
import dev.baton.aws.emulator.World.Target;
import dev.baton.aws.emulator.World.TargetGroup;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The ELBv2 operations (API version 2015-12-01, query protocol: {@code <XResult>} wrapper, lists
 * as {@code <member>}). Called with the world's lock held.
 */
final class Elbv2Api {
    static final String VERSION = "2015-12-01";
    static final String NAMESPACE = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";
    private static final String NAME = "[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?";
    private static final Set<String> TG_PROTOCOLS = Set.of("HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE");

    private final World w;

    Elbv2Api(World w) {
        this.w = w;
    }

    void handle(String action, Query q, Xml x) {
        switch (action) {
            case "CreateLoadBalancer" -> createLoadBalancer(q, x);
            case "DescribeLoadBalancers" -> describeLoadBalancers(q, x);
            case "DeleteLoadBalancer" -> deleteLoadBalancer(q);
            case "CreateTargetGroup" -> createTargetGroup(q, x);
            case "DescribeTargetGroups" -> describeTargetGroups(q, x);
            case "DeleteTargetGroup" -> deleteTargetGroup(q);
            case "ModifyTargetGroupAttributes" -> modifyAttributes(q, x);
            case "DescribeTargetGroupAttributes" -> writeAttributes(x, requireTargetGroup(q.require("TargetGroupArn")));
            case "CreateListener" -> createListener(q, x);
            case "DescribeListeners" -> describeListeners(q, x);
            case "DeleteListener" -> deleteListener(q);
            case "RegisterTargets" -> registerTargets(q);
            case "DeregisterTargets" -> deregisterTargets(q);
            case "DescribeTargetHealth" -> describeTargetHealth(q, x);
            case "AddTags" -> addTags(q);
            case "RemoveTags" -> removeTags(q);
            case "DescribeTags" -> describeTags(q, x);
            default -> throw ApiError.bad("InvalidAction", "Could not find operation " + action + " for version " + VERSION);
        }
    }

    private static ApiError validation(String message) {
        return ApiError.bad("ValidationError", message);
    }

    // ------------------------------------------------------------------ load balancers

    private void createLoadBalancer(Query q, Xml x) {
        String name = q.require("Name");
        if (!name.matches(NAME) || name.startsWith("internal-")) {
            throw validation("The load balancer name '" + name + "' must have at most 32 characters, contain only "
                    + "alphanumeric characters or hyphens, must not begin or end with a hyphen, and must not begin "
                    + "with 'internal-'");
        }
        String type = q.get("Type", "application");
        if (!Set.of("application", "network", "gateway").contains(type)) {
            throw validation("Load balancer type '" + type + "' is not valid");
        }
        String scheme = q.get("Scheme", "internet-facing");
        if (!Set.of("internal", "internet-facing").contains(scheme)) {
            throw validation("Scheme '" + scheme + "' is not valid");
        }
        List<String> subnetIds = new ArrayList<>(q.list("Subnets.member"));
        for (Query m : q.structs("SubnetMappings.member")) {
            subnetIds.add(m.require("SubnetId"));
        }
        if (subnetIds.isEmpty()) {
            throw validation("At least one subnet must be specified");
        }
        Set<String> azs = new LinkedHashSet<>();
        String vpcId = null;
        for (String id : subnetIds) {
            Subnet s = w.subnets.get(id);
            if (s == null) {
                throw ApiError.bad("SubnetNotFound", "The subnet ID '" + id + "' is not valid");
            }
            if (!azs.add(s.az)) {
                throw ApiError.bad("InvalidConfigurationRequest",
                        "A load balancer cannot be attached to multiple subnets in the same Availability Zone");
            }
            if (vpcId != null && !vpcId.equals(s.vpcId)) {
                throw ApiError.bad("InvalidConfigurationRequest", "The subnets must all be in the same VPC");
            }
            vpcId = s.vpcId;
        }
        if (type.equals("application") && azs.size() < 2) {
            throw ApiError.bad("InvalidConfigurationRequest",
                    "At least two subnets in two different Availability Zones must be specified");
        }
        List<String> groups = q.list("SecurityGroups.member");
        for (String g : groups) {
            if (!w.securityGroups.containsKey(g)) {
                throw ApiError.bad("InvalidSecurityGroup", "Security group '" + g + "' does not exist");
            }
        }
        Map<String, String> tags = q.tags("Tags.member");
        for (LoadBalancer lb : w.loadBalancers.values()) {
            if (lb.name.equals(name)) {
                if (lb.type.equals(type) && lb.scheme.equals(scheme) && lb.subnetIds.equals(subnetIds)) {
                    lb.tags.putAll(tags);
                    x.list("LoadBalancers", List.of(lb), this::writeLoadBalancer);
                    return;
                }
                throw ApiError.bad("DuplicateLoadBalancerName", "A load balancer with the same name '" + name
                        + "' exists, but with different settings");
            }
        }
        String id = w.hex16();
        String kind = type.equals("application") ? "app" : type.equals("network") ? "net" : "gwy";
        String arn = "arn:aws:elasticloadbalancing:" + w.region + ":" + World.ACCOUNT + ":loadbalancer/" + kind + "/"
                + name + "/" + id;
        String dns = (scheme.equals("internal") && type.equals("application") ? "internal-" : "") + name + "-" + id
                + (type.equals("network") ? ".elb." : ".") + w.region + ".elb.amazonaws.com";
        if (type.equals("network")) {
            dns = name + "-" + id + ".elb." + w.region + ".amazonaws.com";
        }
        LoadBalancer lb = new LoadBalancer(arn, name, type, scheme, vpcId, subnetIds, groups, dns);
        lb.activeAt = w.nanos.getAsLong() + w.lbProvisioningNanos;
        lb.tags.putAll(tags);
        w.loadBalancers.put(arn, lb);
        x.list("LoadBalancers", List.of(lb), this::writeLoadBalancer);
    }

    private void writeLoadBalancer(Xml x, LoadBalancer lb) {
        x.open("member").leaf("LoadBalancerArn", lb.arn).leaf("DNSName", lb.dnsName)
                .leaf("CanonicalHostedZoneId", lb.type.equals("network") ? "Z26RNL4JYFTOTI" : "Z35SXDOTRQ7X7K")
                .leaf("CreatedTime", lb.createdTime).leaf("LoadBalancerName", lb.name).leaf("Scheme", lb.scheme)
                .leaf("VpcId", lb.vpcId).open("State").leaf("Code", lb.state).end().leaf("Type", lb.type)
                .open("AvailabilityZones");
        for (String sid : lb.subnetIds) {
            Subnet s = w.subnets.get(sid);
            x.open("member").leaf("ZoneName", s == null ? null : s.az).leaf("SubnetId", sid).end();
        }
        x.end().members("SecurityGroups", lb.securityGroups).leaf("IpAddressType", "ipv4").end();
    }

    private LoadBalancer requireLoadBalancer(String arn) {
        return World.require(w.loadBalancers, arn, () -> ApiError.bad("LoadBalancerNotFound",
                "Load balancer '" + arn + "' not found"));
    }

    private void describeLoadBalancers(Query q, Xml x) {
        List<String> arns = q.list("LoadBalancerArns.member");
        List<String> names = q.list("Names.member");
        if (!arns.isEmpty() && !names.isEmpty()) {
            throw validation("Load balancer names and load balancer ARNs cannot be specified at the same time");
        }
        List<LoadBalancer> out = new ArrayList<>();
        if (!arns.isEmpty()) {
            for (String a : arns) {
                out.add(requireLoadBalancer(a));
            }
        } else if (!names.isEmpty()) {
            for (String n : names) {
                LoadBalancer found = w.loadBalancers.values().stream().filter(lb -> lb.name.equals(n)).findFirst()
                        .orElseThrow(() -> ApiError.bad("LoadBalancerNotFound",
                                "Load balancers '[" + n + "]' not found"));
                out.add(found);
            }
        } else {
            out.addAll(w.loadBalancers.values());
        }
        x.list("LoadBalancers", out, this::writeLoadBalancer);
    }

    private void deleteLoadBalancer(Query q) {
        String arn = q.require("LoadBalancerArn");
        LoadBalancer lb = w.loadBalancers.remove(arn);
        if (lb != null) {
            w.listeners.values().removeIf(l -> l.loadBalancerArn.equals(arn));
        }
    }

    // ------------------------------------------------------------------ target groups

    private void createTargetGroup(Query q, Xml x) {
        String name = q.require("Name");
        if (!name.matches(NAME)) {
            throw validation("Target group name '" + name + "' can have a maximum of 32 characters, contain only "
                    + "alphanumeric characters or hyphens, and must not begin or end with a hyphen");
        }
        String targetType = q.get("TargetType", "instance");
        if (!Set.of("instance", "ip", "lambda", "alb").contains(targetType)) {
            throw validation("Target type '" + targetType + "' is not valid");
        }
        String protocol = q.get("Protocol");
        Integer port = q.integer("Port", null);
        String vpcId = q.get("VpcId");
        if (!targetType.equals("lambda")) {
            if (protocol == null) {
                throw validation("A protocol must be specified");
            }
            if (!TG_PROTOCOLS.contains(protocol)) {
                throw validation("Protocol '" + protocol + "' is not valid");
            }
            if (port == null) {
                throw validation("A port must be specified");
            }
            if (port < 1 || port > 65535) {
                throw validation("Port '" + port + "' must be between 1 and 65535");
            }
            if (vpcId == null) {
                throw validation("A VPC ID must be specified");
            }
            if (!w.vpcs.containsKey(vpcId)) {
                throw validation("The VPC ID '" + vpcId + "' is not found");
            }
        }
        boolean l4 = protocol != null && Set.of("TCP", "TLS", "UDP", "TCP_UDP").contains(protocol);
        String hcProtocol = q.get("HealthCheckProtocol", l4 ? "TCP" : "HTTP");
        if (!Set.of("HTTP", "HTTPS", "TCP").contains(hcProtocol)) {
            throw validation("Health check protocol '" + hcProtocol + "' is not valid");
        }
        boolean httpCheck = !hcProtocol.equals("TCP");
        String hcPort = q.get("HealthCheckPort", "traffic-port");
        if (!hcPort.equals("traffic-port")) {
            int p;
            try {
                p = Integer.parseInt(hcPort);
            } catch (NumberFormatException e) {
                throw validation("Health check port '" + hcPort + "' must be 'traffic-port' or a port number");
            }
            if (p < 1 || p > 65535) {
                throw validation("Health check port '" + hcPort + "' must be between 1 and 65535");
            }
        }
        String path = q.get("HealthCheckPath");
        if (path != null) {
            if (!httpCheck) {
                throw validation("Health check path is only supported for HTTP and HTTPS health checks");
            }
            if (!path.startsWith("/") || path.length() > 1024) {
                throw validation("Health check path '" + path + "' must begin with '/' and be at most 1024 characters");
            }
        } else if (httpCheck) {
            path = "/";
        }
        int interval = range(q, "HealthCheckIntervalSeconds", 30, 5, 300);
        int timeout = range(q, "HealthCheckTimeoutSeconds", httpCheck ? (l4 ? 6 : 5) : 10, 2, 120);
        if (timeout >= interval) {
            throw validation("Health check timeout '" + timeout + "' must be smaller than the interval '" + interval + "'");
        }
        int healthy = range(q, "HealthyThresholdCount", 5, 2, 10);
        int unhealthy = range(q, "UnhealthyThresholdCount", 2, 2, 10);
        String matcher = q.get("Matcher.HttpCode", httpCheck ? "200-399" : null);
        if (matcher != null && !matcher.matches("\\d{3}(-\\d{3})?(,\\d{3}(-\\d{3})?)*")) {
            throw validation("Matcher HttpCode '" + matcher + "' is not valid");
        }
        boolean enabled = !"false".equals(q.get("HealthCheckEnabled"));
        HealthCheck hc = new HealthCheck(hcProtocol, hcPort, path, enabled, interval, timeout, healthy, unhealthy, matcher);
        Map<String, String> tags = q.tags("Tags.member");
        for (TargetGroup tg : w.targetGroups.values()) {
            if (tg.name.equals(name)) {
                boolean same = Objects.equals(tg.protocol, protocol) && Objects.equals(tg.port, port)
                        && Objects.equals(tg.vpcId, vpcId) && tg.healthCheck.sameSettings(hc)
                        && tg.targetType.equals(targetType);
                if (!same) {
                    throw ApiError.bad("DuplicateTargetGroupName", "A target group with the same name '" + name
                            + "' exists, but with different settings");
                }
                tg.tags.putAll(tags);
                x.list("TargetGroups", List.of(tg), this::writeTargetGroup);
                return;
            }
        }
        TargetGroup tg = newTargetGroup(name, protocol, port, vpcId, targetType, hc);
        tg.tags.putAll(tags);
        x.list("TargetGroups", List.of(tg), this::writeTargetGroup);
    }

    /** A target group stored under a new ARN. */
    TargetGroup newTargetGroup(String name, String protocol, Integer port, String vpcId, String targetType,
                               HealthCheck hc) {
        String arn = "arn:aws:elasticloadbalancing:" + w.region + ":" + World.ACCOUNT + ":targetgroup/" + name + "/"
                + w.hex16();
        TargetGroup tg = new TargetGroup(arn, name, protocol, port, vpcId, targetType, hc);
        w.targetGroups.put(arn, tg);
        return tg;
    }

    private static int range(Query q, String key, int dflt, int min, int max) {
        int v = q.integer(key, dflt);
        if (v < min || v > max) {
            throw validation(key + " '" + v + "' must be between " + min + " and " + max);
        }
        return v;
    }

    private List<String> loadBalancersOf(TargetGroup tg) {
        Set<String> out = new LinkedHashSet<>();
        for (Listener l : w.listeners.values()) {
            if (tg.arn.equals(l.targetGroupArn)) {
                out.add(l.loadBalancerArn);
            }
        }
        return new ArrayList<>(out);
    }

    private void writeTargetGroup(Xml x, TargetGroup tg) {
        HealthCheck hc = tg.healthCheck;
        x.open("member").leaf("TargetGroupArn", tg.arn).leaf("TargetGroupName", tg.name).leaf("Protocol", tg.protocol)
                .leaf("Port", tg.port).leaf("VpcId", tg.vpcId).leaf("HealthCheckProtocol", hc.protocol())
                .leaf("HealthCheckPort", hc.port()).leaf("HealthCheckEnabled", hc.enabled())
                .leaf("HealthCheckIntervalSeconds", hc.interval()).leaf("HealthCheckTimeoutSeconds", hc.timeout())
                .leaf("HealthyThresholdCount", hc.healthyThreshold())
                .leaf("UnhealthyThresholdCount", hc.unhealthyThreshold()).leaf("HealthCheckPath", hc.path());
        if (hc.matcher() != null) {
            x.open("Matcher").leaf("HttpCode", hc.matcher()).end();
        }
        x.members("LoadBalancerArns", loadBalancersOf(tg)).leaf("TargetType", tg.targetType)
                .leaf("IpAddressType", "ipv4").end();
    }

    TargetGroup requireTargetGroup(String arn) {
        return World.require(w.targetGroups, arn, () -> ApiError.bad("TargetGroupNotFound",
                "Target groups '" + arn + "' not found"));
    }

    private void describeTargetGroups(Query q, Xml x) {
        List<String> arns = q.list("TargetGroupArns.member");
        List<String> names = q.list("Names.member");
        String lbArn = q.get("LoadBalancerArn");
        List<TargetGroup> out = new ArrayList<>();
        if (!arns.isEmpty()) {
            for (String a : arns) {
                out.add(requireTargetGroup(a));
            }
        } else if (!names.isEmpty()) {
            for (String n : names) {
                out.add(w.targetGroups.values().stream().filter(tg -> tg.name.equals(n)).findFirst()
                        .orElseThrow(() -> ApiError.bad("TargetGroupNotFound", "Target groups '[" + n + "]' not found")));
            }
        } else {
            out.addAll(w.targetGroups.values());
        }
        if (lbArn != null) {
            requireLoadBalancer(lbArn);
            out.removeIf(tg -> !loadBalancersOf(tg).contains(lbArn));
        }
        x.list("TargetGroups", out, this::writeTargetGroup);
    }

    private void deleteTargetGroup(Query q) {
        String arn = q.require("TargetGroupArn");
        TargetGroup tg = w.targetGroups.get(arn);
        if (tg == null) {
            return;
        }
        if (!loadBalancersOf(tg).isEmpty()) {
            throw ApiError.bad("ResourceInUse", "Target group '" + arn + "' is currently in use by a listener or a rule");
        }
        w.targetGroups.remove(arn);
    }

    private void modifyAttributes(Query q, Xml x) {
        TargetGroup tg = requireTargetGroup(q.require("TargetGroupArn"));
        Map<String, String> changes = new LinkedHashMap<>();
        for (Query a : q.structs("Attributes.member")) {
            String key = a.require("Key");
            String value = a.get("Value", "");
            if (!tg.attributes.containsKey(key)) {
                throw validation("Target group attribute key '" + key + "' is not recognized");
            }
            if (key.equals("deregistration_delay.timeout_seconds")) {
                int v;
                try {
                    v = Integer.parseInt(value);
                } catch (NumberFormatException e) {
                    throw validation("Target group attribute '" + key + "' must be an integer, got '" + value + "'");
                }
                if (v < 0 || v > 3600) {
                    throw validation("'" + key + "' must be between 0 and 3600 seconds, got " + v);
                }
            } else if (key.endsWith(".enabled") && !value.equals("true") && !value.equals("false")) {
                throw validation("Target group attribute '" + key + "' must be 'true' or 'false', got '" + value + "'");
            }
            changes.put(key, value);
        }
        if (changes.isEmpty()) {
            throw validation("At least one attribute must be specified");
        }
        tg.attributes.putAll(changes);
        writeAttributes(x, tg);
    }

    private static void writeAttributes(Xml x, TargetGroup tg) {
        x.open("Attributes");
        for (Map.Entry<String, String> a : tg.attributes.entrySet()) {
            x.open("member").leaf("Key", a.getKey()).leaf("Value", a.getValue()).end();
        }
        x.end();
    }

    // ------------------------------------------------------------------ listeners

    private void createListener(Query q, Xml x) {
        LoadBalancer lb = requireLoadBalancer(q.require("LoadBalancerArn"));
        String protocol = q.require("Protocol");
        int port = q.integer("Port", 0);
        if (port < 1 || port > 65535) {
            throw validation("Listener port '" + port + "' must be between 1 and 65535");
        }
        if (lb.type.equals("network") && !Set.of("TCP", "TLS", "UDP", "TCP_UDP").contains(protocol)) {
            throw ApiError.bad("UnsupportedProtocol", "Protocol '" + protocol + "' is not supported by network load balancers");
        }
        List<Query> actions = q.structs("DefaultActions.member");
        if (actions.size() != 1) {
            throw validation("Exactly one default action (forward) must be specified");
        }
        Query action = actions.get(0);
        if (!"forward".equals(action.get("Type"))) {
            throw validation("Only 'forward' default actions are emulated, got '" + action.get("Type") + "'");
        }
        String tgArn = action.get("TargetGroupArn");
        if (tgArn == null) {
            List<Query> fwd = action.structs("ForwardConfig.TargetGroups.member");
            if (fwd.size() != 1) {
                throw validation("A forward action needs one target group");
            }
            tgArn = fwd.get(0).require("TargetGroupArn");
        }
        TargetGroup tg = requireTargetGroup(tgArn);
        if (!Objects.equals(tg.vpcId, lb.vpcId)) {
            throw validation("The target group's VPC '" + tg.vpcId + "' is not the load balancer's '" + lb.vpcId + "'");
        }
        if (lb.type.equals("network") && !Set.of("TCP", "TLS", "UDP", "TCP_UDP").contains(tg.protocol)) {
            throw ApiError.bad("IncompatibleProtocols", "The listener protocol '" + protocol
                    + "' is not compatible with the target group protocol '" + tg.protocol + "'");
        }
        for (String other : loadBalancersOf(tg)) {
            if (!other.equals(lb.arn)) {
                throw ApiError.bad("TargetGroupAssociationLimit",
                        "The target group '" + tg.arn + "' is already associated with a different load balancer");
            }
        }
        Map<String, String> tags = q.tags("Tags.member");
        for (Listener l : w.listeners.values()) {
            if (l.loadBalancerArn.equals(lb.arn) && l.port == port) {
                if (l.protocol.equals(protocol) && l.targetGroupArn.equals(tgArn)) {
                    l.tags.putAll(tags);
                    x.list("Listeners", List.of(l), Elbv2Api::writeListener);
                    return;
                }
                throw ApiError.bad("DuplicateListener", "A listener already exists on port " + port
                        + " of this load balancer, with different settings");
            }
        }
        String arn = lb.arn.replace(":loadbalancer/", ":listener/") + "/" + w.hex16();
        Listener l = new Listener(arn, lb.arn, protocol, port, tgArn);
        l.tags.putAll(tags);
        w.listeners.put(arn, l);
        x.list("Listeners", List.of(l), Elbv2Api::writeListener);
    }

    private static void writeListener(Xml x, Listener l) {
        x.open("member").leaf("ListenerArn", l.arn).leaf("LoadBalancerArn", l.loadBalancerArn).leaf("Port", l.port)
                .leaf("Protocol", l.protocol).open("DefaultActions").open("member").leaf("Type", "forward")
                .leaf("TargetGroupArn", l.targetGroupArn).open("ForwardConfig").open("TargetGroups").open("member")
                .leaf("TargetGroupArn", l.targetGroupArn).leaf("Weight", 1).end().end().end().end().end().end();
    }

    private Listener requireListener(String arn) {
        return World.require(w.listeners, arn, () -> ApiError.bad("ListenerNotFound", "Listener '" + arn + "' not found"));
    }

    private void describeListeners(Query q, Xml x) {
        String lbArn = q.get("LoadBalancerArn");
        List<String> arns = q.list("ListenerArns.member");
        if (lbArn == null && arns.isEmpty()) {
            throw validation("You must specify either listener ARNs or a load balancer ARN");
        }
        List<Listener> out = new ArrayList<>();
        if (!arns.isEmpty()) {
            for (String a : arns) {
                out.add(requireListener(a));
            }
        } else {
            requireLoadBalancer(lbArn);
            for (Listener l : w.listeners.values()) {
                if (l.loadBalancerArn.equals(lbArn)) {
                    out.add(l);
                }
            }
        }
        x.list("Listeners", out, Elbv2Api::writeListener);
    }

    private void deleteListener(Query q) {
        requireListener(q.require("ListenerArn"));
        w.listeners.remove(q.get("ListenerArn"));
    }

    // ------------------------------------------------------------------ targets

    private record TargetRef(String id, int port) {
    }

    private List<TargetRef> targets(Query q, TargetGroup tg, boolean required) {
        List<TargetRef> out = new ArrayList<>();
        for (Query t : q.structs("Targets.member")) {
            String id = t.require("Id");
            int port = t.integer("Port", tg.port == null ? 0 : tg.port);
            out.add(new TargetRef(id, port));
        }
        if (required && out.isEmpty()) {
            throw validation("At least one target must be specified");
        }
        return out;
    }

    private Instance requireTargetInstance(TargetGroup tg, String id) {
        Instance i = w.instances.get(id);
        if (i == null || !tg.targetType.equals("instance")) {
            throw ApiError.bad("InvalidTarget", "The following targets are not valid instances: '" + id + "'");
        }
        if (!i.vpcId.equals(tg.vpcId)) {
            throw ApiError.bad("InvalidTarget", "The following targets are not in the target group VPC '" + tg.vpcId
                    + "': '" + id + "'");
        }
        return i;
    }

    private void registerTargets(Query q) {
        TargetGroup tg = requireTargetGroup(q.require("TargetGroupArn"));
        List<TargetRef> refs = targets(q, tg, true);
        for (TargetRef r : refs) {
            Instance i = requireTargetInstance(tg, r.id());
            if (!i.state.equals("running") && !i.state.equals("pending")) {
                throw ApiError.bad("InvalidTarget", "The following targets are not in a running state and cannot be "
                        + "registered: '" + r.id() + "'");
            }
        }
        for (TargetRef r : refs) {
            Target t = tg.targets.get(r.id() + ":" + r.port());
            if (t == null || t.state.equals("draining")) {
                tg.targets.remove(r.id() + ":" + r.port());
                tg.targets.put(r.id() + ":" + r.port(), new Target(r.id(), r.port()));
            }
        }
    }

    private void deregisterTargets(Query q) {
        TargetGroup tg = requireTargetGroup(q.require("TargetGroupArn"));
        List<TargetRef> refs = targets(q, tg, true);
        for (TargetRef r : refs) {
            requireTargetInstance(tg, r.id());
        }
        long until = w.nanos.getAsLong() + w.deregistrationNanos;
        for (TargetRef r : refs) {
            Target t = tg.targets.get(r.id() + ":" + r.port());
            if (t != null && !t.state.equals("draining")) {
                t.drain(until);
            }
        }
    }

    private void describeTargetHealth(Query q, Xml x) {
        TargetGroup tg = requireTargetGroup(q.require("TargetGroupArn"));
        List<TargetRef> refs = targets(q, tg, false);
        List<Object[]> rows = new ArrayList<>();
        if (refs.isEmpty()) {
            for (Target t : tg.targets.values()) {
                rows.add(new Object[] {t.id, t.port, t.state, t.reason, t.description});
            }
        } else {
            for (TargetRef r : refs) {
                requireTargetInstance(tg, r.id());
                Target t = tg.targets.get(r.id() + ":" + r.port());
                if (t == null && q.structs("Targets.member").stream().noneMatch(s -> s.has("Port"))) {
                    t = tg.targets.values().stream().filter(c -> c.id.equals(r.id())).findFirst().orElse(null);
                }
                rows.add(t == null
                        ? new Object[] {r.id(), r.port(), "unused", "Target.NotRegistered",
                                "Target is not registered to the target group"}
                        : new Object[] {t.id, t.port, t.state, t.reason, t.description});
            }
        }
        x.open("TargetHealthDescriptions");
        for (Object[] row : rows) {
            x.open("member").open("Target").leaf("Id", row[0]).leaf("Port", row[1]).end()
                    .leaf("HealthCheckPort", tg.healthCheck.port().equals("traffic-port") ? row[1].toString()
                            : tg.healthCheck.port())
                    .open("TargetHealth").leaf("State", row[2]).leaf("Reason", row[3]).leaf("Description", row[4]).end()
                    .end();
        }
        x.end();
    }

    // ------------------------------------------------------------------ tags

    private Map<String, String> tagsOf(String arn) {
        if (arn.contains(":loadbalancer/")) {
            return requireLoadBalancer(arn).tags;
        }
        if (arn.contains(":targetgroup/")) {
            return requireTargetGroup(arn).tags;
        }
        if (arn.contains(":listener/")) {
            return requireListener(arn).tags;
        }
        throw validation("'" + arn + "' is not a valid resource ARN");
    }

    private void addTags(Query q) {
        List<String> arns = q.list("ResourceArns.member");
        Map<String, String> tags = q.tags("Tags.member");
        if (arns.isEmpty() || tags.isEmpty()) {
            throw validation("ResourceArns and Tags must both be specified");
        }
        List<Map<String, String>> targets = new ArrayList<>();
        for (String a : arns) {
            Map<String, String> t = tagsOf(a);
            Set<String> keys = new LinkedHashSet<>(t.keySet());
            keys.addAll(tags.keySet());
            if (keys.size() > 50) {
                throw ApiError.bad("TooManyTags", "The quota for the number of tags per resource (50) has been reached");
            }
            targets.add(t);
        }
        for (Map<String, String> t : targets) {
            t.putAll(tags);
        }
    }

    private void removeTags(Query q) {
        List<String> arns = q.list("ResourceArns.member");
        List<String> keys = q.list("TagKeys.member");
        for (String a : arns) {
            tagsOf(a).keySet().removeAll(keys);
        }
    }

    private void describeTags(Query q, Xml x) {
        List<String> arns = q.list("ResourceArns.member");
        if (arns.isEmpty() || arns.size() > 20) {
            throw validation("Between 1 and 20 resource ARNs must be specified");
        }
        x.open("TagDescriptions");
        for (String a : arns) {
            x.open("member").leaf("ResourceArn", a).open("Tags");
            for (Map.Entry<String, String> t : tagsOf(a).entrySet()) {
                x.open("member").leaf("Key", t.getKey()).leaf("Value", t.getValue()).end();
            }
            x.end().end();
        }
        x.end();
    }
}
