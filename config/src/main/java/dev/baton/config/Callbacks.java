package dev.baton.config;

/**
 * {@code postgresql.callbacks}: commands run on events, each null when not configured. Patroni
 * calls them as {@code <command> <action> <role> <scope>}.
 */
public record Callbacks(String onStart, String onStop, String onRoleChange, String onRestart, String onReload) {
    public static Callbacks none() {
        return new Callbacks(null, null, null, null, null);
    }
}
