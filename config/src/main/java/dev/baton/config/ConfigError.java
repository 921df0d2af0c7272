package dev.baton.config;

/** One configuration problem that stops Baton from starting; {@code path} is the YAML key path. */
public record ConfigError(String path, String message) {
    @Override
    public String toString() {
        return path + ": " + message;
    }
}
