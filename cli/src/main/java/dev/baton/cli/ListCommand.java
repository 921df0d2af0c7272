package dev.baton.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "list", description = {"Show the members of a cluster: role, state, timeline and lag.",
        "Reads etcd only (never the agents). Shows [paused] and 'Maintenance mode: on' while paused,",
        "a scheduled switchover below the table, and a warning for each value in etcd that cannot be used.",
        "Columns Pending restart, Scheduled restart and Tags appear when a member has one, or always with -e."})
public final class ListCommand extends ShowCommand {

    /** The columns after Lag in MB: those a member has a value in, or all of them (-e). */
    enum Columns { DEFAULT, EXTENDED }

    @Parameters(index = "1..*", paramLabel = "CLUSTER_NAME", description = "More clusters to list (without -c/--scope).")
    List<String> moreClusters = new ArrayList<>();

    @Option(names = {"-e", "--extended"}, description = "Show the Pending restart, Scheduled restart and Tags columns "
            + "even when no member has a value in them.")
    boolean extended;

    @Option(names = {"-t", "--timestamp"}, description = "Print the time (YYYY-MM-DD HH:MM:SS, local) before the table.")
    boolean timestamp;

    @Mixin
    WatchOptions watch;

    /** One row, with Patroni's column names so that scripts written for patronictl keep working. */
    public record Row(String cluster, String member, String host, String role, String state, Integer tl,
                      Object lagInMb, boolean pendingRestart, Map<String, Object> tags, String scheduledRestart) {
        public Row {
            tags = tags == null ? Map.of() : tags;
            scheduledRestart = scheduledRestart == null ? "" : scheduledRestart;
        }

        /** Without a scheduled restart. */
        public Row(String cluster, String member, String host, String role, String state, Integer tl,
                   Object lagInMb, boolean pendingRestart, Map<String, Object> tags) {
            this(cluster, member, host, role, state, tl, lagInMb, pendingRestart, tags, "");
        }
    }

    @Override
    protected String checkedFormat() {
        return format.checkedWithTsv();
    }

    @Override
    protected long watchMillis() {
        return watch.millis();
    }

    @Override
    protected List<String> moreClusterNames() {
        return moreClusters;
    }

    @Override
    protected void beforeEachRefresh() {
        if (timestamp) {
            out().println(timestamp(LocalDateTime.now()));
        }
    }

    /** patronictl's {@code timestamp(0)}: local time to the second. */
    static String timestamp(LocalDateTime t) {
        return t.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss"));
    }

    @Override
    protected void show(String format, String scope, ClusterView view) {
        out().print(render(format, scope, view, extended ? Columns.EXTENDED : Columns.DEFAULT));
    }

    /** The cluster in {@code format} (table, tsv, json or yaml), as patronictl list prints it. */
    static String render(String format, String scope, ClusterView view, Columns columns) {
        List<Row> rows = rows(scope, view);
        return switch (format) {
            case "json" -> json(rows) + "\n";
            case "yaml" -> Formats.yaml(tree(rows));
            case "tsv" -> tsv(rows, columns);
            default -> table(scope, view, rows, columns);
        };
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
        String role = leader ? (view.dynamic().isStandbyCluster() ? "Standby Leader" : "Leader")
                : view.dynamic().synchronousQuorum()
                && view.sync().isQuorumStandby(m.name(), view.leader()) ? "Quorum Standby"
                : view.dynamic().synchronousMode()
                && view.sync().isSyncStandby(m.name(), view.leader()) ? "Sync Standby" : "Replica";
        return new Row(scope, shownName, host(m), role, m.state().wire(),
                m.timeline() > 0 ? m.timeline() : null, lag, m.pendingRestart(), new TreeMap<>(m.tags()),
                m.scheduledRestartText());
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
            if (!r.scheduledRestart().isEmpty()) {
                n.put("Scheduled restart", r.scheduledRestart());
            }
            if (!r.tags().isEmpty()) {
                n.set("Tags", Formats.JSON.valueToTree(r.tags()));
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

    /** The optional columns shown: patronictl's rule (a member has a value in it, or -e). */
    private static List<String> extra(List<Row> rows, Columns columns) {
        List<String> extra = new ArrayList<>();
        boolean all = columns == Columns.EXTENDED;
        if (all || rows.stream().anyMatch(Row::pendingRestart)) {
            extra.add("Pending restart");
        }
        if (all || rows.stream().anyMatch(r -> !r.scheduledRestart().isEmpty())) {
            extra.add("Scheduled restart");
        }
        if (all || rows.stream().anyMatch(r -> !r.tags().isEmpty())) {
            extra.add("Tags");
        }
        return extra;
    }

    private static String[] cells(Row r, List<String> extra, boolean tsv) {
        List<String> c = new ArrayList<>(List.of(r.member(), r.host(), r.role(), r.state(),
                r.tl() == null ? "" : r.tl().toString(), r.lagInMb() == null ? "" : r.lagInMb().toString()));
        for (String e : extra) {
            c.add(switch (e) {
                case "Pending restart" -> r.pendingRestart() ? "*" : "";
                case "Scheduled restart" -> r.scheduledRestart();
                case "Tags" -> tsv ? Formats.flowYaml(r.tags()) : Formats.blockYaml(r.tags());
                default -> "";
            });
        }
        return c.toArray(String[]::new);
    }

    /** patronictl's tsv: a header line with the Cluster column, then one line per member, tab-separated. */
    static String tsv(List<Row> rows, Columns columns) {
        List<String> extra = extra(rows, columns);
        List<String> head = new ArrayList<>(List.of("Cluster", "Member", "Host", "Role", "State", "TL", "Lag in MB"));
        head.addAll(extra);
        StringBuilder sb = new StringBuilder(String.join("\t", head)).append('\n');
        for (Row r : rows) {
            sb.append(r.cluster()).append('\t').append(String.join("\t", cells(r, extra, true))).append('\n');
        }
        return sb.toString();
    }

    static String table(String scope, ClusterView view, List<Row> rows) {
        return table(scope, view, rows, Columns.DEFAULT);
    }

    static String table(String scope, ClusterView view, List<Row> rows, Columns columns) {
        List<String> extra = extra(rows, columns);
        List<String> head = new ArrayList<>(List.of("Member", "Host", "Role", "State", "TL", "Lag in MB"));
        head.addAll(extra);
        List<String[]> cells = new ArrayList<>();
        for (Row r : rows) {
            cells.add(cells(r, extra, false));
        }
        String title = " Cluster: " + scope + (view.initialize() != null && !view.initialize().isEmpty()
                ? " (" + view.initialize() + ")" : "") + (view.dynamic().pause() ? " [paused]" : "") + " ";
        StringBuilder sb = new StringBuilder(Formats.table(title, head.toArray(String[]::new), cells,
                new boolean[] {false, false, false, false, true, true, false, false, false}));
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
