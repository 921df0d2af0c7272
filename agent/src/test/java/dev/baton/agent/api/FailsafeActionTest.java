package dev.baton.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.ha.FailsafeState;
import dev.baton.agent.ha.NodeState;
import dev.baton.agent.postgres.PgStatus;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class FailsafeActionTest {
    final FailsafeState state = new FailsafeState();
    final AtomicReference<NodeState> node = new AtomicReference<>(NodeState.initial("n2", "demo"));
    final FailsafeAction action = new FailsafeAction(state, node::get, () -> 42L);

    @Test
    void getAnswersTheKeyAsLastSeenOr502() {
        assertEquals(502, action.get().status(), "failsafe_mode off");
        state.observed(true, null);
        assertEquals(502, action.get().status(), "no key");
        state.observed(true, Map.of("n1", "http://a:8008/patroni", "n2", "http://b:8008/patroni"));
        RestApi.Answer a = action.get();
        assertEquals(200, a.status());
        assertEquals("{\"n1\":\"http://a:8008/patroni\",\"n2\":\"http://b:8008/patroni\"}", a.body());
    }

    @Test
    void aReplicaAcceptsAndRemembers() {
        state.observed(true, Map.of());
        RestApi.Answer a = action.post("{\"name\":\"n1\",\"conn_url\":\"postgres://a:5432/postgres\","
                + "\"api_url\":\"http://a:8008/patroni\",\"slots\":{\"n1\":50331648}}");
        assertEquals(new RestApi.Answer(200, "Accepted"), a);
        FailsafeState.Ack ack = state.ack();
        assertEquals("n1", ack.leader());
        assertEquals(42L, ack.receivedAt());
        assertEquals(Map.of("n1", 50331648L), ack.slots());
    }

    @Test
    void aPrimaryRefuses() {
        state.observed(true, Map.of());
        node.set(node.get().withPg(new PgStatus(true, false, 1, 1, 0, 0, null, false, false, null, 0, null, 160000, java.util.List.of())));
        assertEquals(new RestApi.Answer(500, "Running as a leader"), action.post("{\"name\":\"n1\"}"));
        assertNull(state.ack());
    }

    @Test
    void badBodiesAre400AndChangeNothing() {
        assertEquals(502, action.post("{\"name\":\"n1\"}").status(), "failsafe_mode off");
        state.observed(true, Map.of());
        for (String bad : new String[] {"", "not json", "[]", "{}", "{\"name\":3}", "{\"name\":\"\"}",
                "{\"name\":\"n1\",\"slots\":[1]}", "{\"name\":\"n1\",\"slots\":{\"s\":-1}}",
                "{\"name\":\"n1\",\"slots\":{\"s\":\"x\"}}", "{\"name\":\"n1\",\"api_url\":7}"}) {
            RestApi.Answer a = action.post(bad);
            assertEquals(400, a.status(), bad);
            assertTrue(a.body().startsWith("{\"error\":"), a.body());
        }
        assertNull(state.ack());
    }
}
