package dev.baton.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;

@Command(name = "promote-cluster", description = {"Promote a standby cluster: make it run standalone.",
        "Removes standby_cluster from the config key; the standby leader promotes and its members follow it.",
        "Waits until the leader runs as the primary. Refused (exit 1) when the cluster has no leader or is",
        "already a primary cluster."})
public final class PromoteClusterCommand extends ClusterRoleChange {
    @Override
    ObjectNode standbyCluster() {
        return null;
    }
}
