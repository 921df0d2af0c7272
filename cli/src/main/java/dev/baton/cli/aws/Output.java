package dev.baton.cli.aws;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.aws.provision.ProvisionReport;
import java.util.List;

/** Tables and JSON for the aws commands (the same table layout as {@code baton list}). */
final class Output {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Records as JSON objects, their components named in snake_case ({@code instanceId} as {@code instance_id}). */
    static final ObjectMapper SNAKE_CASE = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();

    private Output() {
    }

    /** A table: a rule with {@code title} in it, the header, a rule, the rows, a rule. */
    static String table(String title, String[] head, List<String[]> rows) {
        int[] w = new int[head.length];
        for (int i = 0; i < head.length; i++) {
            w[i] = head[i].length();
            for (String[] r : rows) {
                w[i] = Math.max(w[i], r[i] == null ? 0 : r[i].length());
            }
        }
        StringBuilder rule = new StringBuilder("+");
        for (int x : w) {
            rule.append("-".repeat(x + 2)).append('+');
        }
        StringBuilder top = new StringBuilder(rule);
        if (title != null && title.length() + 2 < top.length()) {
            top.replace(2, 2 + title.length(), title);
        } else if (title != null) {
            top = new StringBuilder("+-" + title + "-+");
        }
        StringBuilder sb = new StringBuilder();
        sb.append(top).append('\n').append(line(w, head)).append('\n').append(rule).append('\n');
        for (String[] r : rows) {
            sb.append(line(w, r)).append('\n');
        }
        sb.append(rule).append('\n');
        return sb.toString();
    }

    private static String line(int[] w, String[] cells) {
        StringBuilder sb = new StringBuilder("|");
        for (int i = 0; i < w.length; i++) {
            String c = cells[i] == null ? "" : cells[i];
            sb.append(' ').append(c).append(" ".repeat(w[i] - c.length())).append(" |");
        }
        return sb.toString();
    }

    /** The resources of a report as a table. */
    static String resources(String title, List<ProvisionReport.Resource> resources) {
        String[] head = {"Kind", "Name", "Id", "Status", "Detail"};
        List<String[]> rows = resources.stream().map(r -> new String[] {r.kind(), r.name(),
                r.id() == null ? "-" : r.id(), r.status().toString(), r.detail()}).toList();
        return table(title, head, rows);
    }

    /** A report as JSON: cluster, region, endpoint and every resource. */
    static ObjectNode json(ProvisionReport report, String region) {
        ObjectNode n = JSON.createObjectNode();
        n.put("cluster", report.cluster());
        n.put("region", region);
        if (report.endpoint() != null) {
            n.put("endpoint", report.endpoint());
        }
        ArrayNode a = n.putArray("resources");
        for (ProvisionReport.Resource r : report.resources()) {
            ObjectNode o = a.addObject();
            o.put("kind", r.kind());
            o.put("name", r.name());
            if (r.id() == null) {
                o.putNull("id");
            } else {
                o.put("id", r.id());
            }
            o.put("status", r.status().name().toLowerCase(java.util.Locale.ROOT));
            o.put("detail", r.detail());
        }
        return n;
    }
}
