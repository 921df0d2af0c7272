package dev.baton.cli.aws;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.aws.provision.ClusterBackups;
import dev.baton.aws.provision.ClusterDeleter;
import dev.baton.aws.provision.ClusterInventory;
import dev.baton.aws.provision.Inventory;
import dev.baton.aws.provision.ParameterStore;
import dev.baton.aws.provision.Progress;
import dev.baton.aws.provision.ProvisionException;
import dev.baton.aws.provision.ProvisionReport;
import dev.baton.cli.BaseCommand;
import dev.baton.cli.ExitException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.core.exception.SdkException;

@Command(name = "delete-cluster", description = {"Delete everything create-cluster made for NAME: the listener, the load",
        "balancer, the target group, the instances (waiting until they are terminated, with their data),",
        "the security group, the instance role and profile with their policies, the SSM parameters under",
        "/baton/NAME/, and Baton's bucket (emptied: the package and the backups) unless --keep-bucket,",
        "after typing the cluster name to confirm. Safe to run again."})
public final class DeleteClusterCommand extends BaseCommand {

    @Mixin
    AwsOptions aws;

    @Parameters(paramLabel = "NAME", description = "The cluster to delete.")
    String name;

    @Option(names = {"-y", "--yes"}, description = "Delete without asking (needed without a terminal).")
    boolean yes;

    @Option(names = "--keep-bucket", description = "Keep Baton's bucket of the cluster, with the backups and the "
            + "package in it (default: it is emptied and deleted).")
    boolean keepBucket;

    @Option(names = "--delete-backups", description = "With --bucket: also delete the backups under /NAME in that "
            + "bucket (Baton's own bucket goes unless --keep-bucket).")
    boolean deleteBackups;

    @Option(names = {"--bucket", "--backup-bucket"}, paramLabel = "BUCKET", description = "The bucket given to "
            + "create-cluster with --bucket: the package Baton put under /NAME/package/ is deleted, the backups "
            + "under /NAME only with --delete-backups; never the bucket.")
    String backupBucket;

    /** True when Baton's own buckets go: unless --keep-bucket (and --delete-backups contradicts it). */
    private boolean dropBuckets() {
        return !keepBucket;
    }

    /** Says which backups stay (on standard error, so that JSON output stays one document). */
    private void keptBackups(java.util.List<String> buckets) {
        if (keepBucket) {
            for (String b : buckets) {
                err().println("baton: bucket " + b + " is kept (--keep-bucket), with the backups in s3://" + b + "/"
                        + name + "/; delete it with: baton aws delete-cluster " + name);
            }
        }
        if (backupBucket != null && !deleteBackups) {
            err().println("baton: the backups in s3://" + backupBucket + "/" + name + "/ are kept; "
                    + "--delete-backups deletes them");
        }
    }

    @Override
    protected int execute() {
        format(aws.format, "text", "json");
        AwsOptions.requireClusterName(name);
        if (keepBucket && deleteBackups && backupBucket == null) {
            throw ExitException.badInput("--keep-bucket and --delete-backups: give only one of them");
        }
        if (!yes) {
            try {
                requireInteractive();
            } catch (ExitException e) {
                throw ExitException.badInput("standard input is not a terminal, so nobody can confirm deleting cluster "
                        + name + ": pass --yes to delete without a confirmation");
            }
        }
        Progress progress = aws.json() ? err()::println : out()::println;
        try (AwsOptions.Session s = aws.open()) {
            Inventory inv = new ClusterInventory(s.ec2(), s.elbv2()).read(name);
            for (String c : inv.conflicts()) {
                err().println("baton: note: " + c + ": left alone");
            }
            ClusterBackups backups = new ClusterBackups(s.s3(), s.iam(), progress);
            java.util.List<String> buckets = backups.buckets(name);
            boolean role = backups.hasRole(name);
            ParameterStore parameters = new ParameterStore(s.ssm());
            java.util.List<String> params = parameters.names(name);
            if (inv.empty() && !role && params.isEmpty() && (!dropBuckets() || buckets.isEmpty())
                    && backupBucket == null) {
                keptBackups(buckets);
                if (aws.json()) {
                    ObjectNode n = Output.json(new ProvisionReport(name), s.region());
                    n.put("ok", true);
                    out().println(n);
                } else {
                    out().println("Nothing is tagged baton:cluster=" + name + " in " + s.region() + ": nothing to delete.");
                }
                return EXIT_OK;
            }
            ProvisionReport plan = ClusterDeleter.plan(inv);
            if (role) {
                plan.put("instance-role", "baton-" + name, null, ProvisionReport.Status.EXISTS, "and its instance profile");
            }
            for (String p : params) {
                plan.put("parameter", p, p, ProvisionReport.Status.EXISTS, "SSM");
            }
            if (dropBuckets()) {
                for (String b : buckets) {
                    plan.put("bucket", b, b, ProvisionReport.Status.EXISTS, "the package and the backups, then the bucket");
                }
            }
            if (backupBucket != null) {
                plan.put("backups", "s3://" + backupBucket + "/" + name + "/" + (deleteBackups ? "" : "package/"), null,
                        ProvisionReport.Status.EXISTS, "the objects under the prefix");
            }
            if (!yes) {
                out().print(Output.resources(" To delete: cluster " + name + " (" + s.region() + ") ", plan.resources()));
                out().println("The instances are terminated with their disks: the databases on them are lost.");
                out().println(dropBuckets() && !buckets.isEmpty()
                        ? "The bucket goes with the backups in it: nothing can be restored (--keep-bucket keeps it)."
                        : "The backups are kept.");
                String typed = ask("Type the cluster name to delete it: ");
                if (typed == null || !typed.strip().equals(name)) {
                    throw ExitException.failed("the name typed does not match \"" + name + "\": nothing was deleted");
                }
            }
            ClusterDeleter deleter = new ClusterDeleter(s.ec2(), s.elbv2(), aws.environment().pacing(), progress,
                    aws.environment().sleeper());
            ProvisionReport report;
            try {
                report = inv.empty() ? new ProvisionReport(name) : deleter.delete(inv);
                backups.deleteRole(name, report);
                if (!params.isEmpty()) {
                    int n = parameters.deleteAll(name, report);
                    progress.step("parameters under " + ParameterStore.prefix(name) + ": " + n + " deleted");
                }
                if (dropBuckets()) {
                    for (String b : buckets) {
                        backups.deleteBackups(b, name, true, report);
                    }
                }
                if (backupBucket != null) {
                    if (deleteBackups) {
                        backups.deleteBackups(backupBucket, name, false, report);
                    } else {
                        backups.deletePackage(backupBucket, name, report);
                    }
                }
            } catch (ProvisionException e) {
                if (aws.json()) {
                    ObjectNode n = Output.json(e.report(), s.region());
                    n.put("ok", false);
                    n.put("failed_step", e.step());
                    n.put("error", e.getMessage());
                    out().println(n);
                } else {
                    out().print(Output.resources(" Cluster " + name + " after the failure ", e.report().resources()));
                }
                throw ExitException.failed("delete-cluster " + name + " failed at step \"" + e.step() + "\": "
                        + e.getMessage().substring(e.step().length() + 2) + "\nbaton: run it again to finish");
            }
            if (aws.json()) {
                ObjectNode n = Output.json(report, s.region());
                n.put("ok", true);
                out().println(n);
            } else {
                out().println("Deleted cluster " + name + ": " + report.with(ProvisionReport.Status.DELETED).size()
                        + " resources.");
            }
            keptBackups(buckets);
            return EXIT_OK;
        } catch (SdkException e) {
            throw AwsOptions.failure("delete-cluster " + name, e);
        }
    }
}
