package dev.baton.cli;

import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.HistoryEntry;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.agent.postgres.Lsn;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "history", description = {"Show the timeline history: TL, LSN, reason, time, new leader.",
        "The history key: for each timeline that ended, where it ended (LSN), why, when, and who became",
        "the leader. json and yaml use patronictl's field names, with LSN as a number of bytes as",
        "patronictl prints it."})
public final class HistoryCommand extends ShowCommand {

    @Override
    protected String checkedFormat() {
        return format.checkedWithTsv();
    }

    @Override
    protected void show(String format, String scope, ClusterView view) {
        List<HistoryEntry> history = view.history();
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
        } else if (format.equals("tsv")) {
            StringBuilder sb = new StringBuilder("TL\tLSN\tReason\tTimestamp\tNew Leader\n");
            for (HistoryEntry e : history) {
                sb.append(e.timeline()).append('\t').append(e.lsn()).append('\t').append(nz(e.reason())).append('\t')
                        .append(nz(e.timestamp())).append('\t').append(nz(e.newLeader())).append('\n');
            }
            out().print(sb);
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
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
