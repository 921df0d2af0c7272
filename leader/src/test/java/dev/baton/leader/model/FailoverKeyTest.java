package dev.baton.leader.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The failover key in every form Patroni accepts, and what is none (issue 14: such keys were executed). */
class FailoverKeyTest {
    private static final OffsetDateTime NOON = OffsetDateTime.of(2026, 12, 1, 12, 0, 0, 0, ZoneOffset.UTC);

    private static FailoverRequest request(String value) {
        FailoverKey k = FailoverKey.parse(value, 9).orElseThrow(() -> new AssertionError("no request: " + value));
        if (k instanceof FailoverKey.Invalid i) {
            throw new AssertionError(value + ": " + i.reason());
        }
        return (FailoverRequest) k;
    }

    private static String invalid(String value) {
        FailoverKey k = FailoverKey.parse(value, 9).orElseThrow(() -> new AssertionError("no key: " + value));
        if (k instanceof FailoverKey.Invalid i) {
            assertEquals(9, i.modRevision());
            return i.reason();
        }
        throw new AssertionError(value + " was read as " + k);
    }

    @Test
    void patronisJsonForms() {
        assertEquals(new FailoverRequest("node1", "node2", null, 9), request("{\"leader\":\"node1\",\"member\":\"node2\"}"));
        assertEquals(new FailoverRequest("node1", null, null, 9), request("{\"leader\":\"node1\"}"));
        assertEquals(new FailoverRequest(null, "node2", null, 9), request("{\"member\":\"node2\",\"scheduled_at\":\"\"}"));
        assertEquals(new FailoverRequest(null, "node2", null, 9), request("{\"leader\":\"\",\"member\":\"node2\"}"));
    }

    @Test
    void everyScheduledAtFormPatroniReads() {
        String[] forms = {"2026-12-01T12:00:00+00:00", "2026-12-01 12:00:00+00:00", "2026-12-01T12:00:00Z",
            "2026-12-01t12:00:00z", "2026-12-01T12:00:00.000000+00:00", "2026-12-01T12:00Z", "2026-12-01T13:00:00+01",
            "2026-12-01T13:00:00+0100", "2026-12-01T07:00:00-05:00", "2026-12-01 12:00:00 UTC", "2026-12-01T12:00:00GMT",
            "  2026-12-01T12:00:00,0Z "};
        for (String at : forms) {
            FailoverRequest r = request("{\"leader\":\"node1\",\"scheduled_at\":\"" + at + "\"}");
            assertEquals(NOON.toInstant(), r.scheduledAt().toInstant(), at);
        }
        assertEquals(139_400_000, request("{\"leader\":\"a\",\"scheduled_at\":\"2016-01-14T10:09:57.1394Z\"}")
                .scheduledAt().getNano(), "Patroni's own doctest value");
    }

    @Test
    void patronisLegacyPlainTextForm() {
        assertEquals(new FailoverRequest("node1", "node2", null, 9), request("node1:node2"));
        assertEquals(new FailoverRequest("node1", "node2", null, 9), request(" node1 : node2 "));
        assertEquals(new FailoverRequest("node1", null, null, 9), request("node1"));
        assertEquals(new FailoverRequest(null, "node2", null, 9), request(":node2"));
    }

    @Test
    void whatIsNoRequestAtAll() {
        // Patroni's cleanup writes {}: no request, nothing to remove.
        for (String none : new String[] {"", "  ", "{}", "{\"leader\":null,\"member\":\"\"}", "{\"scheduled_at\":\"x\"}"}) {
            assertEquals(Optional.empty(), FailoverKey.parse(none, 9), none);
        }
        assertEquals(Optional.empty(), FailoverKey.parse(null, 9));
    }

    @Test
    void malformedKeysAreInvalidWithTheirReason() {
        // Issue 14: each of these was executed as an immediate switchover to the best replica.
        assertEquals("scheduled_at \"2026-12-01T12:00:00\" has no time zone offset",
                invalid("{\"leader\":\"node1\",\"scheduled_at\":\"2026-12-01T12:00:00\"}"));
        assertEquals("scheduled_at \"tomorrow\" is not an ISO-8601 time such as 2026-01-02T03:04:05+00:00",
                invalid("{\"leader\":\"node1\",\"scheduled_at\":\"tomorrow\"}"));
        assertEquals("neither JSON nor Patroni's legacy leader:candidate form: \"garbage{\"", invalid("garbage{"));
        assertEquals("not a JSON object", invalid("[\"node1\"]"));
        assertEquals("not a JSON object", invalid("null"));
        assertEquals("scheduled_at is not a string", invalid("{\"leader\":\"node1\",\"scheduled_at\":1765000000}"));
        assertEquals("member is not a string", invalid("{\"member\":[\"node2\"]}"));
        assertTrue(invalid("{\"member\":\"no\\nde2\"}").contains("no\\u000ade2"), "control characters are shown escaped");
        assertTrue(invalid("{\"leader\":\"a\",\"scheduled_at\":\"2026-13-01T12:00:00Z\"}").contains("not a valid time"));
        assertTrue(invalid("{\"leader\":\"a\",\"scheduled_at\":\"2026-12-01T12:00:00+25:00\"}").contains("not a valid time"));
        assertTrue(invalid("a:b:c").startsWith("neither JSON"));
    }
}
