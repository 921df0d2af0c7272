package dev.baton.config;

/**
 * {@code restapi}: where the REST API listens and the address other members and load balancers
 * use. A null {@code connectAddress} is derived from {@code listen}, replacing a wildcard host
 * (0.0.0.0, ::) with 127.0.0.1.
 */
public record RestApiConfig(String listen, String connectAddress) {

    public RestApiConfig {
        if (connectAddress == null) {
            connectAddress = deriveConnectAddress(listen);
        }
    }

    public String listenHost() {
        return HostPort.parse(listen).host();
    }

    public int listenPort() {
        return HostPort.parse(listen).port();
    }

    public String connectHost() {
        return HostPort.parse(connectAddress).host();
    }

    public int connectPort() {
        return HostPort.parse(connectAddress).port();
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
