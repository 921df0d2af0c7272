package dev.baton.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.agent.ha.NodeState;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** /patroni shows a scheduled restart as Patroni does ({@code scheduled_restart}), and nothing without one. */
class PatroniScheduledRestartTest {
    private static final long NOW = 5_000_000_000_000L;

    private static JsonNode patroni(NodeState state) throws Exception {
        try (RestApi api = new RestApi("127.0.0.1", 0, () -> null, () -> NOW, "test-1.0", 10)) {
            return new ObjectMapper().readTree(api.answer("/patroni", Map.of(), state, NOW).body());
        }
    }

    @Test
    void theScheduledRestartIsShown() throws Exception {
        Map<String, Object> sr = new LinkedHashMap<>();
        sr.put("schedule", "2026-12-24T03:00:00+01:00");
        sr.put("postgres_version", "16.5");
        JsonNode n = patroni(NodeState.initial("node1", "demo").withScheduledRestart(sr));
        assertEquals("{\"schedule\":\"2026-12-24T03:00:00+01:00\",\"postgres_version\":\"16.5\"}",
                n.get("scheduled_restart").toString());
        assertFalse(patroni(NodeState.initial("node1", "demo")).has("scheduled_restart"));
    }
}
