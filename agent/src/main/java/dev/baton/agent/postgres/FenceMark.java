package dev.baton.agent.postgres;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The fence another member leaves in a former primary's {@code postgresql.auto.conf}
 * ({@link PgFence}): {@code synchronous_standby_names} naming a standby nobody has
 * ({@value #STANDBY}), so that every commit waits instead of being acknowledged, and
 * {@code default_transaction_read_only = on}. Pure functions over the file's text: whether the
 * fence is there, and the text without it (done only before a start, on a rejoin).
 */
final class FenceMark {
    /** The standby name nobody has. */
    static final String STANDBY = "baton fence";
    /** The value of synchronous_standby_names that marks a fenced directory (a quoted standby name). */
    static final String NAMES_VALUE = "\"" + STANDBY + "\"";

    private static final String NAMES = "synchronous_standby_names";
    private static final String READ_ONLY = "default_transaction_read_only";

    private FenceMark() {
    }

    /** Whether the text of postgresql.auto.conf holds the fence (its last synchronous_standby_names is the mark). */
    static boolean present(String autoConf) {
        if (autoConf == null) {
            return false;
        }
        String last = null;
        for (String line : autoConf.split("\n", -1)) {
            Setting s = parse(line);
            if (s != null && s.name().equals(NAMES)) {
                last = s.value();
            }
        }
        return NAMES_VALUE.equals(last == null ? null : last.strip());
    }

    /**
     * The text without the fence: when it is {@link #present}, every line setting
     * synchronous_standby_names or default_transaction_read_only goes (the server then reads
     * them from postgresql.conf again); everything else stays as it was. Text without the fence
     * is returned unchanged.
     */
    static String strip(String autoConf) {
        if (!present(autoConf)) {
            return autoConf;
        }
        List<String> kept = new ArrayList<>();
        for (String line : autoConf.split("\n", -1)) {
            Setting s = parse(line);
            if (s == null || !(s.name().equals(NAMES) || s.name().equals(READ_ONLY))) {
                kept.add(line);
            }
        }
        return String.join("\n", kept);
    }

    private record Setting(String name, String value) {
    }

    /** One {@code name = value} line as PostgreSQL's configuration parser reads it; null for others. */
    private static Setting parse(String line) {
        String s = line.strip();
        int i = 0;
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_' || s.charAt(i) == '.')) {
            i++;
        }
        if (i == 0 || !(Character.isLetter(s.charAt(0)) || s.charAt(0) == '_')) {
            return null;
        }
        String name = s.substring(0, i).toLowerCase(Locale.ROOT);
        String rest = s.substring(i).stripLeading();
        if (rest.startsWith("=")) {
            rest = rest.substring(1).stripLeading();
        }
        if (rest.startsWith("'")) {
            StringBuilder v = new StringBuilder();
            for (int k = 1; k < rest.length(); k++) {
                char c = rest.charAt(k);
                if (c == '\'') {
                    if (k + 1 < rest.length() && rest.charAt(k + 1) == '\'') {
                        v.append('\'');
                        k++;
                        continue;
                    }
                    return new Setting(name, v.toString());
                }
                if (c == '\\' && k + 1 < rest.length()) {
                    v.append(rest.charAt(++k));
                    continue;
                }
                v.append(c);
            }
            return null; // an unterminated literal: postgres would not read it either
        }
        int end = 0;
        while (end < rest.length() && !Character.isWhitespace(rest.charAt(end)) && rest.charAt(end) != '#') {
            end++;
        }
        return new Setting(name, rest.substring(0, end));
    }
}
