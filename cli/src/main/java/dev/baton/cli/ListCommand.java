package dev.baton.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.agent.ha.ClusterView;
import dev.baton.agent.ha.MemberStatus;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.StoreUnavailableException;
import dev.baton.leader.etcd.EtcdClusterStore;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "list", description = "Show the members of a cluster: role, state, timeline and lag.")
public final class ListCommand extends BaseCommand {

    @Mixin
    ClusterOptions cluster;

    @Option(names = {"-f", "--format"}, defaultValue = "table", paramLabel = "FORMAT",
            description = "table or json (default: ${DEFAULT-VALUE}).")
    String format;

    /** One row, with Patroni's column names so that scripts written for patronictl keep working. */
    public record Row(String cluster, String member, String host, String role, String state, Integer tl,
                      Object lagInMb) {
    }

    @Override
    protected int execute() {
        if (!format.equals("table") && !format.equals("json")) {
            throw ExitException.badInput("--format: must be table or json, got \"" + format + "\"");
        }
        ClusterOptions.Target t = cluster.resolve(err());
        ClusterView view;
        try (EtcdClusterStore store = cluster.open(t)) {
            view = ClusterView.of(store.read(), DynamicConfig.defaults());
        } catch (StoreUnavailableException e) {
            throw ExitException.failed("cannot read cluster " + t.layout().scope() + " from etcd " + t.endpoints()
                    + ": " + e.getMessage());
        }
        List<Row> rows = rows(t.layout().scope(), view);
        if (format.equals("json")) {
            out().println(json(rows));
        } else {
            out().print(table(t.layout().scope(), view, rows));
        }
        return EXIT_OK;
    }

    static List<Row> rows(String scope, ClusterView view) {
        List<Row> rows = new ArrayList<>();
        for (MemberStatus m : view.members().values()) {
            boolean leader = m.name().equals(view.leader());
            Object lag = null;
            if (!leader) {
                lag = view.lastLeaderLsn() > 0 && m.xlogLocation() > 0
                        ? Math.round(Math.max(0, view.lastLeaderLsn() - m.xlogLocation()) / 1048576.0) : "unknown";
            }
            String host = m.host() == null ? "" : m.host() + (m.port() == 5432 ? "" : ":" + m.port());
            rows.add(new Row(scope, m.name(), host, leader ? "Leader" : "Replica", m.state(),
                    m.timeline() > 0 ? m.timeline() : null, lag));
        }
        return rows;
    }

    static String json(List<Row> rows) {
        ObjectMapper json = new ObjectMapper();
        ArrayNode a = json.createArrayNode();
        for (Row r : rows) {
            ObjectNode n = a.addObject();
            n.put("Cluster", r.cluster());
            n.put("Member", r.member());
            n.put("Host", r.host());
            n.put("Role", r.role());
            n.put("State", r.state());
            if (r.tl() != null) {
                n.put("TL", r.tl());
            }
            if (r.lagInMb() instanceof Number num) {
                n.put("Lag in MB", num.longValue());
            } else if (r.lagInMb() != null) {
                n.put("Lag in MB", r.lagInMb().toString());
            }
        }
        return a.toString();
    }

    static String table(String scope, ClusterView view, List<Row> rows) {
        String[] head = {"Member", "Host", "Role", "State", "TL", "Lag in MB"};
        List<String[]> cells = new ArrayList<>();
        for (Row r : rows) {
            cells.add(new String[] {r.member(), r.host(), r.role(), r.state(), r.tl() == null ? "" : r.tl().toString(),
                    r.lagInMb() == null ? "" : r.lagInMb().toString()});
        }
        int[] w = new int[head.length];
        for (int i = 0; i < head.length; i++) {
            w[i] = head[i].length();
            for (String[] c : cells) {
                w[i] = Math.max(w[i], c[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        String title = " Cluster: " + scope + (view.initialize() != null && !view.initialize().isEmpty()
                ? " (" + view.initialize() + ")" : "") + (view.dynamic().pause() ? " [paused]" : "") + " ";
        sb.append(rule(w, '+', title)).append('\n');
        sb.append(line(w, head)).append('\n');
        sb.append(rule(w, '+', null)).append('\n');
        for (String[] c : cells) {
            sb.append(line(w, c)).append('\n');
        }
        sb.append(rule(w, '+', null)).append('\n');
        if (rows.isEmpty()) {
            sb.append("(no members)\n");
        }
        return sb.toString();
    }

    private static String rule(int[] w, char corner, String title) {
        StringBuilder sb = new StringBuilder().append(corner);
        for (int x : w) {
            sb.append("-".repeat(x + 2)).append(corner);
        }
        if (title != null && title.length() + 2 < sb.length()) {
            sb.replace(2, 2 + title.length(), title);
        }
        return sb.toString();
    }

    private static String line(int[] w, String[] c) {
        StringBuilder sb = new StringBuilder("|");
        for (int i = 0; i < w.length; i++) {
            sb.append(' ').append(c[i]).append(" ".repeat(w[i] - c[i].length())).append(" |");
        }
        return sb.toString();
    }
}
