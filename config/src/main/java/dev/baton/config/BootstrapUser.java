package dev.baton.config;

import java.util.List;

/**
 * One of {@code bootstrap.users} (Patroni 3.x; {@code PATRONI_<user>_PASSWORD} and
 * {@code _OPTIONS}): a role to create after a new cluster is initialised, with its role options
 * (checked: keywords of {@code CREATE ROLE} only, e.g. "CREATEDB", "CONNECTION LIMIT 5"). The
 * password is null when none is given (a role without one, as in Patroni).
 * {@link #toString()} never shows the password.
 */
public record BootstrapUser(String name, String password, List<String> options) {
    public BootstrapUser {
        options = Copies.list(options);
    }

    @Override
    public String toString() {
        return "BootstrapUser[name=" + name + ", password=" + (password == null ? "none" : "****") + ", options=" + options + "]";
    }
}
