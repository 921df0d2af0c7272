package dev.baton.leader.etcd;

import java.util.Objects;

/**
 * etcd client endpoints as Baton accepts them ({@code host:port}, {@code http://host:port} or
 * {@code https://host:port}), in a class of its own so that the CLI's JSON-gateway read can use the
 * same rule without loading jetcd.
 */
final class Endpoints {
    private Endpoints() {
    }

    /**
     * One endpoint.
     *
     * @param scheme   the scheme it was written with, null for a bare {@code host:port}
     * @param hostPort {@code host:port} ({@code [v6]:port} for an IPv6 address)
     */
    record Endpoint(EtcdAccess.Scheme scheme, String hostPort) {
        /** The host without the port (and without the brackets of an IPv6 address). */
        String host() {
            String h = hostPort.substring(0, hostPort.lastIndexOf(':'));
            return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
        }
    }

    /**
     * Validates one endpoint: the scheme ({@code http://}, {@code https://} or none) and trailing
     * slashes are split off, and the rest must be {@code host:port}.
     */
    static Endpoint parse(String endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        String e = endpoint.strip();
        EtcdAccess.Scheme scheme = null;
        for (EtcdAccess.Scheme s : EtcdAccess.Scheme.values()) {
            if (e.regionMatches(true, 0, s.prefix(), 0, s.prefix().length())) {
                scheme = s;
                e = e.substring(s.prefix().length());
                break;
            }
        }
        while (e.endsWith("/")) {
            e = e.substring(0, e.length() - 1);
        }
        int colon = e.lastIndexOf(':');
        if (e.isEmpty() || colon <= 0 || colon == e.length() - 1 || e.contains("/") || e.contains("://")) {
            throw new IllegalArgumentException("etcd endpoint must be host:port, got '" + endpoint + "'");
        }
        try {
            int port = Integer.parseInt(e.substring(colon + 1));
            if (port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException nfe) {
            throw new IllegalArgumentException("etcd endpoint has an invalid port: '" + endpoint + "'");
        }
        return new Endpoint(scheme, e);
    }
}
