package dev.baton.config;

/**
 * A server of this node that listens on one host:port and is reached by others at another: the
 * REST API and PostgreSQL. Both addresses are validated host:port strings once loaded; the
 * accessors here split them.
 */
public interface ServerAddresses {

    /** Where the server listens, host:port (the host may be a wildcard). */
    String listen();

    /** Where other members and load balancers connect, host:port. */
    String connectAddress();

    default String listenHost() {
        return HostPort.parse(listen()).host();
    }

    default int listenPort() {
        return HostPort.parse(listen()).port();
    }

    default String connectHost() {
        return HostPort.parse(connectAddress()).host();
    }

    default int connectPort() {
        return HostPort.parse(connectAddress()).port();
    }

    /** {@code listen} with a wildcard host replaced by 127.0.0.1; null if listen is unparsable. */
    static String deriveConnectAddress(String listen) {
        try {
            return listen == null ? null : HostPort.parse(listen).connectable().toString();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
