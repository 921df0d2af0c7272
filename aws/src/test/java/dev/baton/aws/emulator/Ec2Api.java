package dev.baton.aws.emulator;

import dev.baton.aws.emulator.World.Instance;
import dev.baton.aws.emulator.World.Reservation;
import dev.baton.aws.emulator.World.Rule;
import dev.baton.aws.emulator.World.SecurityGroup;
import dev.baton.aws.emulator.World.Subnet;
import dev.baton.aws.emulator.World.Vpc;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The EC2 operations (API version 2016-11-15, "ec2" protocol: no result wrapper, lists as
 * {@code <xxxSet><item>}). Called with the world's lock held.
 */
final class Ec2Api {
    static final String VERSION = "2016-11-15";
    static final String NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/";
    static final int USER_DATA_LIMIT = 16384;

    private final World w;

    Ec2Api(World w) {
        this.w = w;
    }

    void handle(String action, Query q, Xml x) {
        switch (action) {
            case "RunInstances" -> runInstances(q, x);
            case "DescribeInstances" -> describeInstances(q, x);
            case "TerminateInstances" -> terminateInstances(q, x);
            case "DescribeInstanceAttribute" -> describeInstanceAttribute(q, x);
            case "CreateTags" -> createTags(q, x);
            case "DescribeSubnets" -> describeSubnets(q, x);
            case "DescribeVpcs" -> describeVpcs(q, x);
            case "CreateSecurityGroup" -> createSecurityGroup(q, x);
            case "AuthorizeSecurityGroupIngress" -> authorizeIngress(q, x);
            case "DescribeSecurityGroups" -> describeSecurityGroups(q, x);
            case "DeleteSecurityGroup" -> deleteSecurityGroup(q, x);
            default -> throw ApiError.bad("InvalidAction", "The action " + action + " is not valid for this web service.");
        }
    }

    // ------------------------------------------------------------------ instances

    /** Adds a subnet (in the default VPC) directly. */
    Subnet addSubnet(String az, String cidr) {
        World.parseCidr(cidr);
        Vpc vpc = w.defaultVpc();
        Subnet s = new Subnet(w.id("subnet"), vpc.id, az, cidr);
        w.subnets.put(s.id, s);
        return s;
    }

    /** A running instance created directly, in the first subnet that holds its address. */
    Instance addRunningInstance(String privateIp, Map<String, String> tags) {
        World.ipToLong(privateIp);
        Subnet subnet = null;
        for (Subnet s : w.subnets.values()) {
            if (s.contains(privateIp)) {
                subnet = s;
                break;
            }
        }
        if (subnet == null) {
            subnet = defaultSubnet();
        }
        Reservation r = new Reservation(w.id("r"), "");
        Instance i = new Instance(w.id("i"), r.id, "ami-00000000", "t3.micro", null, subnet, privateIp, null, null,
                null, List.of(), 0);
        i.state = "running";
        i.tags.putAll(tags);
        r.instanceIds.add(i.id);
        w.reservations.put(r.id, r);
        w.instances.put(i.id, i);
        return i;
    }

    private Subnet defaultSubnet() {
        for (Subnet s : w.subnets.values()) {
            return s;
        }
        return addSubnet(w.region + "a", "172.31.0.0/20");
    }

    private void runInstances(Query q, Xml x) {
        String token = q.get("ClientToken");
        Map<String, String> fp = new TreeMap<>(q.params());
        fp.remove("ClientToken");
        String fingerprint = fp.toString();
        if (token != null && !token.isEmpty()) {
            Reservation old = w.byClientToken.get(token);
            if (old != null) {
                if (!old.fingerprint.equals(fingerprint)) {
                    throw ApiError.bad("IdempotentParameterMismatch", "The client token '" + token
                            + "' was already used with different parameters.");
                }
                writeReservation(x, old, old.instanceIds);
                return;
            }
        }
        String imageId = q.require("ImageId");
        if (!imageId.matches("ami-[0-9a-f]{8,17}")) {
            throw ApiError.bad("InvalidAMIID.Malformed", "Invalid id: \"" + imageId + "\" (expecting \"ami-...\")");
        }
        int min = q.integer("MinCount", null) == null ? -1 : q.integer("MinCount", null);
        int max = q.integer("MaxCount", null) == null ? -1 : q.integer("MaxCount", null);
        if (min < 1 || max < 1) {
            throw ApiError.bad("MissingParameter", "MinCount and MaxCount must both be given and be at least 1");
        }
        if (min > max) {
            throw ApiError.bad("InvalidParameterValue", "MinCount must be less than or equal to MaxCount");
        }
        String type = q.get("InstanceType", "m1.small");
        if (!type.matches("[a-z0-9-]+\\.[a-z0-9]+")) {
            throw ApiError.bad("InvalidParameterValue", "Invalid value '" + type + "' for InstanceType.");
        }
        Subnet subnet;
        String subnetId = q.get("SubnetId");
        if (subnetId != null) {
            subnet = w.subnets.get(subnetId);
            if (subnet == null) {
                throw ApiError.bad("InvalidSubnetID.NotFound", "The subnet ID '" + subnetId + "' does not exist");
            }
        } else {
            subnet = defaultSubnet();
        }
        String az = q.get("Placement.AvailabilityZone");
        if (az != null && !az.equals(subnet.az)) {
            throw ApiError.bad("InvalidParameterValue", "Value (" + az + ") for parameter availabilityZone is invalid. "
                    + "Subnet '" + subnet.id + "' is in the availability zone " + subnet.az);
        }
        List<String> groups = new ArrayList<>();
        for (String g : q.list("SecurityGroupId")) {
            SecurityGroup sg = w.securityGroups.get(g);
            if (sg == null) {
                throw ApiError.bad("InvalidGroup.NotFound", "The security group '" + g + "' does not exist");
            }
            if (!sg.vpcId.equals(subnet.vpcId)) {
                throw ApiError.bad("InvalidParameter", "Security group " + g + " and subnet " + subnet.id
                        + " belong to different networks.");
            }
            groups.add(g);
        }
        for (String name : q.list("SecurityGroup")) {
            groups.add(groupByName(name, subnet.vpcId).id);
        }
        String userData = q.get("UserData");
        if (userData != null) {
            byte[] raw;
            try {
                raw = Base64.getDecoder().decode(userData);
            } catch (IllegalArgumentException e) {
                throw ApiError.bad("InvalidParameterValue", "Invalid BASE64 encoding of user data.");
            }
            if (raw.length > USER_DATA_LIMIT) {
                throw ApiError.bad("InvalidParameterValue", "User data is limited to " + USER_DATA_LIMIT + " bytes");
            }
        }
        String ip = q.get("PrivateIpAddress");
        if (ip != null) {
            if (max > 1) {
                throw ApiError.bad("InvalidParameterCombination",
                        "Network interfaces and an instance-level private IP address should not be specified on the "
                                + "same request when launching more than one instance");
            }
            try {
                World.ipToLong(ip);
            } catch (IllegalArgumentException e) {
                throw ApiError.bad("InvalidParameterValue", "Invalid IPv4 address " + ip);
            }
            long[] range = subnet.usableRange();
            long a = World.ipToLong(ip);
            if (!subnet.contains(ip) || a < range[0] || a > range[1]) {
                throw ApiError.bad("InvalidParameterValue", "Address " + ip + " does not fall within the subnet's "
                        + "address range (" + subnet.cidr + ", the first four and the last address are reserved)");
            }
            if (ipInUse(subnet, ip)) {
                throw ApiError.bad("InvalidIPAddress.InUse", "Address " + ip + " is in use.");
            }
        }
        String profile = q.get("IamInstanceProfile.Arn", q.get("IamInstanceProfile.Name"));
        if (profile != null && !profile.startsWith("arn:")) {
            profile = "arn:aws:iam::" + World.ACCOUNT + ":instance-profile/" + profile;
        }
        Map<String, String> tags = tagSpecifications(q, "instance");
        Reservation r = new Reservation(w.id("r"), fingerprint);
        for (int n = 0; n < max; n++) {
            String addr = ip != null ? ip : freeIp(subnet);
            Instance i = new Instance(w.id("i"), r.id, imageId, type, q.get("KeyName"), subnet, addr, userData,
                    token, profile, groups, n);
            i.state = "pending";
            i.transitionAt = w.nanos.getAsLong() + w.pendingNanos;
            i.tags.putAll(tags);
            w.instances.put(i.id, i);
            r.instanceIds.add(i.id);
        }
        w.reservations.put(r.id, r);
        if (token != null && !token.isEmpty()) {
            w.byClientToken.put(token, r);
        }
        writeReservation(x, r, r.instanceIds);
    }

    private boolean ipInUse(Subnet subnet, String ip) {
        for (Instance i : w.instances.values()) {
            if (i.live() && i.subnetId.equals(subnet.id) && i.privateIp.equals(ip)) {
                return true;
            }
        }
        return false;
    }

    private String freeIp(Subnet subnet) {
        long[] range = subnet.usableRange();
        for (long a = range[0]; a <= range[1]; a++) {
            String ip = World.longToIp(a);
            if (!ipInUse(subnet, ip)) {
                return ip;
            }
        }
        throw ApiError.bad("InsufficientFreeAddressesInSubnet", "There are not enough free addresses in subnet '"
                + subnet.id + "' to satisfy the requested number of instances.");
    }

    /** The tags of the TagSpecification entries for {@code resourceType}. */
    private static Map<String, String> tagSpecifications(Query q, String resourceType) {
        Map<String, String> tags = new LinkedHashMap<>();
        for (Query spec : q.structs("TagSpecification")) {
            String rt = spec.get("ResourceType");
            if (rt == null) {
                throw ApiError.bad("InvalidParameterValue", "TagSpecification: ResourceType is required");
            }
            if (rt.equals(resourceType)) {
                tags.putAll(spec.tags("Tag"));
            }
        }
        return tags;
    }

    private void writeReservation(Xml x, Reservation r, List<String> ids) {
        x.leaf("reservationId", r.id).leaf("ownerId", World.ACCOUNT).empty("groupSet").open("instancesSet");
        for (String id : ids) {
            writeInstance(x, w.instances.get(id));
        }
        x.end();
    }

    private void writeInstance(Xml x, Instance i) {
        x.open("item").leaf("instanceId", i.id).leaf("imageId", i.imageId)
                .open("instanceState").leaf("code", i.stateCode()).leaf("name", i.state).end()
                .leaf("privateDnsName", "ip-" + i.privateIp.replace('.', '-') + ".ec2.internal")
                .leaf("dnsName", "")
                .leaf("reason", i.stateReason == null ? "" : i.stateReason)
                .leaf("keyName", i.keyName)
                .leaf("amiLaunchIndex", i.launchIndex)
                .leaf("instanceType", i.instanceType)
                .leaf("launchTime", i.launchTime)
                .open("placement").leaf("availabilityZone", i.az).leaf("tenancy", "default").end()
                .open("monitoring").leaf("state", "disabled").end()
                .leaf("subnetId", i.subnetId)
                .leaf("vpcId", i.vpcId)
                .leaf("privateIpAddress", i.privateIp)
                .open("groupSet");
        for (String g : i.groupIds) {
            SecurityGroup sg = w.securityGroups.get(g);
            x.open("item").leaf("groupId", g).leaf("groupName", sg == null ? null : sg.name).end();
        }
        x.end().leaf("architecture", "x86_64").leaf("rootDeviceType", "ebs").leaf("rootDeviceName", "/dev/xvda")
                .leaf("virtualizationType", "hvm").leaf("clientToken", i.clientToken);
        if (i.stateReason != null) {
            x.open("stateReason").leaf("code", "Client.UserInitiatedShutdown").leaf("message", i.stateReason).end();
        }
        if (i.iamInstanceProfile != null) {
            x.open("iamInstanceProfile").leaf("arn", i.iamInstanceProfile).end();
        }
        writeTags(x, i.tags);
        x.end();
    }

    private static void writeTags(Xml x, Map<String, String> tags) {
        x.open("tagSet");
        for (Map.Entry<String, String> t : tags.entrySet()) {
            x.open("item").leaf("key", t.getKey()).leaf("value", t.getValue()).end();
        }
        x.end();
    }

    private void describeInstances(Query q, Xml x) {
        List<String> ids = q.list("InstanceId");
        for (String id : ids) {
            requireInstance(id);
        }
        List<Query> filters = q.structs("Filter");
        List<Instance> matching = new ArrayList<>();
        for (Instance i : w.instances.values()) {
            if (!ids.isEmpty() && !ids.contains(i.id)) {
                continue;
            }
            if (matches(filters, name -> instanceValues(i, name))) {
                matching.add(i);
            }
        }
        Integer maxResults = q.integer("MaxResults", null);
        int offset = 0;
        String next = q.get("NextToken");
        if (next != null && !next.isEmpty()) {
            try {
                offset = Integer.parseInt(next.substring(next.indexOf('-') + 1));
            } catch (RuntimeException e) {
                throw ApiError.bad("InvalidParameterValue", "Invalid NextToken " + next);
            }
        }
        if (maxResults != null && !ids.isEmpty()) {
            throw ApiError.bad("InvalidParameterCombination",
                    "The parameter instancesSet cannot be used with the parameter maxResults");
        }
        if (maxResults != null && (maxResults < 5 || maxResults > 1000)) {
            throw ApiError.bad("InvalidParameterValue", "Value ( " + maxResults + " ) for parameter maxResults is "
                    + "invalid. Expecting a value greater than 5.");
        }
        int end = maxResults == null ? matching.size() : Math.min(matching.size(), offset + maxResults);
        List<Instance> page = matching.subList(Math.min(offset, matching.size()), end);
        Map<String, List<String>> byReservation = new LinkedHashMap<>();
        for (Instance i : page) {
            byReservation.computeIfAbsent(i.reservationId, k -> new ArrayList<>()).add(i.id);
        }
        x.open("reservationSet");
        for (Map.Entry<String, List<String>> e : byReservation.entrySet()) {
            x.open("item");
            writeReservation(x, w.reservations.get(e.getKey()), e.getValue());
            x.end();
        }
        x.end();
        if (end < matching.size()) {
            x.leaf("nextToken", "tok-" + end);
        }
    }

    private Instance requireInstance(String id) {
        if (!id.matches("i-[0-9a-f]{8,17}")) {
            throw ApiError.bad("InvalidInstanceID.Malformed", "Invalid id: \"" + id + "\"");
        }
        Instance i = w.instances.get(id);
        if (i == null) {
            throw ApiError.bad("InvalidInstanceID.NotFound", "The instance ID '" + id + "' does not exist");
        }
        return i;
    }

    private static List<String> instanceValues(Instance i, String filter) {
        return switch (filter) {
            case "instance-id" -> List.of(i.id);
            case "instance-state-name" -> List.of(i.state);
            case "instance-state-code" -> List.of(Integer.toString(i.stateCode()));
            case "subnet-id" -> List.of(i.subnetId);
            case "vpc-id" -> List.of(i.vpcId);
            case "availability-zone" -> List.of(i.az);
            case "private-ip-address" -> List.of(i.privateIp);
            case "image-id" -> List.of(i.imageId);
            case "instance-type" -> List.of(i.instanceType);
            case "reservation-id" -> List.of(i.reservationId);
            case "client-token" -> i.clientToken == null ? List.of() : List.of(i.clientToken);
            case "instance.group-id" -> i.groupIds;
            default -> tagValues(i.tags, filter);
        };
    }

    /** Values for tag:K / tag-key filters; null for a filter name the emulator does not know. */
    static List<String> tagValues(Map<String, String> tags, String filter) {
        if (filter.startsWith("tag:")) {
            String v = tags.get(filter.substring(4));
            return v == null ? List.of() : List.of(v);
        }
        if (filter.equals("tag-key")) {
            return new ArrayList<>(tags.keySet());
        }
        if (filter.equals("tag-value")) {
            return new ArrayList<>(tags.values());
        }
        return null;
    }

    /**
     * True if the resource passes every filter: some value of the resource matches some value of
     * the filter ({@code *} and {@code ?} are wildcards, as in AWS).
     */
    static boolean matches(List<Query> filters, Function<String, List<String>> values) {
        for (Query f : filters) {
            String name = f.require("Name");
            List<String> have = values.apply(name);
            if (have == null) {
                throw ApiError.bad("InvalidParameterValue", "The filter '" + name + "' is invalid");
            }
            List<String> want = f.list("Value");
            boolean any = false;
            for (String v : want) {
                Pattern p = glob(v);
                for (String h : have) {
                    any |= p.matcher(h).matches();
                }
            }
            if (!any) {
                return false;
            }
        }
        return true;
    }

    private static Pattern glob(String s) {
        StringBuilder re = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }

    private void terminateInstances(Query q, Xml x) {
        List<String> ids = q.list("InstanceId");
        if (ids.isEmpty()) {
            throw ApiError.bad("MissingParameter", "The request must contain the parameter InstanceId");
        }
        List<Instance> targets = new ArrayList<>();
        for (String id : ids) {
            targets.add(requireInstance(id));
        }
        x.open("instancesSet");
        for (Instance i : targets) {
            String before = i.state;
            int beforeCode = i.stateCode();
            if (!i.state.equals("terminated") && !i.state.equals("shutting-down")) {
                i.state = "shutting-down";
                i.transitionAt = w.nanos.getAsLong() + w.shutdownNanos;
            }
            x.open("item").leaf("instanceId", i.id)
                    .open("currentState").leaf("code", i.stateCode()).leaf("name", i.state).end()
                    .open("previousState").leaf("code", beforeCode).leaf("name", before).end().end();
        }
        x.end();
    }

    private void describeInstanceAttribute(Query q, Xml x) {
        Instance i = requireInstance(q.require("InstanceId"));
        String attribute = q.require("Attribute");
        x.leaf("instanceId", i.id);
        switch (attribute) {
            case "userData" -> {
                x.open("userData");
                x.leaf("value", i.userData);
                x.end();
            }
            case "instanceType" -> x.open("instanceType").leaf("value", i.instanceType).end();
            case "groupSet" -> {
                x.open("groupSet");
                for (String g : i.groupIds) {
                    x.open("item").leaf("groupId", g).end();
                }
                x.end();
            }
            default -> throw ApiError.bad("InvalidParameterValue", "Value (" + attribute
                    + ") for parameter attribute is invalid (the emulator knows userData, instanceType, groupSet)");
        }
    }

    /** Terminates an instance at once (a test hook: the instance "dies"). */
    void terminateNow(String id) {
        Instance i = w.instances.get(id);
        if (i == null) {
            throw new IllegalArgumentException("no instance " + id);
        }
        i.state = "terminated";
        i.stateReason = "Server.InternalError: emulated instance failure";
    }

    private void createTags(Query q, Xml x) {
        List<String> ids = q.list("ResourceId");
        if (ids.isEmpty()) {
            throw ApiError.bad("MissingParameter", "The request must contain the parameter ResourceId");
        }
        Map<String, String> tags = q.tags("Tag");
        if (tags.isEmpty()) {
            throw ApiError.bad("MissingParameter", "The request must contain the parameter Tag");
        }
        List<Map<String, String>> targets = new ArrayList<>();
        for (String id : ids) {
            targets.add(tagsOf(id));
        }
        for (Map<String, String> t : targets) {
            t.putAll(tags);
        }
        x.leaf("return", "true");
    }

    private Map<String, String> tagsOf(String id) {
        if (id.startsWith("i-")) {
            return requireInstance(id).tags;
        }
        if (id.startsWith("sg-")) {
            return requireGroup(id).tags;
        }
        if (id.startsWith("subnet-") && w.subnets.containsKey(id)) {
            return w.subnets.get(id).tags;
        }
        if (id.startsWith("vpc-") && w.vpcs.containsKey(id)) {
            return w.vpcs.get(id).tags;
        }
        throw ApiError.bad("InvalidID", "The ID '" + id + "' is not valid");
    }

    // ------------------------------------------------------------------ network

    private void describeSubnets(Query q, Xml x) {
        List<String> ids = q.list("SubnetId");
        for (String id : ids) {
            if (!w.subnets.containsKey(id)) {
                throw ApiError.bad("InvalidSubnetID.NotFound", "The subnet ID '" + id + "' does not exist");
            }
        }
        List<Query> filters = q.structs("Filter");
        x.open("subnetSet");
        for (Subnet s : w.subnets.values()) {
            if (!ids.isEmpty() && !ids.contains(s.id)) {
                continue;
            }
            if (!matches(filters, name -> switch (name) {
                case "subnet-id" -> List.of(s.id);
                case "vpc-id" -> List.of(s.vpcId);
                case "availability-zone" -> List.of(s.az);
                case "cidr-block", "cidr" -> List.of(s.cidr);
                case "state" -> List.of("available");
                default -> tagValues(s.tags, name);
            })) {
                continue;
            }
            long[] range = s.usableRange();
            long used = w.instances.values().stream().filter(i -> i.live() && i.subnetId.equals(s.id)).count();
            x.open("item").leaf("subnetId", s.id)
                    .leaf("subnetArn", "arn:aws:ec2:" + w.region + ":" + World.ACCOUNT + ":subnet/" + s.id)
                    .leaf("state", "available").leaf("vpcId", s.vpcId).leaf("cidrBlock", s.cidr)
                    .leaf("availableIpAddressCount", Math.max(0, range[1] - range[0] + 1 - used))
                    .leaf("availabilityZone", s.az).leaf("availabilityZoneId", "use1-az" + azIndex(s.az))
                    .leaf("defaultForAz", "false").leaf("mapPublicIpOnLaunch", "false").leaf("ownerId", World.ACCOUNT);
            writeTags(x, s.tags);
            x.end();
        }
        x.end();
    }

    private static int azIndex(String az) {
        char c = az.isEmpty() ? 'a' : az.charAt(az.length() - 1);
        return Character.isLetter(c) ? c - 'a' + 1 : 1;
    }

    private void describeVpcs(Query q, Xml x) {
        w.defaultVpc();
        List<String> ids = q.list("VpcId");
        for (String id : ids) {
            if (!w.vpcs.containsKey(id)) {
                throw ApiError.bad("InvalidVpcID.NotFound", "The vpc ID '" + id + "' does not exist");
            }
        }
        List<Query> filters = q.structs("Filter");
        x.open("vpcSet");
        for (Vpc v : w.vpcs.values()) {
            if (!ids.isEmpty() && !ids.contains(v.id)) {
                continue;
            }
            if (!matches(filters, name -> switch (name) {
                case "vpc-id" -> List.of(v.id);
                case "is-default", "isDefault" -> List.of(Boolean.toString(v.isDefault));
                case "cidr", "cidr-block" -> List.of(v.cidr);
                case "state" -> List.of("available");
                default -> tagValues(v.tags, name);
            })) {
                continue;
            }
            x.open("item").leaf("vpcId", v.id).leaf("ownerId", World.ACCOUNT).leaf("state", "available")
                    .leaf("cidrBlock", v.cidr).leaf("dhcpOptionsId", "dopt-00000001").leaf("instanceTenancy", "default")
                    .leaf("isDefault", Boolean.toString(v.isDefault));
            writeTags(x, v.tags);
            x.end();
        }
        x.end();
    }

    // ------------------------------------------------------------------ security groups

    private SecurityGroup requireGroup(String id) {
        SecurityGroup sg = w.securityGroups.get(id);
        if (sg == null) {
            if (!id.matches("sg-[0-9a-f]{8,17}")) {
                throw ApiError.bad("InvalidGroupId.Malformed", "Invalid id: \"" + id + "\" (expecting \"sg-...\")");
            }
            throw ApiError.bad("InvalidGroup.NotFound", "The security group '" + id + "' does not exist");
        }
        return sg;
    }

    private SecurityGroup groupByName(String name, String vpcId) {
        for (SecurityGroup sg : w.securityGroups.values()) {
            if (sg.name.equals(name) && sg.vpcId.equals(vpcId)) {
                return sg;
            }
        }
        throw ApiError.bad("InvalidGroup.NotFound", "The security group '" + name + "' does not exist in VPC '"
                + vpcId + "'");
    }

    private void createSecurityGroup(Query q, Xml x) {
        String name = q.require("GroupName");
        String description = q.require("GroupDescription");
        if (name.startsWith("sg-") || name.length() > 255) {
            throw ApiError.bad("InvalidParameterValue", "Invalid security group name '" + name + "'");
        }
        String vpcId = q.get("VpcId");
        if (vpcId == null) {
            vpcId = w.defaultVpc().id;
        } else if (!w.vpcs.containsKey(vpcId)) {
            throw ApiError.bad("InvalidVpcID.NotFound", "The vpc ID '" + vpcId + "' does not exist");
        }
        for (SecurityGroup sg : w.securityGroups.values()) {
            if (sg.name.equals(name) && sg.vpcId.equals(vpcId)) {
                throw ApiError.bad("InvalidGroup.Duplicate", "The security group '" + name
                        + "' already exists for VPC '" + vpcId + "'");
            }
        }
        SecurityGroup sg = new SecurityGroup(w.id("sg"), name, description, vpcId);
        sg.tags.putAll(tagSpecifications(q, "security-group"));
        w.securityGroups.put(sg.id, sg);
        x.leaf("return", "true").leaf("groupId", sg.id)
                .leaf("securityGroupArn", "arn:aws:ec2:" + w.region + ":" + World.ACCOUNT + ":security-group/" + sg.id);
        writeTags(x, sg.tags);
    }

    private void authorizeIngress(Query q, Xml x) {
        SecurityGroup sg = q.has("GroupId") ? requireGroup(q.get("GroupId"))
                : groupByName(q.require("GroupName"), w.defaultVpc().id);
        List<Rule> rules = new ArrayList<>();
        List<Query> perms = q.structs("IpPermissions");
        if (perms.isEmpty() && q.has("IpProtocol")) {
            perms = List.of(q);
        }
        if (perms.isEmpty()) {
            throw ApiError.bad("MissingParameter", "The request must contain the parameter IpPermissions");
        }
        for (Query p : perms) {
            String proto = p.require("IpProtocol").toLowerCase(java.util.Locale.ROOT);
            if (!Set.of("tcp", "udp", "icmp", "-1", "6", "17", "1").contains(proto)) {
                throw ApiError.bad("InvalidParameterValue", "Invalid value '" + proto + "' for IP protocol.");
            }
            proto = switch (proto) {
                case "6" -> "tcp";
                case "17" -> "udp";
                case "1" -> "icmp";
                default -> proto;
            };
            int from = proto.equals("-1") ? -1 : p.integer("FromPort", -1);
            int to = proto.equals("-1") ? -1 : p.integer("ToPort", -1);
            if ((proto.equals("tcp") || proto.equals("udp"))
                    && (from < 0 || to > 65535 || from > to)) {
                throw ApiError.bad("InvalidParameterValue", "Invalid port range " + from + "-" + to);
            }
            List<String> sources = new ArrayList<>();
            for (Query g : p.structs("Groups")) {
                String gid = g.get("GroupId");
                if (gid == null) {
                    gid = groupByName(g.require("GroupName"), sg.vpcId).id;
                }
                requireGroup(gid);
                rules.add(new Rule(proto, from, to, gid, null));
                sources.add(gid);
            }
            for (Query r : p.structs("IpRanges")) {
                String cidr = r.require("CidrIp");
                try {
                    World.parseCidr(cidr);
                } catch (RuntimeException e) {
                    throw ApiError.bad("InvalidParameterValue", "CIDR block " + cidr + " is malformed");
                }
                rules.add(new Rule(proto, from, to, null, cidr));
                sources.add(cidr);
            }
            if (p.has("CidrIp")) {
                rules.add(new Rule(proto, from, to, null, p.get("CidrIp")));
                sources.add(p.get("CidrIp"));
            }
            if (sources.isEmpty()) {
                throw ApiError.bad("MissingParameter", "An IpPermission needs a source: Groups or IpRanges");
            }
        }
        for (Rule r : rules) {
            if (sg.ingress.contains(r)) {
                throw ApiError.bad("InvalidPermission.Duplicate", "the specified rule \"peer: "
                        + (r.sourceGroupId() != null ? r.sourceGroupId() : r.cidr()) + ", " + r.protocol().toUpperCase()
                        + ", from port: " + r.fromPort() + ", to port: " + r.toPort() + ", ALLOW\" already exists");
            }
        }
        sg.ingress.addAll(new LinkedHashSet<>(rules));
        x.leaf("return", "true");
    }

    private void describeSecurityGroups(Query q, Xml x) {
        List<String> ids = q.list("GroupId");
        for (String id : ids) {
            requireGroup(id);
        }
        List<String> names = q.list("GroupName");
        for (String n : names) {
            groupByName(n, w.defaultVpc().id);
        }
        List<Query> filters = q.structs("Filter");
        x.open("securityGroupInfo");
        for (SecurityGroup sg : w.securityGroups.values()) {
            if (!ids.isEmpty() && !ids.contains(sg.id)) {
                continue;
            }
            if (!names.isEmpty() && !names.contains(sg.name)) {
                continue;
            }
            if (!matches(filters, name -> switch (name) {
                case "group-id" -> List.of(sg.id);
                case "group-name" -> List.of(sg.name);
                case "vpc-id" -> List.of(sg.vpcId);
                case "description" -> List.of(sg.description);
                default -> tagValues(sg.tags, name);
            })) {
                continue;
            }
            x.open("item").leaf("ownerId", World.ACCOUNT).leaf("groupId", sg.id).leaf("groupName", sg.name)
                    .leaf("groupDescription", sg.description).leaf("vpcId", sg.vpcId)
                    .leaf("securityGroupArn", "arn:aws:ec2:" + w.region + ":" + World.ACCOUNT + ":security-group/" + sg.id)
                    .open("ipPermissions");
            Map<String, List<Rule>> byPorts = new LinkedHashMap<>();
            for (Rule r : sg.ingress) {
                byPorts.computeIfAbsent(r.protocol() + "/" + r.fromPort() + "/" + r.toPort(), k -> new ArrayList<>()).add(r);
            }
            for (List<Rule> group : byPorts.values()) {
                Rule first = group.get(0);
                x.open("item").leaf("ipProtocol", first.protocol());
                if (!first.protocol().equals("-1")) {
                    x.leaf("fromPort", first.fromPort()).leaf("toPort", first.toPort());
                }
                x.open("groups");
                for (Rule r : group) {
                    if (r.sourceGroupId() != null) {
                        x.open("item").leaf("userId", World.ACCOUNT).leaf("groupId", r.sourceGroupId()).end();
                    }
                }
                x.end().open("ipRanges");
                for (Rule r : group) {
                    if (r.cidr() != null) {
                        x.open("item").leaf("cidrIp", r.cidr()).end();
                    }
                }
                x.end().empty("ipv6Ranges").empty("prefixListIds").end();
            }
            x.end().open("ipPermissionsEgress").open("item").leaf("ipProtocol", "-1").empty("groups")
                    .open("ipRanges").open("item").leaf("cidrIp", "0.0.0.0/0").end().end()
                    .empty("ipv6Ranges").empty("prefixListIds").end().end();
            writeTags(x, sg.tags);
            x.end();
        }
        x.end();
    }

    private void deleteSecurityGroup(Query q, Xml x) {
        SecurityGroup sg = q.has("GroupId") ? requireGroup(q.get("GroupId"))
                : groupByName(q.require("GroupName"), w.defaultVpc().id);
        for (Instance i : w.instances.values()) {
            if (i.live() && i.groupIds.contains(sg.id)) {
                throw ApiError.bad("DependencyViolation", "resource " + sg.id + " has a dependent object");
            }
        }
        for (SecurityGroup other : w.securityGroups.values()) {
            if (other != sg && other.ingress.stream().anyMatch(r -> sg.id.equals(r.sourceGroupId()))) {
                throw ApiError.bad("DependencyViolation", "resource " + sg.id + " has a dependent object");
            }
        }
        for (World.LoadBalancer lb : w.loadBalancers.values()) {
            if (lb.securityGroups.contains(sg.id)) {
                throw ApiError.bad("DependencyViolation", "resource " + sg.id + " has a dependent object");
            }
        }
        w.securityGroups.remove(sg.id);
        x.leaf("return", "true").leaf("groupId", sg.id);
    }
}
