package dev.baton.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.OffsetDateTime;
import org.junit.jupiter.api.Test;

/** POST /switchover reads scheduled_at in every form Patroni accepts, as the failover key does. */
class RestRequestsTest {

    private static Object at(String scheduled) {
        RestRequests.Parsed<RestRequests.Takeover> p = RestRequests.takeover(
                "{\"leader\":\"node1\",\"scheduled_at\":\"" + scheduled + "\"}", true);
        return p instanceof RestRequests.Parsed.Ok<RestRequests.Takeover> ok ? ok.value().scheduledAt() : p;
    }

    @Test
    void patronisTimeFormsAreAccepted() {
        OffsetDateTime want = OffsetDateTime.parse("2030-01-02T03:04:05Z");
        for (String form : new String[] {"2030-01-02T03:04:05+00:00", "2030-01-02 03:04:05Z", "2030-01-02T03:04:05 UTC",
                "2030-01-02T05:04:05+0200", "2030-01-02T05:04:05+02"}) {
            assertEquals(want.toInstant(), ((OffsetDateTime) at(form)).toInstant(), form);
        }
    }

    @Test
    void aTimeWithoutOffsetIsA400() {
        Object r = at("2030-01-02 03:04:05");
        assertTrue(r instanceof RestRequests.Parsed<?> p && !(p instanceof RestRequests.Parsed.Ok<?>), String.valueOf(r));
    }
}
