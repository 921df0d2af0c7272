package dev.baton.config;

/** A configuration oddity that Baton tolerates (unknown key, unsupported Patroni key, ...). */
public record ConfigWarning(String path, String message) {
    @Override
    public String toString() {
        return path + ": " + message;
    }
}
