package dev.baton.config;

/**
 * Text from outside (a file, an etcd value, a request, a program's output) shown in a message:
 * one line, control characters escaped, bounded. The one helper for new code; older call sites
 * keep their own copies until they are moved here.
 */
public final class Untrusted {
    private Untrusted() {
    }

    /** {@code s} with control characters as {@code \}{@code uXXXX}, cut at {@code max} characters ("..." added). */
    public static String shown(String s, int max) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < max; i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.length() >= max && s.length() > 0 ? sb.substring(0, Math.min(max, sb.length())) + "..." : sb.toString();
    }
}
