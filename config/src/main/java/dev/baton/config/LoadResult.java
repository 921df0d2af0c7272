package dev.baton.config;

import java.util.List;

/**
 * The outcome of {@link ConfigLoader#load}: either a config (and possibly warnings) or a non-empty
 * list of errors. {@code config} is null exactly when {@code errors} is non-empty.
 */
public record LoadResult(BatonConfig config, List<ConfigError> errors, List<ConfigWarning> warnings) {

    public LoadResult {
        errors = List.copyOf(errors);
        warnings = List.copyOf(warnings);
        if (!errors.isEmpty()) {
            config = null;
        }
    }

    public boolean ok() {
        return errors.isEmpty();
    }

    /** The config, or a {@link ConfigException} listing every error. */
    public BatonConfig orThrow() throws ConfigException {
        if (!ok()) {
            throw new ConfigException(errors);
        }
        return config;
    }
}
