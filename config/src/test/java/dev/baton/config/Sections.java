package dev.baton.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.stream.Collectors;

/** Builds one section's {@link ConfigNode} from YAML text, for the section readers' unit tests. */
final class Sections {
    private static final YAMLMapper YAML = new YAMLMapper();

    final Issues issues = new Issues();

    /** The section at {@code path} (e.g. "etcd3"), holding the map written as {@code yaml}. */
    ConfigNode node(String path, String yaml) {
        return new ConfigNode(tree(yaml), path, issues);
    }

    static JsonNode tree(String yaml) {
        try {
            return YAML.readTree(yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every error as path → message (one message per path). */
    Map<String, String> errors() {
        return issues.errors().stream().collect(Collectors.toMap(ConfigError::path, ConfigError::message,
                (a, b) -> a + "; " + b));
    }

    /** Every warning as path → message. */
    Map<String, String> warnings() {
        return issues.warnings().stream().collect(Collectors.toMap(ConfigWarning::path, ConfigWarning::message,
                (a, b) -> a + "; " + b));
    }
}
