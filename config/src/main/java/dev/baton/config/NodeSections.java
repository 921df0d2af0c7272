package dev.baton.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the small sections about this node itself: {@code tags}, {@code log} and {@code watchdog}
 * ({@code restapi} is read by {@link SecuritySections}). Each reader takes its section's node and reports to its {@link Issues}.
 */
final class NodeSections {
    private static final List<String> LOG_LEVELS = List.of("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL");

    private NodeSections() {
    }

    /**
     * The tags Baton acts on, plus every tag as written (they are published in the member key).
     * {@code nofailover} and {@code failover_priority} are read as Patroni 3.2+ reads them: the
     * nofailover tag, when given, wins; else a failover_priority of 0 means never promoted. When
     * both are given and disagree, Patroni runs with nofailover and warns; so does Baton.
     */
    static Tags tags(ConfigNode n) {
        Boolean nofailoverTag = n.boolOrNull("nofailover");
        boolean noloadbalance = n.bool("noloadbalance", false);
        boolean nosync = n.bool("nosync", false);
        boolean clonefrom = n.bool("clonefrom", false);
        boolean nostream = n.bool("nostream", false);
        Integer priority = n.integerOrNull("failover_priority");
        if (priority != null && priority < 0) {
            n.issues().error(n.path("failover_priority"), "must be >= 0, got " + priority);
        }
        boolean nofailover = nofailoverTag != null ? nofailoverTag : priority != null && priority <= 0;
        if (nofailoverTag != null && priority != null && nofailoverTag != (priority <= 0)) {
            n.issues().warn(n.path("failover_priority"), priority + " contradicts nofailover: " + nofailoverTag
                    + "; nofailover wins, as in Patroni: this node " + (nofailoverTag ? "is never promoted" : "may be promoted"));
        }
        JsonNode replicatefrom = n.value("replicatefrom");
        if (replicatefrom != null && !(replicatefrom.isTextual() && !replicatefrom.textValue().isBlank())) {
            n.issues().error(n.path("replicatefrom"), "must be the name of the member to stream from, got "
                    + ConfigNode.describe(replicatefrom));
        }
        Map<String, Object> all = new LinkedHashMap<>();
        for (Iterator<String> it = n.keys(); it.hasNext();) {
            String tag = it.next();
            all.put(tag, toJava(n.value(tag)));
        }
        return new Tags(nofailover, noloadbalance, nosync, clonefrom, nostream, priority, all);
    }

    /** A YAML value as plain, unmodifiable Java data. */
    static Object toJava(JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            v.fields().forEachRemaining(e -> m.put(e.getKey(), toJava(e.getValue())));
            return Collections.unmodifiableMap(m);
        }
        if (v.isArray()) {
            List<Object> l = new ArrayList<>();
            v.forEach(item -> l.add(toJava(item)));
            return Collections.unmodifiableList(l);
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        return v.isNumber() ? v.numberValue() : v.asText();
    }

    static LogConfig log(ConfigNode n) {
        String level = n.string("level", LogConfig.DEFAULT_LEVEL).trim().toUpperCase(Locale.ROOT);
        if (!LOG_LEVELS.contains(level)) {
            n.issues().error(n.path("level"), "must be one of " + String.join(", ", LOG_LEVELS) + ", got \"" + level + "\"");
        }
        // Patroni's log.format is a Python format string and 4.x has log.type: plain|json.
        String format = logFormat(n, "format");
        String type = logFormat(n, "type");
        Path dir = n.file("dir");
        n.unsupported("traceback_level", "max_queue_size", "file_num", "file_size", "dateformat", "loggers",
                "static_fields", "mode", "deduplicate_heartbeat_logs");
        n.finish();
        return new LogConfig(level, format != null ? format : type, dir);
    }

    private static String logFormat(ConfigNode n, String key) {
        String value = n.string(key, null);
        if (value == null) {
            return null;
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("plain") || v.equals("json")) {
            return v;
        }
        if (key.equals("format") && value.contains("%(")) {
            n.issues().warn(n.path(key), "Python logging format strings are not supported by Baton, ignored");
        } else {
            n.issues().error(n.path(key), "must be plain or json, got \"" + value + "\"");
        }
        return null;
    }

    static WatchdogConfig watchdog(ConfigNode n) {
        String mode = WatchdogConfig.DEFAULT_MODE;
        JsonNode raw = n.value("mode");
        if (raw != null && raw.isBoolean()) {
            mode = raw.booleanValue() ? "automatic" : "off"; // YAML 1.1 reads "off" as false
        } else if (raw != null) {
            String m = n.string("mode", "").trim().toLowerCase(Locale.ROOT);
            switch (m) {
                case "off", "disable", "disabled" -> mode = "off";
                case "automatic", "auto" -> mode = "automatic";
                case "required", "require" -> mode = "required";
                default -> n.issues().error(n.path("mode"),
                        "must be off, automatic or required, got " + ConfigNode.describe(raw));
            }
        }
        String device = n.string("device", WatchdogConfig.DEFAULT_DEVICE);
        int margin = n.integer("safety_margin", WatchdogConfig.DEFAULT_SAFETY_MARGIN);
        if (margin < -1) {
            n.issues().error(n.path("safety_margin"), "must be >= -1, got " + margin);
        }
        String socket = n.string("service_socket", null);
        if (socket != null) {
            socket = socket.trim();
            if (socket.isEmpty()) {
                socket = null; // empty: no service, as when the key is absent
            } else if (!socket.startsWith("/")) {
                n.issues().error(n.path("service_socket"), "must be an absolute path, got \"" + socket + "\"");
                socket = null;
            } else if (socket.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 107
                    || socket.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
                // sun_path holds 108 bytes with the terminating NUL.
                n.issues().error(n.path("service_socket"), "must be a Unix socket path of at most 107 bytes "
                        + "without control characters");
                socket = null;
            }
        }
        n.unsupported("driver");
        n.finish();
        return new WatchdogConfig(mode, device, margin, socket);
    }
}
