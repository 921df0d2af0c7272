package dev.baton.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.agent.ha.Cascade;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "topology", description = {"Show who streams from whom, with lag.",
        "The leader, and under it the members that replicate from it (cascaded ones under their replicatefrom member),",
        "with their lag in MB. Reads etcd only."})
public final class TopologyCommand extends ShowCommand {

    @Parameters(index = "1..*", paramLabel = "CLUSTER_NAME", description = "More clusters to show (without -c/--scope).")
    List<String> moreClusters = new ArrayList<>();

    @Mixin
    WatchOptions watch;

    @Override
    protected long watchMillis() {
        return watch.millis();
    }

    @Override
    protected List<String> moreClusterNames() {
        return moreClusters;
    }

    @Override
    protected void show(String format, String scope, ClusterView view) {
        Map<String, List<String>> children = children(view);
        List<String> roots = roots(view);
        if (format.equals("table")) {
            List<ListCommand.Row> rows = new ArrayList<>();
            for (String r : roots) {
                addRows(scope, view, children, r, 0, rows);
            }
            out().print(ListCommand.table(scope, view, rows));
        } else {
            ArrayNode a = Formats.JSON.createArrayNode();
            for (String r : roots) {
                a.add(node(view, children, r));
            }
            out().print(Formats.print(a, format));
        }
    }

    /**
     * Whom each member streams from, as its agent decides it ({@link Cascade}): the leader, or its
     * {@code replicatefrom} member while that one runs as a replica whose chain reaches the leader
     * (patronictl's tree of cascading replicas). Without a leader only cascaded members hang
     * under another; everyone else is a root.
     */
    static Map<String, List<String>> children(ClusterView view) {
        Map<String, List<String>> children = new LinkedHashMap<>();
        for (MemberStatus m : view.members().values()) {
            String upstream = upstream(view, m);
            if (upstream != null) {
                children.computeIfAbsent(upstream, k -> new ArrayList<>()).add(m.name());
            }
        }
        return children;
    }

    static List<String> roots(ClusterView view) {
        List<String> roots = new ArrayList<>();
        if (view.leader() != null && view.members().containsKey(view.leader())) {
            roots.add(view.leader());
        }
        for (MemberStatus m : view.members().values()) {
            if (upstream(view, m) == null && !roots.contains(m.name())) {
                roots.add(m.name());
            }
        }
        return roots;
    }

    private static String upstream(ClusterView view, MemberStatus m) {
        if (m.name().equals(view.leader())) {
            return null;
        }
        String upstream = Cascade.upstreamOf(m, view).name();
        return upstream == null || upstream.equals(m.name()) ? null : upstream;
    }

    private static void addRows(String scope, ClusterView view, Map<String, List<String>> children, String name,
                                int depth, List<ListCommand.Row> rows) {
        String shown = depth == 0 ? name : "  ".repeat(depth - 1) + "+ " + name;
        rows.add(ListCommand.row(scope, view, view.members().get(name), shown));
        for (String c : children.getOrDefault(name, List.of())) {
            addRows(scope, view, children, c, depth + 1, rows);
        }
    }

    private static ObjectNode node(ClusterView view, Map<String, List<String>> children, String name) {
        MemberStatus m = view.members().get(name);
        ListCommand.Row r = ListCommand.row(null, view, m, name);
        ObjectNode n = Formats.JSON.createObjectNode();
        n.put("Member", name);
        ListCommand.putColumns(n, r);
        List<String> kids = children.getOrDefault(name, List.of());
        if (!kids.isEmpty()) {
            ArrayNode a = n.putArray("Replicas");
            for (String k : kids) {
                a.add(node(view, children, k));
            }
        }
        return n;
    }
}
