package dev.baton.cli.certs;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Checks of what {@code baton certs} is given: file names (they become paths inside {@code
 * --dir}, so nothing that leaves it or hides in it), host names and addresses (they become
 * subject alternative names that peers check), names that go into a certificate's subject, and
 * validity in days. Pure functions: each returns the problem in words, or empty.
 */
final class CertNames {
    /** Longest validity accepted (100 years); a longer one is a typo. */
    static final int MAX_DAYS = 36500;
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern IPV4_LIKE = Pattern.compile("[0-9.]+");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");
    /** The names {@code ca.crt} and {@code ca.key} belong to the CA. */
    static final String CA = "ca";

    private CertNames() {
    }

    /**
     * A node's or client's name, which names its files {@code NAME.crt} and {@code NAME.key}:
     * letters, digits, '_', '.', '-', starting with a letter or digit, no "..", at most 64.
     */
    static Optional<String> fileName(String name) {
        if (name == null || name.isEmpty()) {
            return Optional.of("must not be empty");
        }
        if (!FILE_NAME.matcher(name).matches() || name.contains("..")) {
            return Optional.of("\"" + printable(name) + "\" is not a file name: use letters, digits, '_', '.' and '-' "
                    + "(starting with a letter or digit, no \"..\", at most 64)");
        }
        if (name.equals(CA)) {
            return Optional.of("\"ca\" names the CA's own files (ca.crt, ca.key): choose another name");
        }
        return Optional.empty();
    }

    /** A DNS name (RFC 1123 labels, no wildcard) or an IPv4 or IPv6 literal. */
    static Optional<String> host(String host) {
        if (host == null || host.isEmpty()) {
            return Optional.of("must not be empty");
        }
        if (isIp(host)) {
            return Optional.empty();
        }
        String bad = "\"" + printable(host) + "\" is neither an IP address nor a DNS name";
        if (host.length() > 253 || host.endsWith(".")) {
            return Optional.of(bad);
        }
        for (String label : host.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                return Optional.of(bad);
            }
        }
        if (IPV4_LIKE.matcher(host).matches()) {
            return Optional.of("\"" + host + "\" is not a valid IPv4 address");
        }
        return Optional.empty();
    }

    /** An IPv4 dotted quad with each part at most 255, or an IPv6 literal (no zone, no brackets). */
    static boolean isIp(String host) {
        var m = IPV4.matcher(host);
        if (m.matches()) {
            for (int i = 1; i <= 4; i++) {
                if (Integer.parseInt(m.group(i)) > 255) {
                    return false;
                }
            }
            return true;
        }
        if (host.contains(":") && IPV6_CHARS.matcher(host).matches()) {
            try {
                // A literal of these characters is parsed, never looked up.
                return java.net.InetAddress.getByName(host) instanceof java.net.Inet6Address;
            } catch (java.net.UnknownHostException e) {
                return false;
            }
        }
        return false;
    }

    /** The problems of {@code hosts}, each naming its host; empty when all are fine. */
    static List<String> hostProblems(List<String> hosts) {
        List<String> problems = new ArrayList<>();
        for (String h : hosts) {
            host(h).ifPresent(p -> problems.add("--host: " + p));
        }
        return problems;
    }

    /** The hosts in their order, each once. */
    static List<String> distinct(List<String> hosts) {
        return new ArrayList<>(new LinkedHashSet<>(hosts));
    }

    /** A name that goes into a certificate's subject (CommonName): 1 to 64 characters, no control characters. */
    static Optional<String> subjectName(String name) {
        if (name == null || name.isBlank()) {
            return Optional.of("must not be empty");
        }
        if (name.length() > 64) {
            return Optional.of("at most 64 characters (X.509 limits a CommonName to 64)");
        }
        if (name.chars().anyMatch(c -> Character.isISOControl(c)) || !name.equals(name.strip())) {
            return Optional.of("\"" + printable(name) + "\" has control characters or leading or trailing spaces");
        }
        return Optional.empty();
    }

    /** Validity in days: 1 to {@link #MAX_DAYS}. */
    static Optional<String> days(int days) {
        if (days < 1 || days > MAX_DAYS) {
            return Optional.of("must be 1 to " + MAX_DAYS + ", got " + days);
        }
        return Optional.empty();
    }

    /** {@code s} with control characters shown as {@code \\uXXXX}, so an error message cannot drive a terminal. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().limit(100).forEach(c -> {
            if (Character.isISOControl(c) || c == 0x2028 || c == 0x2029) {
                sb.append(String.format("\\u%04x", c));
            } else {
                sb.appendCodePoint(c);
            }
        });
        return s.codePointCount(0, s.length()) > 100 ? sb + "..." : sb.toString();
    }
}
