package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * One backup run as an agent's {@code GET /backup} (and {@code POST /backup}) describes it:
 * {@code {"id":N,"state":"none|running|succeeded|failed","type":"full","started":ISO|null,
 * "finished":ISO|null,"done_bytes":N,"total_bytes":N,"label":S|null,"error":S|null}}.
 */
record BackupRun(long id, String state, String type, String started, String finished, long doneBytes,
                 long totalBytes, String label, String error) {

    /** The run an answer's body describes, or empty if it is not such an object. */
    static Optional<BackupRun> parse(JsonNode n) {
        if (n == null || !n.isObject() || !n.hasNonNull("state") || !n.path("id").canConvertToLong()) {
            return Optional.empty();
        }
        return Optional.of(new BackupRun(n.path("id").asLong(), n.path("state").asText(), text(n, "type"),
                text(n, "started"), text(n, "finished"), n.path("done_bytes").asLong(0), n.path("total_bytes").asLong(0),
                text(n, "label"), text(n, "error")));
    }

    private static String text(JsonNode n, String field) {
        return n.hasNonNull(field) ? n.get(field).asText() : null;
    }

    boolean running() {
        return state.equals("running");
    }

    boolean succeeded() {
        return state.equals("succeeded");
    }

    boolean failed() {
        return state.equals("failed");
    }
}
