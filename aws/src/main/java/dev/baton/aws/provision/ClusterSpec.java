package dev.baton.aws.provision;

import dev.baton.config.HttpUrls;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What {@code baton aws create-cluster} is asked to build. {@link #validate()} lists every
 * problem, each naming its flag, before anything is called.
 *
 * @param name              the cluster: Baton's scope, and the {@code baton:cluster} tag
 * @param instances         how many members (instances)
 * @param instanceType      EC2 instance type
 * @param ami               image id: a Debian 12+ or Ubuntu 22.04+ image with cloud-init; null: the
 *                          current Debian 12 image (AWS's public SSM parameter, {@link ParameterStore#DEBIAN_AMI_PARAMETER})
 * @param subnets           subnets of one VPC; members go round-robin over them
 * @param keyName           EC2 key pair for SSH, or null
 * @param etcdHosts         external etcd ({@code HOST:PORT}), or empty with {@code colocateEtcd}
 * @param colocateEtcd      run an etcd member on every instance
 * @param publicLoadBalancer an internet-facing load balancer instead of an internal one
 * @param sshCidrs          CIDRs allowed to SSH (port 22); empty: no SSH rule
 * @param clientCidrs       CIDRs allowed to connect to PostgreSQL through the load balancer; empty
 *                          means the VPC's CIDR
 * @param batonUrl          where instances download the Baton jar, or null: the package {@code packageFile}
 *                          is uploaded to the cluster's private bucket and fetched from there with the instance role
 * @param batonSha256       the jar's SHA-256, checked on the instance when given
 * @param instanceProfile   IAM instance profile (name or ARN) for the agents' load balancer calls, or null
 * @param ipOffset          with colocated etcd: the first member address of each subnet, counted from
 *                          the subnet's first usable address; null derives it from the name
 * @param backup            WAL archiving and scheduled backups to S3 (the bucket, an instance role
 *                          limited to the cluster's prefix, the node YAML's {@code backup} section)
 * @param backupBucket      an existing bucket for the backups and the package ({@code --bucket}), or null
 *                          for one Baton makes
 * @param packageFile       the Baton package ({@code .deb}, or a {@code .jar}) to upload, with {@code batonUrl} null
 */
public record ClusterSpec(String name, int instances, String instanceType, String ami, List<String> subnets,
                          String keyName, List<String> etcdHosts, boolean colocateEtcd, boolean publicLoadBalancer,
                          List<String> sshCidrs, List<String> clientCidrs, String batonUrl, String batonSha256,
                          String instanceProfile, Integer ipOffset, boolean backup, String backupBucket,
                          String packageFile) {

    /** Where instances get the Baton jar unless {@code --baton-url} says otherwise. */
    public static final String DEFAULT_BATON_URL = "https://github.com/baton-ha/baton/releases/latest/download/baton.jar";
    public static final String PG_VERSION = "15";
    public static final int PG_PORT = 5432;
    public static final int RESTAPI_PORT = 8008;
    public static final int ETCD_CLIENT_PORT = 2379;
    public static final int ETCD_PEER_PORT = 2380;
    public static final int MAX_INSTANCES = 15;

    private static final Pattern INSTANCE_TYPE = Pattern.compile("[a-z][a-z0-9-]*\\.[a-z0-9]+");
    private static final Pattern AMI = Pattern.compile("ami-[0-9a-f]{8,17}");
    private static final Pattern SUBNET = Pattern.compile("subnet-[0-9a-f]{8,17}");
    private static final Pattern HOST_PORT = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:\\d{1,5}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");
    private static final Pattern PROFILE = Pattern.compile("[\\w+=,.@-]{1,128}|arn:aws[a-z-]*:iam::\\d{12}:instance-profile/[\\w+=,.@/-]{1,128}");
    private static final Pattern KEY_NAME = Pattern.compile("[\\x20-\\x7e]{1,255}");

    public ClusterSpec {
        subnets = List.copyOf(subnets == null ? List.of() : subnets);
        etcdHosts = List.copyOf(etcdHosts == null ? List.of() : etcdHosts);
        sshCidrs = List.copyOf(sshCidrs == null ? List.of() : sshCidrs);
        clientCidrs = List.copyOf(clientCidrs == null ? List.of() : clientCidrs);
    }

    /** This spec with an image id (the default one, looked up when {@code ami} is null). */
    public ClusterSpec withAmi(String image) {
        return new ClusterSpec(name, instances, instanceType, image, subnets, keyName, etcdHosts, colocateEtcd,
                publicLoadBalancer, sshCidrs, clientCidrs, batonUrl, batonSha256, instanceProfile, ipOffset, backup,
                backupBucket, packageFile);
    }

    /** True when the instances fetch Baton from the cluster's bucket (no {@code --baton-url}). */
    public boolean uploadsPackage() {
        return batonUrl == null;
    }

    /** True when the cluster has a bucket: for the backups, or for the package. */
    public boolean needsBucket() {
        return backup || uploadsPackage();
    }

    /** A builder with the defaults (1 instance, no SSH, the default Baton URL, no backup: the CLI turns it on). */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Every problem with this spec ({@code "--instances: ..."}); empty when it can be built. */
    public List<String> validate() {
        List<String> p = new ArrayList<>();
        if (!Names.isClusterName(name)) {
            p.add("NAME: must be 1 to " + Names.MAX_NAME + " lowercase letters, digits and '-', starting with a "
                    + "letter and not ending with '-', got \"" + name + "\"");
        }
        if (instances < 1 || instances > MAX_INSTANCES) {
            p.add("--instances: must be between 1 and " + MAX_INSTANCES + ", got " + instances);
        }
        if (instanceType == null || !INSTANCE_TYPE.matcher(instanceType).matches()) {
            p.add("--instance-type: must be an EC2 instance type such as t3.medium, got \"" + instanceType + "\"");
        }
        if (ami != null && !AMI.matcher(ami).matches()) {
            p.add("--ami: must be an image id such as ami-0123456789abcdef0, got \"" + ami + "\"");
        }
        if (subnets.isEmpty()) {
            p.add("--subnets: give at least one subnet id");
        }
        Set<String> seen = new HashSet<>();
        for (String s : subnets) {
            if (!SUBNET.matcher(s).matches()) {
                p.add("--subnets: \"" + s + "\" is not a subnet id (subnet-0123456789abcdef0)");
            } else if (!seen.add(s)) {
                p.add("--subnets: " + s + " is given twice");
            }
        }
        if (colocateEtcd == !etcdHosts.isEmpty()) {
            p.add(colocateEtcd ? "--etcd and --colocate-etcd: give only one of them"
                    : "etcd: give exactly one of --etcd HOST:PORT,... (an existing etcd) and --colocate-etcd");
        }
        for (String h : etcdHosts) {
            if (!HOST_PORT.matcher(h).matches() || port(h) < 1 || port(h) > 65535) {
                p.add("--etcd: must be HOST:PORT, got \"" + h + "\"");
            }
        }
        if (colocateEtcd && instances >= 1 && instances % 2 == 0) {
            p.add("--instances: with --colocate-etcd the number of instances is the number of etcd members, which "
                    + "must be odd (a majority must survive a failure), got " + instances);
        }
        if (ipOffset != null && !colocateEtcd) {
            p.add("--ip-offset: only with --colocate-etcd (otherwise AWS assigns the addresses)");
        }
        if (ipOffset != null && ipOffset < 0) {
            p.add("--ip-offset: must be 0 or more, got " + ipOffset);
        }
        if (keyName != null && !KEY_NAME.matcher(keyName).matches()) {
            p.add("--key-name: must be 1 to 255 printable characters, got \"" + keyName + "\"");
        }
        for (String c : sshCidrs) {
            if (!cidr(c)) {
                p.add("--ssh-cidr: must be an IPv4 CIDR such as 203.0.113.0/24, got \"" + c + "\"");
            }
        }
        for (String c : clientCidrs) {
            if (!cidr(c)) {
                p.add("--client-cidr: must be an IPv4 CIDR such as 10.0.0.0/16, got \"" + c + "\"");
            }
        }
        if (publicLoadBalancer && clientCidrs.isEmpty()) {
            p.add("--public: also give --client-cidr with the addresses clients connect from (the load balancer "
                    + "keeps client addresses, so the security group must allow them; 0.0.0.0/0 allows anyone)");
        }
        if (batonUrl != null && !httpUrl(batonUrl)) {
            p.add("--baton-url: must be an http:// or https:// URL without quotes or spaces, got \"" + batonUrl + "\"");
        }
        if (batonSha256 != null && !SHA256.matcher(batonSha256).matches()) {
            p.add("--baton-sha256: must be 64 hexadecimal digits, got \"" + batonSha256 + "\"");
        }
        if (instanceProfile != null && !PROFILE.matcher(instanceProfile).matches()) {
            p.add("--instance-profile: must be an instance profile name or ARN, got \"" + instanceProfile + "\"");
        }
        if (backupBucket != null && !backup && !uploadsPackage()) {
            p.add("--bucket: not with --no-backup and --baton-url (nothing would go in it)");
        }
        if (packageFile != null && batonUrl != null) {
            p.add("--package and --baton-url: give only one of them");
        }
        if (batonSha256 != null && packageFile != null) {
            p.add("--baton-sha256: not with --package (the uploaded package's SHA-256 is computed)");
        }
        if (backupBucket != null && !BackupPolicy.isBucketName(backupBucket)) {
            p.add("--backup-bucket: must be an S3 bucket name (3 to 63 lowercase letters, digits, '.' and '-'), got \""
                    + backupBucket + "\"");
        }
        return p;
    }

    private static int port(String hostPort) {
        try {
            return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** True for an IPv4 CIDR (a.b.c.d/n). */
    public static boolean cidr(String s) {
        if (s == null || !s.matches("(\\d{1,3}\\.){3}\\d{1,3}/\\d{1,2}")) {
            return false;
        }
        try {
            Cidr.parse(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean httpUrl(String s) {
        if (s == null || s.chars().anyMatch(c -> c <= ' ' || c == '\'' || c == '"' || c == '\\' || c == '`' || c == '$')) {
            return false;
        }
        return HttpUrls.parse(s).isPresent();
    }

    /**
     * Builds a {@link ClusterSpec}; tests and the CLI fill in what they have. The setters only
     * name the record's components, one line each; {@link ClusterSpec#validate()} checks the values.
     */
    public static final class Builder {
        private final String name;
        private int instances = 1;
        private String instanceType;
        private String ami;
        private List<String> subnets = List.of();
        private String keyName;
        private List<String> etcdHosts = List.of();
        private boolean colocateEtcd;
        private boolean publicLoadBalancer;
        private List<String> sshCidrs = List.of();
        private List<String> clientCidrs = List.of();
        private String batonUrl;
        private String batonSha256;
        private String instanceProfile;
        private Integer ipOffset;
        private boolean backup;
        private String backupBucket;
        private String packageFile;

        private Builder(String name) {
            this.name = name;
        }

        public Builder instances(int v) { instances = v; return this; }
        public Builder instanceType(String v) { instanceType = v; return this; }
        public Builder ami(String v) { ami = v; return this; }
        public Builder subnets(List<String> v) { subnets = v; return this; }
        public Builder keyName(String v) { keyName = v; return this; }
        public Builder etcdHosts(List<String> v) { etcdHosts = v; return this; }
        public Builder colocateEtcd(boolean v) { colocateEtcd = v; return this; }
        public Builder publicLoadBalancer(boolean v) { publicLoadBalancer = v; return this; }
        public Builder sshCidrs(List<String> v) { sshCidrs = v; return this; }
        public Builder clientCidrs(List<String> v) { clientCidrs = v; return this; }
        public Builder batonUrl(String v) { batonUrl = v; return this; }
        public Builder batonSha256(String v) { batonSha256 = v; return this; }
        public Builder instanceProfile(String v) { instanceProfile = v; return this; }
        public Builder ipOffset(Integer v) { ipOffset = v; return this; }
        public Builder backup(boolean v) { backup = v; return this; }
        public Builder backupBucket(String v) { backupBucket = v; return this; }
        public Builder packageFile(String v) { packageFile = v; return this; }

        public ClusterSpec build() {
            return new ClusterSpec(name, instances, instanceType, ami, subnets, keyName, etcdHosts, colocateEtcd,
                    publicLoadBalancer, sshCidrs, clientCidrs, batonUrl, batonSha256, instanceProfile, ipOffset, backup, backupBucket,
                    packageFile);
        }
    }
}
