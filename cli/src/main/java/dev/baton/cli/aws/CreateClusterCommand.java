package dev.baton.cli.aws;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.aws.provision.ClusterProvisioner;
import dev.baton.aws.provision.ClusterSpec;
import dev.baton.aws.provision.InvalidSpecException;
import dev.baton.aws.provision.Progress;
import dev.baton.aws.provision.ProvisionException;
import dev.baton.aws.provision.ProvisionReport;
import dev.baton.cli.BaseCommand;
import dev.baton.cli.ExitException;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.core.exception.SdkException;

@Command(name = "create-cluster", sortOptions = false, description = {
        "Create a Baton cluster on EC2: a security group, a target group (TCP 5432, health check HTTPS 8008",
        "/primary), a network load balancer with a TCP 5432 listener, and the instances, which install",
        "PostgreSQL " + ClusterSpec.PG_VERSION + " and Baton on first boot (cloud-init) and start the agent.",
        "First a private, encrypted S3 bucket for the cluster (this build's .deb goes there, and the backups),",
        "the passwords and the CA key as SSM SecureString parameters under /baton/NAME/ (no secret is in",
        "the user data), and an instance role that may read just those; the agents archive WAL and back up.",
        "Waits until the instances run and the load balancer is active. Safe to run again: it finds what",
        "exists (tag baton:cluster=NAME) and creates only what is missing; after a failure it lists what",
        "exists, and a re-run resumes."})
public final class CreateClusterCommand extends BaseCommand {

    @Mixin
    AwsOptions aws;

    @Parameters(paramLabel = "NAME", description = "Cluster name: the agents' scope and the baton:cluster tag "
            + "(lowercase letters, digits and '-', at most 26).")
    String name;

    @Option(names = "--instances", paramLabel = "N", defaultValue = "3",
            description = "Number of instances, one member each (default: ${DEFAULT-VALUE}).")
    int instances;

    @Option(names = "--instance-type", paramLabel = "TYPE", required = true, description = "EC2 instance type, e.g. t3.medium.")
    String instanceType;

    @Option(names = "--ami", paramLabel = "AMI",
            description = "Image id: Debian 12+ or Ubuntu 22.04+ with cloud-init (default: the current Debian 12 "
                    + "image, from the public SSM parameter " + dev.baton.aws.provision.ParameterStore.DEBIAN_AMI_PARAMETER
                    + ").")
    String ami;

    @Option(names = "--subnets", paramLabel = "SUBNET", split = ",", required = true,
            description = "Subnets of one VPC, comma-separated; instances go round-robin over them (one per "
                    + "availability zone spreads the members).")
    List<String> subnets;

    @Option(names = "--key-name", paramLabel = "KEY", description = "EC2 key pair for SSH.")
    String keyName;

    @Option(names = "--etcd", paramLabel = "HOST:PORT", split = ",",
            description = "An existing etcd cluster for the agents (comma-separated).")
    List<String> etcd;

    @Option(names = "--colocate-etcd", description = "Run an etcd member on every instance instead (the number "
            + "of instances must be odd; their addresses are chosen before launch).")
    boolean colocateEtcd;

    @Option(names = "--public", description = "An internet-facing load balancer (default: internal). Needs "
            + "--client-cidr.")
    boolean publicLoadBalancer;

    @Option(names = "--client-cidr", paramLabel = "CIDR", split = ",", description = "Who may connect to "
            + "PostgreSQL through the load balancer (default: the VPC's CIDR).")
    List<String> clientCidrs;

    @Option(names = "--ssh-cidr", paramLabel = "CIDR", split = ",", description = "Allow SSH (port 22) from these.")
    List<String> sshCidrs;

    @Option(names = "--instance-profile", paramLabel = "PROFILE", description = "IAM instance profile (name or ARN) "
            + "the agents use for their load balancer calls (docs/aws.md lists the permissions).")
    String instanceProfile;

    @Option(names = "--baton-url", paramLabel = "URL",
            description = "Where the instances download the Baton jar instead (default: none, the package is "
                    + "uploaded to the cluster's private bucket).")
    String batonUrl;

    @Option(names = "--package", paramLabel = "PATH", description = "The Baton .deb the instances install, "
            + "uploaded to the cluster's bucket and checked by SHA-256 (default: the baton_VERSION_all.deb built "
            + "next to this baton).")
    String packageFile;

    @Option(names = "--baton-sha256", paramLabel = "HEX", description = "The jar's SHA-256; the instances check it.")
    String batonSha256;

    @Option(names = "--ip-offset", paramLabel = "N", description = "With --colocate-etcd: the members' first address "
            + "in each subnet, counted from its first usable one (default: derived from NAME).")
    Integer ipOffset;

    @Option(names = "--no-backup", description = "No WAL archiving or scheduled backups (default: on, to an S3 "
            + "bucket Baton makes private and encrypted, or --backup-bucket).")
    boolean noBackup;

    @Option(names = {"--bucket", "--backup-bucket"}, paramLabel = "BUCKET", description = "An existing S3 bucket "
            + "for the package and the backups (under /NAME) instead of one Baton makes; Baton does not change it.")
    String backupBucket;

    @Option(names = "--dry-run", description = "Show what exists and what would be created; change nothing.")
    boolean dryRun;

    ClusterSpec spec() {
        return ClusterSpec.builder(name).instances(instances).instanceType(instanceType).ami(ami).subnets(subnets)
                .keyName(keyName).etcdHosts(etcd).colocateEtcd(colocateEtcd).publicLoadBalancer(publicLoadBalancer)
                .clientCidrs(clientCidrs).sshCidrs(sshCidrs).instanceProfile(instanceProfile).batonUrl(batonUrl)
                .batonSha256(batonSha256).ipOffset(ipOffset).backup(!noBackup).backupBucket(backupBucket)
                .packageFile(packageFile).build();
    }

    /** The package to upload: --package, else this build's .deb near the running jar; exit 2 when none. */
    private String packageFile() {
        if (packageFile != null || batonUrl != null) {
            return packageFile;
        }
        java.nio.file.Path start = PackageLocator.running().orElse(null);
        java.util.Optional<java.nio.file.Path> found = start == null ? java.util.Optional.empty()
                : PackageLocator.find(start);
        if (found.isEmpty()) {
            throw ExitException.badInput("--package: no Baton .deb (baton_VERSION_all.deb) found near this baton"
                    + (start == null ? "" : " (looked in " + PackageLocator.describe(start) + ")")
                    + "; build it with 'mvn -DskipTests package', or give --package PATH or --baton-url URL");
        }
        return found.get().toString();
    }

    @Override
    protected int execute() {
        format(aws.format, "text", "json");
        ClusterSpec spec = spec();
        List<String> early = spec.validate();
        if (early.isEmpty()) {
            packageFile = packageFile();
            spec = spec();
        }
        List<String> problems = spec.validate();
        if (!problems.isEmpty()) {
            throw ExitException.badInput(String.join("\nbaton: ", problems));
        }
        // In JSON mode stdout carries the one JSON document; progress goes to stderr.
        Progress progress = aws.json() ? err()::println : out()::println;
        String region = null;
        try (AwsOptions.Session s = aws.open()) {
            region = s.region();
            ClusterProvisioner p = new ClusterProvisioner(s.ec2(), s.elbv2(), s.s3(), s.iam(), s.ssm(), s.region(),
                    aws.environment().pacing(), aws.environment().passwords(),
                    n -> dev.baton.aws.provision.UserData.ClusterCa.create(n, java.time.Instant.now()), progress);
            if (dryRun) {
                ProvisionReport plan = p.plan(spec).report();
                if (aws.json()) {
                    ObjectNode n = Output.json(plan, s.region());
                    n.put("dry_run", true);
                    out().println(n);
                } else {
                    out().print(Output.resources(" Cluster " + spec.name() + " (" + s.region() + "): dry run ",
                            plan.resources()));
                    out().println(plan.missing().isEmpty() ? "Nothing to create."
                            : plan.missing().size() + " to create; nothing was changed (--dry-run).");
                }
                return EXIT_OK;
            }
            ProvisionReport report = p.create(spec);
            if (aws.json()) {
                ObjectNode n = Output.json(report, s.region());
                n.put("ok", true);
                out().println(n);
            } else {
                out().print(Output.resources(" Cluster " + spec.name() + " (" + s.region() + ") ", report.resources()));
                long created = report.with(ProvisionReport.Status.CREATED).size();
                out().println(created == 0 ? "Nothing to create: everything existed." : "Created " + created + ", "
                        + report.with(ProvisionReport.Status.EXISTS).size() + " existed.");
                out().println("Connect to PostgreSQL at " + report.endpoint() + " (the primary, once the agents run).");
                out().println("On first boot each instance installs PostgreSQL " + ClusterSpec.PG_VERSION
                        + " and Baton, which takes a few minutes;");
                out().println("follow it with: baton aws describe " + spec.name()
                        + (aws.region != null ? " --region " + aws.region : ""));
                out().println("TLS and authentication are on: HTTPS REST API with client certificates and Basic auth, "
                        + "PostgreSQL ssl=on, etcd over TLS (docs/security.md).");
                out().println("The passwords and the CA key are SecureString parameters under /baton/" + spec.name()
                        + "/ in SSM Parameter Store (read at first boot with the instance role; none is in the user "
                        + "data, nor shown here).");
                out().println(spec.backup() ? "Backups: WAL archived continuously and a full backup weekly, a "
                        + "differential daily, to s3://" + report.resources().stream()
                        .filter(r -> r.kind().equals("bucket")).map(ProvisionReport.Resource::name).findFirst().orElse("?")
                        + "/" + spec.name() + "/ (docs/backup.md). delete-cluster deletes them unless --keep-bucket."
                        : "Backups: off (--no-backup).");
            }
            return EXIT_OK;
        } catch (InvalidSpecException e) {
            throw ExitException.badInput(String.join("\nbaton: ", e.problems()));
        } catch (ProvisionException e) {
            failed(spec, region, e);
            throw ExitException.failed("create-cluster " + spec.name() + " failed at step \"" + e.step() + "\": "
                    + e.getMessage().substring(e.step().length() + 2)
                    + "\nbaton: run the same command again to resume, or 'baton aws delete-cluster " + spec.name()
                    + "' to remove what exists");
        } catch (SdkException e) {
            throw AwsOptions.failure("create-cluster " + spec.name(), e);
        }
    }

    private void failed(ClusterSpec spec, String region, ProvisionException e) {
        ProvisionReport r = e.report();
        if (aws.json()) {
            ObjectNode n = Output.json(r, region);
            n.put("ok", false);
            n.put("failed_step", e.step());
            n.put("error", e.getMessage());
            out().println(n);
            return;
        }
        List<ProvisionReport.Resource> present = r.present();
        List<ProvisionReport.Resource> missing = r.missing();
        out().print(present.isEmpty() ? "Nothing of cluster " + spec.name() + " exists.\n"
                : Output.resources(" Exists now (tagged baton:cluster=" + spec.name() + ") ", present));
        if (!missing.isEmpty()) {
            out().print(Output.resources(" Not created ", missing));
        }
        out().flush();
    }
}
