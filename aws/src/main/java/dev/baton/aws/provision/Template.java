package dev.baton.aws.provision;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fills {@code {{NAME}}} placeholders. A placeholder alone on its line is a block: each of its
 * lines is indented like the placeholder (and an empty block removes the line); anywhere else it
 * is a one-line scalar. Every placeholder must have a value and every value must be used, so a
 * typo in the template or in the code fails at once instead of reaching an instance.
 */
final class Template {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([A-Z0-9_]+)\\}\\}");
    private static final Pattern BLOCK_LINE = Pattern.compile("( *)\\{\\{([A-Z0-9_]+)\\}\\} *");

    private Template() {
    }

    static String render(String template, Map<String, String> scalars, Map<String, List<String>> blocks) {
        Set<String> used = new HashSet<>();
        StringBuilder out = new StringBuilder();
        for (String line : template.split("\n", -1)) {
            Matcher block = BLOCK_LINE.matcher(line);
            if (block.matches() && blocks.containsKey(block.group(2))) {
                used.add(block.group(2));
                for (String b : blocks.get(block.group(2))) {
                    out.append(b.isEmpty() ? "" : block.group(1) + b).append('\n');
                }
                continue;
            }
            Matcher m = PLACEHOLDER.matcher(line);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String key = m.group(1);
                String value = scalars.get(key);
                if (value == null) {
                    throw new IllegalStateException("template placeholder {{" + key + "}} has no value"
                            + (blocks.containsKey(key) ? " (it is a block: it must stand alone on its line)" : ""));
                }
                if (value.indexOf('\n') >= 0) {
                    throw new IllegalStateException("value of {{" + key + "}} spans lines");
                }
                used.add(key);
                m.appendReplacement(sb, Matcher.quoteReplacement(value));
            }
            m.appendTail(sb);
            out.append(sb).append('\n');
        }
        Set<String> unused = new HashSet<>(scalars.keySet());
        unused.addAll(blocks.keySet());
        unused.removeAll(used);
        if (!unused.isEmpty()) {
            throw new IllegalStateException("values not used by the template: " + unused);
        }
        out.setLength(out.length() - 1);
        return out.toString();
    }
}
