package dev.baton.config;

import java.util.List;
import java.util.stream.Collectors;

/** Thrown when a configuration is invalid; carries every error, not just the first. */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    private final List<ConfigError> errors;

    public ConfigException(List<ConfigError> errors) {
        super(errors.stream().map(ConfigError::toString).collect(Collectors.joining("\n")));
        this.errors = List.copyOf(errors);
    }

    public ConfigException(String path, String message) {
        this(List.of(new ConfigError(path, message)));
    }

    public List<ConfigError> errors() {
        return errors;
    }
}
