package dev.baton.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.client.PatroniStatus;
import dev.baton.agent.ha.NodeState;
import dev.baton.agent.ha.PromotionReport;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The last promotion's report is shown under {@code baton.promotion} and read back by Baton's client. */
class PatroniPromotionReportTest {
    private static final long NOW = 5_000_000_000_000L;

    private static String patroni(NodeState state) {
        try (RestApi api = new RestApi("127.0.0.1", 0, () -> null, () -> NOW, "test-1.0", 10)) {
            return api.answer("/patroni", Map.of(), state, NOW).body();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aPromotionRoundTrips() {
        PromotionReport r = new PromotionReport("2026-12-04T11:00:00Z", "node1", "fenced", "sql", 41, "0/3000060",
                "complete", 12, 230);
        String body = patroni(NodeState.initial("node2", "demo").withPromotion(r));
        PatroniStatus st = PatroniStatus.parse(body).orElseThrow();
        assertEquals(r, st.batonPromotion(), body);
        assertTrue(st.batonPromotion().fencedAndDrained());
    }

    @Test
    void noPromotionNoField() {
        String body = patroni(NodeState.initial("node2", "demo"));
        assertFalse(body.contains("promotion"), body);
        assertNull(PatroniStatus.parse(body).orElseThrow().batonPromotion());
    }

    @Test
    void anUnreachableOldPrimaryIsNotFenced() {
        assertFalse(new PromotionReport("t", "node1", "unreachable", "none", 5000, null, "not needed", 0, 200)
                .fencedAndDrained());
        assertFalse(new PromotionReport("t", "node1", "fenced", "sql", 50, "0/1", "timed out", 5000, 200)
                .fencedAndDrained());
    }
}
