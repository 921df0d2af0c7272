package dev.baton.cli;

import dev.baton.leader.model.HistoryEntry;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.leader.model.ClusterView;
import dev.baton.agent.postgres.Lsn;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "history", description = {"Show the timeline history: TL, LSN, reason, time, new leader.",
        "The history key: for each timeline that ended, where it ended (LSN), why, when, and who became",
        "the leader."})
public final class HistoryCommand extends BaseCommand {

    @Mixin
    ClusterOptions cluster;

    @Option(names = {"-f", "--format"}, defaultValue = "table", paramLabel = "FORMAT",
            description = "table, json or yaml (default: ${DEFAULT-VALUE}). json and yaml use patronictl's field "
                    + "names, with LSN as a number of bytes as patronictl prints it.")
    String format;

    @Override
    protected int execute() {
        format(format, "table", "json", "yaml");
        List<HistoryEntry> history;
        String scope;
        try (ClusterSession s = cluster.connect(err())) {
            scope = s.scope();
            history = s.view().history();
        }
        if (format.equals("table")) {
            List<String[]> cells = new ArrayList<>();
            for (HistoryEntry e : history) {
                cells.add(new String[] {Integer.toString(e.timeline()), Lsn.format(e.lsn()), e.reason(), e.timestamp(),
                        e.newLeader()});
            }
            out().print(Formats.table(" Cluster: " + scope + " ", new String[] {"TL", "LSN", "Reason", "Timestamp",
                    "New Leader"}, cells, new boolean[] {true, true, false, false, false}));
            if (history.isEmpty()) {
                out().println("(no timeline has ended yet)");
            }
        } else {
            ArrayNode a = Formats.JSON.createArrayNode();
            for (HistoryEntry e : history) {
                ObjectNode n = a.addObject();
                n.put("TL", e.timeline());
                n.put("LSN", e.lsn());
                n.put("Reason", e.reason());
                n.put("Timestamp", e.timestamp());
                n.put("New Leader", e.newLeader());
            }
            out().print(Formats.print(a, format));
        }
        return EXIT_OK;
    }
}
