package dev.baton.config;

import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which names may stand as PostgreSQL parameters in postgresql.conf: what its configuration-file
 * lexer reads as a name (an identifier, or two joined by one dot for a custom parameter), and not
 * one of its directives. Checked when the configuration is read, so that {@code edit-config} and
 * the YAML refuse a bad name, and again by the renderer before anything is written.
 */
public final class PgParameterNames {
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");
    private static final Set<String> DIRECTIVES = Set.of("include", "include_if_exists", "include_dir");

    private PgParameterNames() {
    }

    /** Why {@code name} cannot be written as a parameter, or empty if it can. */
    public static Optional<String> problem(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            return Optional.of("is not a PostgreSQL parameter name");
        }
        if (DIRECTIVES.contains(name.toLowerCase(Locale.ROOT))) {
            return Optional.of("is a configuration file directive, not a parameter");
        }
        return Optional.empty();
    }
}
