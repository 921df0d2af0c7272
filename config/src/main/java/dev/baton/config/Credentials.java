package dev.baton.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A PostgreSQL role, its password (null when none is configured) and the libpq connection options
 * Baton adds to every connection string of that role ({@code sslmode}, {@code sslrootcert}, ...,
 * in {@link #LIBPQ_KEYWORDS} order, only those configured), as Patroni's per-user keys under
 * {@code postgresql.authentication}.
 */
public record Credentials(String username, String password, Map<String, String> libpqOptions) {
    /** The per-user libpq keywords Baton accepts, in the order it writes them. */
    public static final List<String> LIBPQ_KEYWORDS = List.of("sslmode", "sslrootcert", "sslcert", "sslkey",
            "sslpassword", "sslcrl", "sslcrldir", "gssencmode", "channel_binding");

    /** The keywords whose value is a secret: never logged, never in argv. */
    public static final Set<String> SECRET_KEYWORDS = Set.of("sslpassword");

    /** Keeps the options in {@link #LIBPQ_KEYWORDS} order (any other keyword after them), whatever map is given. */
    public Credentials {
        Map<String, String> ordered = new LinkedHashMap<>();
        if (libpqOptions != null) {
            for (String k : LIBPQ_KEYWORDS) {
                if (libpqOptions.containsKey(k)) {
                    ordered.put(k, libpqOptions.get(k));
                }
            }
            ordered.putAll(libpqOptions);
        }
        libpqOptions = Collections.unmodifiableMap(ordered);
    }

    /** A role with a password and no connection options. */
    public Credentials(String username, String password) {
        this(username, password, Map.of());
    }

    /** Never reveals the password or the key's password: logs and exception messages may print configs. */
    @Override
    public String toString() {
        StringBuilder options = new StringBuilder();
        libpqOptions.forEach((k, v) -> options.append(options.length() == 0 ? "" : ", ").append(k).append('=')
                .append(SECRET_KEYWORDS.contains(k) ? "****" : v));
        return "Credentials[username=" + username + ", password=" + (password == null ? "null" : "****")
                + (libpqOptions.isEmpty() ? "" : ", libpqOptions={" + options + "}") + "]";
    }
}
