package dev.baton.agent.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.agent.postgres.Lsn;

/**
 * A former primary's answer to {@code POST /fence}, typed.
 *
 * @param status  the HTTP status
 * @param fenced  the body's {@code fenced}: true when postgres no longer acknowledges commits
 * @param state   {@code stopped}, {@code not running} or {@code not a primary}; null when the body
 *                says none
 * @param mode    how postgres was stopped ({@code fast}, {@code immediate}); null unless stopped
 * @param lsn     the WAL position the stopped primary holds, as a byte offset; 0 when unknown
 * @param message the refusal's words ({@code error}, or the body), for logs; "" when fenced
 */
public record FenceReply(int status, boolean fenced, String state, String mode, long lsn, String message) {

    public static final String STOPPED = "stopped";
    public static final String NOT_RUNNING = "not running";
    public static final String NOT_PRIMARY = "not a primary";

    public FenceReply {
        message = message == null ? "" : message;
    }

    /** The reply to {@code r}; a body that is not the endpoint's JSON gives a reply that is not fenced. */
    static FenceReply of(AgentClient.Reply r) {
        JsonNode n = r.json();
        boolean fenced = r.status() == 200 && n.path("fenced").asBoolean(false);
        String state = n.hasNonNull("state") ? n.get("state").asText() : null;
        String mode = n.hasNonNull("mode") ? n.get("mode").asText() : null;
        long lsn = 0;
        if (n.hasNonNull("lsn")) {
            try {
                lsn = Lsn.parse(n.get("lsn").asText());
            } catch (RuntimeException e) {
                lsn = 0;
            }
        }
        return new FenceReply(r.status(), fenced, state, mode, lsn, fenced ? "" : r.message());
    }
}
