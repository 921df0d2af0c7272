package dev.baton.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.baton.agent.client.PatroniStatus;
import dev.baton.agent.ha.NodeState;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.VersionedValue;
import dev.baton.leader.model.ClusterView;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** An invalid etcd config key is visible in /patroni (Baton's own field), and read back by Baton's client. */
class PatroniConfigWarningsTest {
    private static final long NOW = 5_000_000_000_000L;

    private static String patroni(String config) {
        ClusterSnapshot s = new ClusterSnapshot(3, null, new VersionedValue(config, 1, 2, 0), null, Map.of(), null, null,
                null, null);
        NodeState state = NodeState.initial("node1", "demo").withCluster(ClusterView.of(s, DynamicConfig.defaults()),
                0, NOW, 1);
        try (RestApi api = new RestApi("127.0.0.1", 0, () -> null, () -> NOW, "test-1.0", 10)) {
            return api.answer("/patroni", Map.of(), state, NOW).body();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void configWarningsAreListedUnderBaton() {
        String body = patroni("{\"pause\": \"maybe\"}");
        PatroniStatus st = PatroniStatus.parse(body).orElseThrow();
        assertEquals(List.of("config.pause: must be a boolean (true or false), got \"maybe\"; read as true"),
                st.batonConfigWarnings(), body);
        assertEquals(true, st.paused(), "an unreadable pause reads as on");
    }

    @Test
    void aValidKeyHasNoWarningField() {
        String body = patroni(DynamicConfig.defaults().toJson());
        assertFalse(body.contains("config_warnings"), body);
        assertEquals(List.of(), PatroniStatus.parse(body).orElseThrow().batonConfigWarnings());
    }
}
