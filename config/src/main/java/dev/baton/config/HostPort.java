package dev.baton.config;

import java.util.regex.Pattern;

/**
 * A parsed {@code host:port}. IPv6 hosts are written in brackets ({@code [::1]:5432}) and stored
 * without them. The host may be {@code *} (PostgreSQL's "all interfaces").
 */
public record HostPort(String host, int port) {
    private static final Pattern HOST = Pattern.compile("\\*|[A-Za-z0-9._-]+");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+(%[A-Za-z0-9._-]+)?");
    private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

    /** Parses {@code host:port}; the exception message is a ready-made config error message. */
    public static HostPort parse(String text) {
        String s = text == null ? "" : text.trim();
        String host;
        String port;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
                throw invalid(text, "");
            }
            host = s.substring(1, close);
            port = s.substring(close + 2);
            if (!IPV6.matcher(host).matches()) {
                throw invalid(text, "");
            }
        } else {
            int colon = s.lastIndexOf(':');
            if (colon < 0) {
                throw invalid(text, "");
            }
            host = s.substring(0, colon);
            port = s.substring(colon + 1);
            if (host.contains("://")) {
                throw invalid(text, " (no URL scheme here)");
            }
            if (host.contains(":")) {
                throw invalid(text, " (write IPv6 addresses in brackets, e.g. [::1]:5432)");
            }
            if (!HOST.matcher(host).matches()) {
                throw invalid(text, "");
            }
        }
        if (!PORT.matcher(port).matches()) {
            throw invalid(text, "");
        }
        int p = Integer.parseInt(port);
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("port must be between 1 and 65535, got \"" + text + "\"");
        }
        return new HostPort(host, p);
    }

    private static IllegalArgumentException invalid(String text, String hint) {
        return new IllegalArgumentException("must be host:port, got \"" + text + "\"" + hint);
    }

    /** True for the "all interfaces" hosts 0.0.0.0, :: and *, which nobody can connect to. */
    public boolean isWildcard() {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("*");
    }

    /** This address, with a wildcard host replaced by 127.0.0.1. */
    public HostPort connectable() {
        return isWildcard() ? new HostPort("127.0.0.1", port) : this;
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
