package dev.baton.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demote-cluster", description = {"Demote a cluster to a standby cluster of a remote primary.",
        "Sets standby_cluster in the config key; the primary restarts as the standby leader following the",
        "remote host and its members keep following it. Waits until the leader is the standby leader.",
        "At least --host, --port or --restore-command is required (exit 2 otherwise)."})
public final class DemoteClusterCommand extends ClusterRoleChange {

    @Option(names = "--host", paramLabel = "HOST", description = "Address of the remote primary.")
    String host;

    @Option(names = "--port", paramLabel = "PORT", description = "Port of the remote primary (default 5432).")
    Integer port;

    @Option(names = "--restore-command", paramLabel = "COMMAND",
            description = "Command to restore WAL records from the remote primary's archive.")
    String restoreCommand;

    @Option(names = "--primary-slot-name", paramLabel = "NAME",
            description = "Name of the slot on the remote primary to use for replication.")
    String primarySlotName;

    @Override
    void checkOptions() {
        if (empty(host) && port == null && empty(restoreCommand)) {
            throw ExitException.badInput("at least --host, --port or --restore-command should be specified");
        }
    }

    /** As patronictl: only the options given (port alone keeps Patroni's meaning: the host must come too). */
    @Override
    ObjectNode standbyCluster() {
        ObjectNode s = Formats.JSON.createObjectNode();
        if (!empty(host)) {
            s.put("host", host);
        }
        if (port != null) {
            s.put("port", port);
        }
        if (!empty(primarySlotName)) {
            s.put("primary_slot_name", primarySlotName);
        }
        if (!empty(restoreCommand)) {
            s.put("restore_command", restoreCommand);
        }
        return s;
    }

    private static boolean empty(String s) {
        return s == null || s.isEmpty();
    }
}
