package dev.baton.config;

/** A PostgreSQL role and its password (null when none is configured). */
public record Credentials(String username, String password) {
    /** Never reveals the password: logs and exception messages may print configs. */
    @Override
    public String toString() {
        return "Credentials[username=" + username + ", password=" + (password == null ? "null" : "****") + "]";
    }
}
