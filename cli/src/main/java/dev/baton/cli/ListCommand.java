package dev.baton.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "list", description = {"Show the members of a cluster: role, state, timeline and lag.",
        "Reads etcd only (never the agents). Shows [paused] and 'Maintenance mode: on' while paused,",
        "a scheduled switchover below the table, and a warning for each value in etcd that cannot be used."})
public final class ListCommand extends ShowCommand {

    /** One row, with Patroni's column names so that scripts written for patronictl keep working. */
    public record Row(String cluster, String member, String host, String role, String state, Integer tl,
                      Object lagInMb, boolean pendingRestart) {
    }

    @Override
    protected void show(String format, String scope, ClusterView view) {
        List<Row> rows = rows(scope, view);
        switch (format) {
            case "json" -> out().println(json(rows));
            case "yaml" -> out().print(Formats.yaml(tree(rows)));
            default -> out().print(table(scope, view, rows));
        }
    }

    static List<Row> rows(String scope, ClusterView view) {
        List<Row> rows = new ArrayList<>();
        for (MemberStatus m : view.members().values()) {
            rows.add(row(scope, view, m, m.name()));
        }
        return rows;
    }

    /** The row of member {@code m}, shown as {@code shownName} (topology indents it). */
    static Row row(String scope, ClusterView view, MemberStatus m, String shownName) {
        boolean leader = m.name().equals(view.leader());
        Object lag = null;
        if (!leader) {
            lag = view.lastLeaderLsn() > 0 && m.xlogLocation() > 0
                    ? Math.round(Math.max(0, view.lastLeaderLsn() - m.xlogLocation()) / 1048576.0) : "unknown";
        }
        String role = leader ? "Leader" : view.dynamic().synchronousMode()
                && view.sync().isSyncStandby(m.name(), view.leader()) ? "Sync Standby" : "Replica";
        return new Row(scope, shownName, host(m), role, m.state().wire(),
                m.timeline() > 0 ? m.timeline() : null, lag, m.pendingRestart());
    }

    static String host(MemberStatus m) {
        return m.host() == null ? "" : m.host() + (m.port() == 5432 ? "" : ":" + m.port());
    }

    static ArrayNode tree(List<Row> rows) {
        ArrayNode a = Formats.JSON.createArrayNode();
        for (Row r : rows) {
            ObjectNode n = a.addObject();
            n.put("Cluster", r.cluster());
            n.put("Member", r.member());
            putColumns(n, r);
            if (r.pendingRestart()) {
                n.put("Pending restart", "*");
            }
        }
        return a;
    }

    /** patronictl's columns of a row as JSON: Host, Role, State, TL and Lag in MB (a number or "unknown"). */
    static void putColumns(ObjectNode n, Row r) {
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

    static String json(List<Row> rows) {
        return tree(rows).toString();
    }

    static String table(String scope, ClusterView view, List<Row> rows) {
        boolean pending = rows.stream().anyMatch(Row::pendingRestart);
        String[] head = pending
                ? new String[] {"Member", "Host", "Role", "State", "TL", "Lag in MB", "Pending restart"}
                : new String[] {"Member", "Host", "Role", "State", "TL", "Lag in MB"};
        List<String[]> cells = new ArrayList<>();
        for (Row r : rows) {
            String[] c = {r.member(), r.host(), r.role(), r.state(), r.tl() == null ? "" : r.tl().toString(),
                    r.lagInMb() == null ? "" : r.lagInMb().toString(), r.pendingRestart() ? "*" : ""};
            cells.add(pending ? c : java.util.Arrays.copyOf(c, 6));
        }
        String title = " Cluster: " + scope + (view.initialize() != null && !view.initialize().isEmpty()
                ? " (" + view.initialize() + ")" : "") + (view.dynamic().pause() ? " [paused]" : "") + " ";
        StringBuilder sb = new StringBuilder(Formats.table(title, head, cells,
                new boolean[] {false, false, false, false, true, true, false}));
        if (rows.isEmpty()) {
            sb.append("(no members)\n");
        }
        sb.append(footer(view));
        return sb.toString();
    }

    /**
     * What patronictl prints below its table: maintenance mode and a scheduled switchover; then
     * Baton's warnings about values in etcd it cannot use (the agents keep the last good value).
     */
    static String footer(ClusterView view) {
        StringBuilder sb = new StringBuilder();
        for (String p : view.configProblems()) {
            sb.append("Warning: ").append(p).append('\n');
        }
        for (String p : view.keyProblems()) {
            sb.append("Warning: ").append(p).append('\n');
        }
        if (view.dynamic().pause()) {
            sb.append("Maintenance mode: on\n");
        }
        view.failover().ifPresent(f -> {
            if (f.scheduledAt() != null) {
                sb.append(" Switchover scheduled at: ")
                        .append(f.scheduledAt().atZoneSameInstant(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME))
                        .append('\n');
                if (f.leader() != null) {
                    sb.append("                    from: ").append(f.leader()).append('\n');
                }
                sb.append("                      to: ").append(f.candidate() == null ? "(best candidate)" : f.candidate())
                        .append('\n');
            }
        });
        return sb.toString();
    }
}
