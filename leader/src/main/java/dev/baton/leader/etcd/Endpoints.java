package dev.baton.leader.etcd;

import java.util.Objects;

/**
 * etcd client endpoints as Baton accepts them ({@code host:port} or {@code http://host:port}), in
 * a class of its own so that the CLI's JSON-gateway read can use the same rule without loading
 * jetcd.
 */
final class Endpoints {
    private Endpoints() {
    }

    /**
     * Validates one endpoint and returns it as {@code host:port}: {@code http://} and trailing
     * slashes are dropped, {@code https://} is refused (TLS is not supported).
     */
    static String parse(String endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        String e = endpoint.strip();
        if (e.startsWith("https://")) {
            throw new IllegalArgumentException("TLS endpoints are not supported: " + endpoint);
        }
        if (e.startsWith("http://")) {
            e = e.substring("http://".length());
        }
        while (e.endsWith("/")) {
            e = e.substring(0, e.length() - 1);
        }
        int colon = e.lastIndexOf(':');
        if (e.isEmpty() || colon <= 0 || colon == e.length() - 1 || e.contains("/")) {
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
        return e;
    }
}
