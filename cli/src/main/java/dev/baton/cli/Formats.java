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
     * rule. Numbers are right-aligned when {@code rightAligned[i]}.
     */
    static String table(String title, String[] head, List<String[]> cells, boolean[] rightAligned) {
        int[] w = new int[head.length];
        for (int i = 0; i < head.length; i++) {
            w[i] = head[i].length();
            for (String[] c : cells) {
                w[i] = Math.max(w[i], c[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append(rule(w, title)).append('\n');
        sb.append(line(w, head, new boolean[head.length])).append('\n');
        sb.append(rule(w, null)).append('\n');
        for (String[] c : cells) {
            sb.append(line(w, c, rightAligned)).append('\n');
        }
        sb.append(rule(w, null)).append('\n');
        return sb.toString();
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
