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
            for (Line l : lines(view)) {
                rows.add(ListCommand.row(scope, view, view.members().get(l.name()), l.shown()));
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

    /** One table row: the member, and its name as shown (indented under its upstream, as patronictl's). */
    record Line(String name, String shown) {
    }

    /** The table's rows in order: each root, then depth first the members streaming from it. */
    static List<Line> lines(ClusterView view) {
        Map<String, List<String>> children = children(view);
        List<Line> lines = new ArrayList<>();
        for (String r : roots(view)) {
            addLines(children, r, 0, lines);
        }
        return lines;
    }

    private static void addLines(Map<String, List<String>> children, String name, int depth, List<Line> lines) {
        lines.add(new Line(name, depth == 0 ? name : "  ".repeat(depth - 1) + "+ " + name));
        for (String c : children.getOrDefault(name, List.of())) {
            addLines(children, c, depth + 1, lines);
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
