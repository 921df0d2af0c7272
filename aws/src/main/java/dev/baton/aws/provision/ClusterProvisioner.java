package dev.baton.aws.provision;

import dev.baton.aws.provision.UserData.Secrets;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.LoadBalancer;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Builds a cluster on EC2, step by step, making only what is missing: with backups the S3 bucket
 * and the agents' instance role ({@link BucketStep}, {@link RoleStep}), then the security group, the
 * target group (its ARN goes into every agent's configuration, so it comes first), the network
 * load balancer and its listener, the instances, then the target registrations. Everything is
 * found again by tag and name, instances are launched with a client token per member, so a
 * repeated or resumed run makes nothing twice. A failure stops the run with a {@link
 * ProvisionException} whose report says what exists and what was not created.
 *
 * <p>This class plans and runs the steps in order; each resource is one step class ({@link
 * SecurityGroupStep}, {@link TargetGroupStep}, {@link LoadBalancerStep}, {@link InstancesStep},
 * {@link TargetsStep}) that reports what it finds and makes what is missing.
 */
public final class ClusterProvisioner {
    /** Steps shown as [n/STEPS]. */
    static final int STEPS = 10;

    private final Ec2Client ec2;
    private final String region;
    private final Progress progress;
    private final ClusterInventory inventory;
    private final SecurityGroupStep securityGroups;
    private final TargetGroupStep targetGroups;
    private final LoadBalancerStep loadBalancers;
    private final InstancesStep instances;
    private final TargetsStep targets;
    /** Null without S3 and IAM clients (then a spec with backups is refused). */
    private final BucketStep buckets;
    private final RoleStep roles;
    /** Null without an SSM client: then the secrets travel in the user data (the layout before SSM). */
    private final ParameterStore parameters;
    private final PackageStep packages;

    /** As below, with a new CA made now for a cluster without instances yet. */
    public ClusterProvisioner(Ec2Client ec2, ElasticLoadBalancingV2Client elb, String region, Pacing pacing,
                              Supplier<String> passwordSource, Progress progress) {
        this(ec2, elb, region, pacing, passwordSource, name -> UserData.ClusterCa.create(name, java.time.Instant.now()),
                progress);
    }

    /**
     * @param region         the clients' region (it goes into the agents' configuration)
     * @param passwordSource new PostgreSQL and REST API passwords (for a cluster without instances yet)
     * @param caSource       a new CA for the named cluster (for a cluster without instances yet)
     */
    public ClusterProvisioner(Ec2Client ec2, ElasticLoadBalancingV2Client elb, String region, Pacing pacing,
                              Supplier<String> passwordSource, java.util.function.Function<String, UserData.ClusterCa> caSource,
                              Progress progress) {
        this(ec2, elb, null, null, region, pacing, passwordSource, caSource, progress);
    }

    /**
     * With the S3 and IAM clients that a cluster with backups needs (its bucket and instance role).
     *
     * @param s3  S3 client, or null when no spec with backups is provisioned
     * @param iam IAM client, or null likewise
     */
    public ClusterProvisioner(Ec2Client ec2, ElasticLoadBalancingV2Client elb, S3Client s3, IamClient iam,
                              String region, Pacing pacing, Supplier<String> passwordSource,
                              java.util.function.Function<String, UserData.ClusterCa> caSource, Progress progress) {
        this(ec2, elb, s3, iam, null, region, pacing, passwordSource, caSource, progress);
    }

    /**
     * What create-cluster uses: with SSM, no secret goes into the user data. The passwords and the
     * CA's key are SecureString parameters under {@code /baton/NAME/} ({@link ParameterStore});
     * without {@code --baton-url} this build's package goes to the cluster's private bucket
     * ({@link PackageStep}); the instances get a role of the cluster (unless {@code
     * --instance-profile}) that may read just those; without {@code --ami} the image is the
     * current Debian 12 one.
     *
     * @param ssm SSM client, or null for the layout before SSM (secrets in the user data)
     */
    public ClusterProvisioner(Ec2Client ec2, ElasticLoadBalancingV2Client elb, S3Client s3, IamClient iam,
                              software.amazon.awssdk.services.ssm.SsmClient ssm, String region, Pacing pacing,
                              Supplier<String> passwordSource,
                              java.util.function.Function<String, UserData.ClusterCa> caSource, Progress progress) {
        this.buckets = s3 == null ? null : new BucketStep(s3, region, progress);
        this.roles = iam == null ? null : new RoleStep(iam, progress, region, ssm != null);
        this.parameters = ssm == null ? null : new ParameterStore(ssm);
        this.packages = s3 == null ? null : new PackageStep(s3, progress);
        if (ssm != null && (s3 == null || iam == null)) {
            throw new IllegalArgumentException("with SSM, the S3 and IAM clients are needed too");
        }
        this.ec2 = Objects.requireNonNull(ec2, "ec2");
        Objects.requireNonNull(elb, "elb");
        this.region = Objects.requireNonNull(region, "region");
        Objects.requireNonNull(pacing, "pacing");
        Objects.requireNonNull(passwordSource, "passwordSource");
        this.progress = Objects.requireNonNull(progress, "progress");
        this.inventory = new ClusterInventory(ec2, elb);
        this.securityGroups = new SecurityGroupStep(ec2, progress);
        this.targetGroups = new TargetGroupStep(elb, progress);
        this.loadBalancers = new LoadBalancerStep(elb, pacing, progress);
        Objects.requireNonNull(caSource, "caSource");
        this.instances = new InstancesStep(ec2, region, pacing, passwordSource, caSource, progress);
        this.targets = new TargetsStep(elb, progress);
    }

    /** The VPC and the subnets (in the order given) a cluster goes into. */
    public record Network(String vpcId, String vpcCidr, List<Subnet> subnets) {
    }

    /**
     * What exists and what a create would add.
     *
     * @param memberIps the members' addresses with a colocated etcd, else null (AWS assigns them)
     * @param secrets   the passwords and CA of the existing members, or null when there are none
     */
    public record Plan(ClusterSpec spec, Network network, Inventory inventory, ProvisionReport report,
                       List<String> memberIps, Secrets secrets, Set<String> registered, PackageStep.Local pkg) {
    }

    /** The cluster's bucket (Baton's or {@code --bucket}): for the backups or the package; null without either. */
    public static String backupBucket(Plan plan) {
        return plan.spec().backup() || plan.pkg() != null ? BucketStep.bucket(plan.spec(), plan.network().vpcId()) : null;
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
        if (spec.backup() && (buckets == null || roles == null)) {
            throw new IllegalStateException("a cluster with backups needs the S3 and IAM clients");
        }
        boolean ssm = parameters != null;
        if (spec.ami() == null) {
            if (!ssm) {
                throw new InvalidSpecException("--ami: give an image id (the default Debian image is looked up in SSM)");
            }
            spec = spec.withAmi(parameters.debianAmi());
        }
        PackageStep.Local pkg = null;
        if (ssm && spec.uploadsPackage()) {
            if (spec.packageFile() == null) {
                throw new InvalidSpecException("--package: no Baton package to upload; give --package PATH (the .deb "
                        + "of this build) or --baton-url URL");
            }
            pkg = PackageStep.local(spec.packageFile());
        }
        Network net = network(spec);
        List<String> ips = spec.colocateEtcd() ? memberIps(spec, net) : null;
        Inventory inv = inventory.read(spec.name());
        Secrets stored = ssm ? parameters.secrets(spec.name()) : null;
        Secrets secrets = instances.existingSecrets(spec, ips, inv.live(), stored);
        Set<String> registered = targets.registered(inv.targetGroup());
        ProvisionReport report = new ProvisionReport(spec.name());
        String name = Names.resource(spec.name());
        if (spec.backup() || pkg != null) {
            String bucket = BucketStep.bucket(spec, net.vpcId());
            BucketStep.State state = buckets.read(bucket);
            BucketStep.plan(report, spec, bucket, state);
            if (pkg != null) {
                packages.plan(report, bucket, spec.name(), pkg, state == BucketStep.State.EXISTS);
            }
        }
        if (roles != null) {
            roles.plan(report, spec);
        }
        if (ssm) {
            List<String> have = parameters.names(spec.name());
            for (String p : ParameterStore.ALL) {
                String full = ParameterStore.name(spec.name(), p);
                report.put(ParameterStore.KIND, full, have.contains(full) ? full : null,
                        have.contains(full) ? ProvisionReport.Status.EXISTS : ProvisionReport.Status.MISSING,
                        p.equals(ParameterStore.CA_CERT) ? "String" : "SecureString");
            }
        }
        SecurityGroupStep.plan(report, name, inv.securityGroup(net.vpcId()), net.vpcId());
        TargetGroupStep.plan(report, name, inv.targetGroup());
        LoadBalancerStep.plan(report, spec, inv.loadBalancer(), inv.listeners());
        InstancesStep.plan(report, spec, net, inv, ips);
        TargetsStep.plan(report, spec, inv, registered);
        return new Plan(spec, net, inv, report, ips, secrets, registered, pkg);
    }

    /**
     * Creates what is missing of the cluster and waits until the instances run and the load
     * balancer is active. Returns the report of what exists (all of it).
     *
     * @throws InvalidSpecException when the spec cannot be built; nothing was changed
     * @throws SdkException         when what exists cannot be read (no credentials, ...); nothing was changed
     * @throws ProvisionException   when a step fails; its report says what exists and what not
     */
    public ProvisionReport create(ClusterSpec requested) {
        Plan plan = plan(requested);
        ClusterSpec spec = plan.spec();
        ProvisionReport report = plan.report();
        if (!plan.inventory().conflicts().isEmpty()) {
            throw new ProvisionException("checking names", String.join("; ", plan.inventory().conflicts())
                    + " (rename or delete it, or choose another cluster name)", report, null);
        }
        Network net = plan.network();
        progress.step("Cluster " + spec.name() + " in " + region + ": " + spec.instances() + " x " + spec.instanceType()
                + " (" + spec.ami() + ") in " + net.vpcId() + ", " + zones(net) + "; etcd "
                + (spec.colocateEtcd() ? "on the instances" : String.join(",", spec.etcdHosts())));
        String step = "backup bucket";
        try {
            UserData.Backup backup = null;
            String profile = null;
            boolean ssm = parameters != null;
            String bucket = null;
            if (spec.backup() || plan.pkg() != null) {
                bucket = buckets.apply(plan);
                if (spec.backup()) {
                    backup = new UserData.Backup(bucket, region, BackupPolicy.repositoryPath(spec.name()));
                }
            } else {
                step(progress, 1, "backup: off (--no-backup)");
            }
            step = "instance role";
            if (spec.backup() || ssm) {
                profile = roles.apply(plan, bucket, plan.pkg() != null);
            } else {
                step(progress, 2, "instance role: none made (--no-backup)");
            }
            UserData.Package pkg = null;
            if (plan.pkg() != null) {
                step = "package";
                pkg = packages.apply(report, bucket, region, spec.name(), plan.pkg());
            }
            Secrets secrets = instances.secrets(plan);
            if (ssm) {
                step = "parameters";
                secrets = parameters.write(spec.name(), secrets, report);
                progress.step("      secrets: SecureString parameters under " + ParameterStore.prefix(spec.name())
                        + " (none in the user data)");
            }
            step = "security group";
            String sg = securityGroups.apply(plan);
            step = "target group";
            String tg = targetGroups.apply(plan);
            step = "load balancer";
            LoadBalancer lb = loadBalancers.apply(plan);
            step = "listener";
            loadBalancers.listener(plan, lb, tg);
            step = "instances";
            List<Instance> members = instances.apply(plan, sg, tg, backup, profile, secrets,
                    ssm ? ParameterStore.prefix(spec.name()) : null, pkg);
            step = "waiting for the instances";
            members = instances.waitRunning(plan, members);
            step = "targets";
            targets.apply(plan, tg, members);
            step = "waiting for the load balancer";
            loadBalancers.waitActive(plan, lb);
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
            crc.update(spec.name().getBytes(StandardCharsets.UTF_8));
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

    /** Reports step {@code n} of {@link #STEPS}. */
    static void step(Progress progress, int n, String text) {
        progress.step("[" + n + "/" + STEPS + "] " + text);
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
