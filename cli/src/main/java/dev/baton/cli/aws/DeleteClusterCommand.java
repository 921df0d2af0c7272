package dev.baton.cli.aws;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.aws.provision.ClusterBackups;
import dev.baton.aws.provision.ClusterDeleter;
import dev.baton.aws.provision.ClusterInventory;
import dev.baton.aws.provision.Inventory;
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

@Command(name = "delete-cluster", description = {"Delete everything tagged baton:cluster=NAME: the listener, the load",
        "balancer, the target group, the instances (waiting until they are terminated, with their data),",
        "the security group and the instance role, after typing the cluster name to confirm. The backups",
        "(the S3 bucket) are kept unless --delete-backups. Safe to run again."})
public final class DeleteClusterCommand extends BaseCommand {

    @Mixin
    AwsOptions aws;

    @Parameters(paramLabel = "NAME", description = "The cluster to delete.")
    String name;

    @Option(names = {"-y", "--yes"}, description = "Delete without asking (needed without a terminal).")
    boolean yes;

    @Option(names = "--delete-backups", description = "Also delete the backups: the objects under /NAME and "
            + "Baton's bucket (default: the backups are kept).")
    boolean deleteBackups;

    @Option(names = "--backup-bucket", paramLabel = "BUCKET", description = "The bucket given to create-cluster "
            + "with --backup-bucket: with --delete-backups its /NAME prefix is deleted (never the bucket).")
    String backupBucket;

    /** Says which backups stay (on standard error, so that JSON output stays one document). */
    private void keptBackups(java.util.List<String> buckets) {
        for (String b : buckets) {
            err().println("baton: the backups in s3://" + b + "/" + name + "/ are kept (bucket " + b + "); "
                    + "delete them with: baton aws delete-cluster " + name + " --delete-backups");
        }
        if (backupBucket != null) {
            err().println("baton: the backups in s3://" + backupBucket + "/" + name + "/ are kept; "
                    + "--delete-backups deletes them");
        }
    }

    @Override
    protected int execute() {
        format(aws.format, "text", "json");
        AwsOptions.requireClusterName(name);
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
            if (inv.empty() && !role && (!deleteBackups || (buckets.isEmpty() && backupBucket == null))) {
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
            if (deleteBackups) {
                for (String b : buckets) {
                    plan.put("bucket", b, b, ProvisionReport.Status.EXISTS, "the backups, then the bucket");
                }
                if (backupBucket != null) {
                    plan.put("backups", "s3://" + backupBucket + "/" + name + "/", null, ProvisionReport.Status.EXISTS,
                            "the objects under the prefix");
                }
            }
            if (!yes) {
                out().print(Output.resources(" To delete: cluster " + name + " (" + s.region() + ") ", plan.resources()));
                out().println("The instances are terminated with their disks: the databases on them are lost.");
                out().println(deleteBackups ? "--delete-backups: the backups are deleted too; nothing can be restored."
                        : "The backups are kept (--delete-backups deletes them).");
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
                if (deleteBackups) {
                    for (String b : buckets) {
                        backups.deleteBackups(b, name, true, report);
                    }
                    if (backupBucket != null) {
                        backups.deleteBackups(backupBucket, name, false, report);
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
            if (!deleteBackups) {
                keptBackups(buckets);
            }
            return EXIT_OK;
        } catch (SdkException e) {
            throw AwsOptions.failure("delete-cluster " + name, e);
        }
    }
}
