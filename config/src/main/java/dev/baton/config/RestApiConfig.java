package dev.baton.config;

/**
 * {@code restapi}: where the REST API listens and the address other members and load balancers
 * use. A null {@code connectAddress} is derived from {@code listen}, replacing a wildcard host
 * (0.0.0.0, ::) with 127.0.0.1.
 */
public record RestApiConfig(String listen, String connectAddress) implements ServerAddresses {

    public RestApiConfig {
        if (connectAddress == null) {
            connectAddress = ServerAddresses.deriveConnectAddress(listen);
        }
    }
}
