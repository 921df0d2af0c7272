package dev.baton.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.UncheckedIOException;
import java.util.List;

/** JSON and YAML output, and the table layout every data command shares. */
final class Formats {
    static final ObjectMapper JSON = new ObjectMapper();

    /** The YAML mapper, built on first use: SnakeYAML is not loaded by commands that print no YAML. */
    static YAMLMapper yamlMapper() {
        return Yaml.MAPPER;
    }

    private static final class Yaml {
        static final YAMLMapper MAPPER = new YAMLMapper(YAMLFactory.builder()
                .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                .disable(YAMLGenerator.Feature.SPLIT_LINES)
                .build());
    }

    private Formats() {
    }

    static String json(JsonNode n) {
        return n.toString();
    }

    /** Block-style YAML, keys in their order, no document marker; ends with a line end. */
    static String yaml(JsonNode n) {
        try {
            String s = yamlMapper().writeValueAsString(n);
            if (n.isContainerNode() && n.isEmpty()) {
                return n.isArray() ? "[]\n" : "{}\n";
            }
            return s.endsWith("\n") ? s : s + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Prints {@code n} as json (one line) or yaml. */
    static String print(JsonNode n, String format) {
        return format.equals("yaml") ? yaml(n) : json(n) + "\n";
    }

    /**
     * A patronictl-style table: a rule with {@code title} in it, the header, a rule, the rows, a
     * rule. Numbers are right-aligned when {@code rightAligned[i]}. A cell may hold several lines
     * (list's Tags): then, as in patronictl, a rule separates every two rows.
     */
    static String table(String title, String[] head, List<String[]> cells, boolean[] rightAligned) {
        int[] w = new int[head.length];
        boolean multiLine = false;
        for (int i = 0; i < head.length; i++) {
            w[i] = head[i].length();
            for (String[] c : cells) {
                for (String l : c[i].split("\n", -1)) {
                    w[i] = Math.max(w[i], l.length());
                }
                multiLine |= c[i].contains("\n");
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append(rule(w, title)).append('\n');
        sb.append(line(w, head, new boolean[head.length])).append('\n');
        sb.append(rule(w, null)).append('\n');
        for (int r = 0; r < cells.size(); r++) {
            if (multiLine && r > 0) {
                sb.append(rule(w, null)).append('\n');
            }
            String[] c = cells.get(r);
            int height = 1;
            for (String x : c) {
                height = Math.max(height, x.split("\n", -1).length);
            }
            for (int l = 0; l < height; l++) {
                String[] part = new String[c.length];
                for (int i = 0; i < c.length; i++) {
                    String[] lines = c[i].split("\n", -1);
                    part[i] = l < lines.length ? lines[l] : "";
                }
                sb.append(line(w, part, rightAligned)).append('\n');
            }
        }
        sb.append(rule(w, null)).append('\n');
        return sb.toString();
    }

    /** A map as YAML's flow style on one line ({@code {nofailover: true, priority: 1}}), as patronictl's tsv. */
    static String flowYaml(java.util.Map<String, Object> m) {
        if (m.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder("{");
        m.forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append(k).append(": ").append(scalar(v)));
        return sb.append('}').toString();
    }

    /** A map as block YAML, one key a line, no line end after the last (a table cell). */
    static String blockYaml(java.util.Map<String, Object> m) {
        return m.isEmpty() ? "" : yaml(JSON.valueToTree(m)).strip();
    }

    private static String scalar(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof java.util.Map || v instanceof List) {
            return JSON.valueToTree(v).toString();
        }
        return v.toString();
    }

    private static String rule(int[] w, String title) {
        StringBuilder sb = new StringBuilder().append('+');
        for (int x : w) {
            sb.append("-".repeat(x + 2)).append('+');
        }
        if (title != null && title.length() + 2 < sb.length()) {
            sb.replace(2, 2 + title.length(), title);
        } else if (title != null) {
            sb.setLength(0);
            sb.append("+-").append(title).append("-+");
        }
        return sb.toString();
    }

    private static String line(int[] w, String[] c, boolean[] right) {
        StringBuilder sb = new StringBuilder("|");
        for (int i = 0; i < w.length; i++) {
            String pad = " ".repeat(w[i] - c[i].length());
            sb.append(' ').append(right != null && i < right.length && right[i] ? pad + c[i] : c[i] + pad).append(" |");
        }
        return sb.toString();
    }
}
