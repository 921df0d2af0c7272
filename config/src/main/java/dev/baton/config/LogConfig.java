package dev.baton.config;

import java.nio.file.Path;

/**
 * {@code log}: level is one of DEBUG, INFO, WARNING, ERROR, CRITICAL (Patroni's names); format is
 * "plain" or "json"; dir is null for standard error.
 */
public record LogConfig(String level, String format, Path dir) {
    public static final String DEFAULT_LEVEL = "INFO";
    public static final String DEFAULT_FORMAT = "plain";

    public LogConfig {
        if (level == null) {
            level = DEFAULT_LEVEL;
        }
        if (format == null) {
            format = DEFAULT_FORMAT;
        }
    }
}
