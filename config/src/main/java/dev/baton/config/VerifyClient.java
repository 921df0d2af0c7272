package dev.baton.config;

import java.util.Locale;
import java.util.Optional;

/**
 * {@code restapi.verify_client}: whether the REST API asks HTTPS clients for a certificate, as in
 * Patroni. {@code optional} asks; a request to an unsafe endpoint without a valid certificate is
 * then refused (403). {@code required} refuses the TLS handshake without one, so GETs need it too.
 */
public enum VerifyClient {
    NONE, OPTIONAL, REQUIRED;

    /** The YAML spelling. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<VerifyClient> parse(String text) {
        for (VerifyClient v : values()) {
            if (v.wireName().equals(text)) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }
}
