package dev.baton.aws.emulator;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Everything the emulated account holds, and the timed transitions between states. Not
 * thread-safe by itself: every access holds the monitor of this object (the emulator's one lock).
 * Transitions happen lazily in {@link #tick()}, which each request and each observation calls
 * first, so no background thread is needed for them.
 */
final class World {
    static final String ACCOUNT = "123456789012";

    final String region;
    final LongSupplier nanos;
    private final String seed = String.format("%08x", ThreadLocalRandom.current().nextInt());
    private long counter;

    long pendingNanos = ms(100);
    long shutdownNanos = ms(100);
    long lbProvisioningNanos = ms(100);
    long deregistrationNanos = ms(1000);

    final Map<String, Vpc> vpcs = new LinkedHashMap<>();
    final Map<String, Subnet> subnets = new LinkedHashMap<>();
    final Map<String, Instance> instances = new LinkedHashMap<>();
    final Map<String, Reservation> reservations = new LinkedHashMap<>();
    final Map<String, Reservation> byClientToken = new LinkedHashMap<>();
    final Map<String, SecurityGroup> securityGroups = new LinkedHashMap<>();
    final Map<String, LoadBalancer> loadBalancers = new LinkedHashMap<>();
    final Map<String, TargetGroup> targetGroups = new LinkedHashMap<>();
    final Map<String, Listener> listeners = new LinkedHashMap<>();
    final Map<String, ClassicLb> classicLbs = new LinkedHashMap<>();

    World(String region, LongSupplier nanos) {
        this.region = region;
        this.nanos = nanos;
    }

    static long ms(long millis) {
        return millis * 1_000_000L;
    }

    /** A new id such as {@code i-1a2b3c4d000000007}: 17 hex digits after the prefix, as AWS's. */
    String id(String prefix) {
        return String.format("%s-%s%09x", prefix, seed, ++counter);
    }

    /** 16 hex digits for ARNs and DNS names. */
    String hex16() {
        return String.format("%s%08x", seed, ++counter);
    }

    static String now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS).toString();
    }

    /** {@code map}'s entry for {@code key}, or the API error {@code missing} gives. */
    static <T> T require(Map<String, T> map, String key, Supplier<ApiError> missing) {
        T value = map.get(key);
        if (value == null) {
            throw missing.get();
        }
        return value;
    }

    /** The CIDR the default VPC gets when it is made (before the first subnet is added). */
    String defaultVpcCidr = "10.0.0.0/16";

    /** The default VPC, created on first use; seeded subnets live in it. */
    Vpc defaultVpc() {
        for (Vpc v : vpcs.values()) {
            if (v.isDefault) {
                return v;
            }
        }
        Vpc v = new Vpc(id("vpc"), defaultVpcCidr, true);
        vpcs.put(v.id, v);
        return v;
    }

    /** Applies every transition that is due: pending→running, shutting-down→terminated, draining→gone, ... */
    void tick() {
        long now = nanos.getAsLong();
        for (Instance i : instances.values()) {
            if (i.state.equals("pending") && now - i.transitionAt >= 0) {
                i.state = "running";
            } else if (i.state.equals("shutting-down") && now - i.transitionAt >= 0) {
                i.state = "terminated";
                i.stateReason = "Client.UserInitiatedShutdown: User initiated shutdown";
            }
        }
        for (LoadBalancer lb : loadBalancers.values()) {
            if (lb.state.equals("provisioning") && now - lb.activeAt >= 0) {
                lb.state = "active";
            }
        }
        for (TargetGroup tg : targetGroups.values()) {
            for (Target t : tg.targets.values()) {
                Instance i = instances.get(t.id);
                boolean gone = i != null && (i.state.equals("shutting-down") || i.state.equals("terminated"));
                if (gone && !t.state.equals("draining")) {
                    t.drain(now + deregistrationNanos);
                }
            }
            tg.targets.values().removeIf(t -> t.state.equals("draining") && now - t.drainUntil >= 0);
        }
        for (ClassicLb lb : classicLbs.values()) {
            lb.members.values().removeIf(m -> {
                Instance i = instances.get(m.id);
                return i != null && i.state.equals("terminated");
            });
        }
    }

    // ---------------------------------------------------------------- the model

    static final class Vpc {
        final String id;
        final String cidr;
        final boolean isDefault;
        final Map<String, String> tags = new LinkedHashMap<>();

        Vpc(String id, String cidr, boolean isDefault) {
            this.id = id;
            this.cidr = cidr;
            this.isDefault = isDefault;
        }
    }

    static final class Subnet {
        final String id;
        final String vpcId;
        final String az;
        final String cidr;
        final Map<String, String> tags = new LinkedHashMap<>();

        Subnet(String id, String vpcId, String az, String cidr) {
            this.id = id;
            this.vpcId = vpcId;
            this.az = az;
            this.cidr = cidr;
        }

        /** First and last usable addresses as ints: AWS reserves the first four and the last one. */
        long[] usableRange() {
            long[] net = parseCidr(cidr);
            long size = 1L << (32 - net[1]);
            return new long[] {net[0] + 4, net[0] + size - 2};
        }

        boolean contains(String ip) {
            long[] net = parseCidr(cidr);
            long a = ipToLong(ip);
            long size = 1L << (32 - net[1]);
            return a >= net[0] && a < net[0] + size;
        }
    }

    /** {network as long, prefix length}; IllegalArgumentException when malformed. */
    static long[] parseCidr(String cidr) {
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not a CIDR: " + cidr);
        }
        int prefix = Integer.parseInt(cidr.substring(slash + 1));
        if (prefix < 0 || prefix > 32) {
            throw new IllegalArgumentException("not a CIDR: " + cidr);
        }
        long ip = ipToLong(cidr.substring(0, slash));
        long mask = prefix == 0 ? 0 : (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
        return new long[] {ip & mask, prefix};
    }

    static long ipToLong(String ip) {
        String[] p = ip.split("\\.");
        if (p.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + ip);
        }
        long v = 0;
        for (String s : p) {
            int o = Integer.parseInt(s);
            if (o < 0 || o > 255) {
                throw new IllegalArgumentException("not an IPv4 address: " + ip);
            }
            v = (v << 8) | o;
        }
        return v;
    }

    static String longToIp(long v) {
        return ((v >> 24) & 255) + "." + ((v >> 16) & 255) + "." + ((v >> 8) & 255) + "." + (v & 255);
    }

    static final class Instance {
        final String id;
        final String reservationId;
        final String imageId;
        final String instanceType;
        final String keyName;
        final String subnetId;
        final String vpcId;
        final String az;
        final String privateIp;
        final String userData;
        final String clientToken;
        final String iamInstanceProfile;
        final List<String> groupIds;
        final int launchIndex;
        final String launchTime = now();
        final Map<String, String> tags = new LinkedHashMap<>();
        String state;
        String stateReason;
        long transitionAt;

        Instance(String id, String reservationId, String imageId, String instanceType, String keyName, Subnet subnet,
                 String privateIp, String userData, String clientToken, String iamInstanceProfile,
                 List<String> groupIds, int launchIndex) {
            this.id = id;
            this.reservationId = reservationId;
            this.imageId = imageId;
            this.instanceType = instanceType;
            this.keyName = keyName;
            this.subnetId = subnet.id;
            this.vpcId = subnet.vpcId;
            this.az = subnet.az;
            this.privateIp = privateIp;
            this.userData = userData;
            this.clientToken = clientToken;
            this.iamInstanceProfile = iamInstanceProfile;
            this.groupIds = List.copyOf(groupIds);
            this.launchIndex = launchIndex;
        }

        int stateCode() {
            return switch (state) {
                case "pending" -> 0;
                case "running" -> 16;
                case "shutting-down" -> 32;
                case "terminated" -> 48;
                case "stopping" -> 64;
                case "stopped" -> 80;
                default -> throw new IllegalStateException(state);
            };
        }

        boolean live() {
            return !state.equals("terminated");
        }
    }

    static final class Reservation {
        final String id;
        final String fingerprint;
        final List<String> instanceIds = new ArrayList<>();

        Reservation(String id, String fingerprint) {
            this.id = id;
            this.fingerprint = fingerprint;
        }
    }

    /** One ingress rule: a protocol and port range from either a security group or a CIDR. */
    record Rule(String protocol, int fromPort, int toPort, String sourceGroupId, String cidr) {
    }

    static final class SecurityGroup {
        final String id;
        final String name;
        final String description;
        final String vpcId;
        final Map<String, String> tags = new LinkedHashMap<>();
        final List<Rule> ingress = new ArrayList<>();

        SecurityGroup(String id, String name, String description, String vpcId) {
            this.id = id;
            this.name = name;
            this.description = description;
            this.vpcId = vpcId;
        }
    }

    static final class LoadBalancer {
        final String arn;
        final String name;
        final String type;
        final String scheme;
        final String vpcId;
        final List<String> subnetIds;
        final List<String> securityGroups;
        final String dnsName;
        final String createdTime = now();
        final Map<String, String> tags = new LinkedHashMap<>();
        String state = "provisioning";
        long activeAt;

        LoadBalancer(String arn, String name, String type, String scheme, String vpcId, List<String> subnetIds,
                     List<String> securityGroups, String dnsName) {
            this.arn = arn;
            this.name = name;
            this.type = type;
            this.scheme = scheme;
            this.vpcId = vpcId;
            this.subnetIds = List.copyOf(subnetIds);
            this.securityGroups = List.copyOf(securityGroups);
            this.dnsName = dnsName;
        }
    }

    /**
     * A target group's health check as CreateTargetGroup set it.
     *
     * @param port    a port number, or {@code traffic-port}
     * @param path    null for a TCP check
     * @param matcher the HTTP codes that pass ({@code 200-399}), null for a TCP check
     */
    record HealthCheck(String protocol, String port, String path, boolean enabled, int interval, int timeout,
                       int healthyThreshold, int unhealthyThreshold, String matcher) {

        /** What a repeated CreateTargetGroup must give again to get the existing group back (as AWS compares). */
        boolean sameSettings(HealthCheck o) {
            return protocol.equals(o.protocol) && port.equals(o.port) && Objects.equals(path, o.path)
                    && interval == o.interval && timeout == o.timeout && healthyThreshold == o.healthyThreshold
                    && unhealthyThreshold == o.unhealthyThreshold;
        }
    }

    static final class TargetGroup {
        final String arn;
        final String name;
        final String protocol;
        final Integer port;
        final String vpcId;
        final String targetType;
        final HealthCheck healthCheck;
        final Map<String, String> attributes = new LinkedHashMap<>();
        final Map<String, String> tags = new LinkedHashMap<>();
        /** Keyed by "id:port". */
        final Map<String, Target> targets = new LinkedHashMap<>();

        TargetGroup(String arn, String name, String protocol, Integer port, String vpcId, String targetType,
                    HealthCheck healthCheck) {
            this.arn = arn;
            this.name = name;
            this.protocol = protocol;
            this.port = port;
            this.vpcId = vpcId;
            this.targetType = targetType;
            this.healthCheck = healthCheck;
            attributes.put("deregistration_delay.timeout_seconds", "300");
            attributes.put("deregistration_delay.connection_termination.enabled", "false");
            attributes.put("stickiness.enabled", "false");
            attributes.put("stickiness.type", "source_ip");
            attributes.put("proxy_protocol_v2.enabled", "false");
            attributes.put("preserve_client_ip.enabled", "true");
            attributes.put("target_health_state.unhealthy.connection_termination.enabled", "true");
            attributes.put("load_balancing.cross_zone.enabled", "use_load_balancer_configuration");
        }

        /** Registered targets, not draining: the ones the load balancer may route to. */
        List<Target> registered() {
            List<Target> out = new ArrayList<>();
            for (Target t : targets.values()) {
                if (!t.state.equals("draining")) {
                    out.add(t);
                }
            }
            return out;
        }
    }

    /** A registered target and its health, with the streaks of probe results that move it. */
    static final class Target {
        final String id;
        final int port;
        String state = "initial";
        String reason = "Elb.RegistrationInProgress";
        String description = "Target registration is in progress";
        long drainUntil;
        int successes;
        int failures;

        Target(String id, int port) {
            this.id = id;
            this.port = port;
        }

        void set(String newState, String newReason, String newDescription) {
            state = newState;
            reason = newReason;
            description = newDescription;
        }

        void drain(long until) {
            set("draining", "Target.DeregistrationInProgress", "Target deregistration is in progress");
            drainUntil = until;
        }
    }

    static final class Listener {
        final String arn;
        final String loadBalancerArn;
        final String protocol;
        final int port;
        final String targetGroupArn;
        final Map<String, String> tags = new LinkedHashMap<>();

        Listener(String arn, String loadBalancerArn, String protocol, int port, String targetGroupArn) {
            this.arn = arn;
            this.loadBalancerArn = loadBalancerArn;
            this.protocol = protocol;
            this.port = port;
            this.targetGroupArn = targetGroupArn;
        }
    }

    static final class ClassicLb {
        final String name;
        final String dnsName;
        final int healthCheckPort;
        final String healthCheckPath;
        final int interval = 5;
        final int timeout = 3;
        final int healthyThreshold = 2;
        final int unhealthyThreshold = 2;
        final String createdTime = now();
        final Map<String, ClassicMember> members = new LinkedHashMap<>();

        ClassicLb(String name, String dnsName, int healthCheckPort, String healthCheckPath) {
            this.name = name;
            this.dnsName = dnsName;
            this.healthCheckPort = healthCheckPort;
            this.healthCheckPath = healthCheckPath;
        }
    }

    static final class ClassicMember {
        final String id;
        String state = "OutOfService";
        String reasonCode = "ELB";
        String description = "Instance registration is still in progress.";
        int successes;
        int failures;

        ClassicMember(String id) {
            this.id = id;
        }

        void set(String newState, String newReasonCode, String newDescription) {
            state = newState;
            reasonCode = newReasonCode;
            description = newDescription;
        }
    }
}
