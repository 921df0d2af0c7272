package dev.baton.cli;

import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.ClusterSnapshot;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "remove", description = {"Delete every key of a cluster from etcd, after typing its name to confirm.",
        "CLUSTER_NAME is required: it must be the scope of -c or --scope (or, without them, is the scope).",
        "Deletes leader, members, config, initialize, history, status, failover and sync. PostgreSQL data",
        "directories are not touched. Refused while a member is running, unless --force."})
public final class RemoveCommand extends BaseCommand {

    @Mixin
    ClusterOptions cluster;

    @Mixin
    TableFormat format;

    @Option(names = "--force", description = "Remove even while members are running, and without the typed "
            + "confirmation.")
    boolean force;

    @Override
    protected int execute() {
        String name = cluster.clusterName;
        if (name == null) {
            throw ExitException.badInput("remove: give the name of the cluster to remove (baton remove CLUSTER_NAME), "
                    + "as a check that it is the one -c or --scope names");
        }
        String f = format.checked();
        if (!force) {
            requireInteractive();
        }
        try (ClusterSession s = cluster.connect(err())) {
            ClusterSnapshot snap = s.snapshot();
            ClusterView view = ClusterView.of(snap, dev.baton.config.DynamicConfig.defaults());
            if (empty(snap)) {
                throw ExitException.failed("cluster " + name + " has no keys under " + s.target().layout().prefix()
                        + " in etcd: nothing to remove");
            }
            List<String> running = view.members().values().stream().filter(MemberStatus::isRunning)
                    .map(MemberStatus::name).toList();
            if (!running.isEmpty() && !force) {
                throw ExitException.failed("members of cluster " + name + " are still running: "
                        + String.join(", ", running) + "; stop their agents first (or pass --force to remove the "
                        + "keys under running agents)");
            }
            out().print(ListCommand.render(f, name, view, ListCommand.Columns.DEFAULT));
            if (!force) {
                out().println("You are about to remove all information in etcd for cluster " + name + " ("
                        + s.target().layout().prefix() + "*).");
                String typed = ask("Please confirm the cluster name to remove: ");
                if (typed == null || !typed.strip().equals(name)) {
                    throw ExitException.failed("the name typed does not match \"" + name + "\": nothing was removed");
                }
            }
            s.call("delete the keys of cluster " + name, () -> {
                s.store().deleteCluster();
                return null;
            });
            out().println("Removed every key of cluster " + name + " (" + s.target().layout().prefix() + "*).");
            return EXIT_OK;
        }
    }

    private static boolean empty(ClusterSnapshot s) {
        return s.initialize() == null && s.config() == null && s.leader() == null && s.members().isEmpty()
                && s.failover() == null && s.sync() == null && s.history() == null && s.status() == null;
    }
}
