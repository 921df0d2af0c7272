package dev.baton.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The errors and warnings of one load, in the order found. Values set from env are named as such. */
final class Issues {
    private final List<ConfigError> errors = new ArrayList<>();
    private final List<ConfigWarning> warnings = new ArrayList<>();
    private final Map<String, String> envSources = new HashMap<>();

    /** Records that the value at {@code path} came from environment variable {@code variable}. */
    void fromEnv(String path, String variable) {
        envSources.put(path, variable);
    }

    void error(String path, String message) {
        errors.add(new ConfigError(path, message + origin(path)));
    }

    void warn(String path, String message) {
        warnings.add(new ConfigWarning(path, message + origin(path)));
    }

    boolean hasError(String path) {
        return errors.stream().anyMatch(e -> e.path().equals(path));
    }

    List<ConfigError> errors() {
        return errors;
    }

    List<ConfigWarning> warnings() {
        return warnings;
    }

    private String origin(String path) {
        for (Map.Entry<String, String> e : envSources.entrySet()) {
            if (path.equals(e.getKey()) || path.startsWith(e.getKey() + "[") || path.startsWith(e.getKey() + ".")) {
                return " (from " + e.getValue() + ")";
            }
        }
        return "";
    }
}
