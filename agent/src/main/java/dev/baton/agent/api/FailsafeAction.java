package dev.baton.agent.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.agent.ha.FailsafeState;
import dev.baton.agent.ha.NodeState;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * {@code GET /failsafe} and {@code POST /failsafe}, as Patroni's. GET answers the
 * {@code failsafe} key as this node last read it (502 when failsafe_mode is off or the key is
 * absent or unreadable). POST comes from a primary that lost the cluster store and asks whether it
 * may keep running: a node that does not run as a primary answers 200 "Accepted" and remembers
 * it (it will not race for the leader key for ttl after it); a primary answers 500 "Running as a
 * leader"; 502 when failsafe_mode is off; 400 when the body is not Patroni's document.
 */
public final class FailsafeAction {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String ACCEPTED = "Accepted";
    /** Member names and URLs: bounded, so that a body cannot make the memory or the logs grow. */
    private static final int MAX_TEXT = 1024;
    private static final int MAX_SLOTS = 1000;

    private final FailsafeState state;
    private final Supplier<NodeState> node;
    private final LongSupplier ticker;

    public FailsafeAction(FailsafeState state, Supplier<NodeState> node, LongSupplier ticker) {
        this.state = state;
        this.node = node;
        this.ticker = ticker;
    }

    public RestApi.Answer get() {
        Map<String, String> t = state.topology();
        if (!state.mode() || t == null) {
            return new RestApi.Answer(502, error(state.mode() ? "the failsafe key is absent or not readable"
                    : "failsafe_mode is not enabled"));
        }
        ObjectNode o = JSON.createObjectNode();
        t.forEach(o::put);
        return new RestApi.Answer(200, o.toString());
    }

    public RestApi.Answer post(String body) {
        if (!state.mode()) {
            return new RestApi.Answer(502, error("failsafe_mode is not enabled"));
        }
        FailsafeState.Ack ack;
        try {
            ack = parse(body, ticker.getAsLong());
        } catch (IllegalArgumentException e) {
            return new RestApi.Answer(400, error(e.getMessage()));
        }
        NodeState s = node.get();
        if (s != null && s.local() != null && s.local().pg() != null && s.local().pg().runningAsPrimary()) {
            return new RestApi.Answer(500, "Running as a leader");
        }
        state.accepted(ack);
        return new RestApi.Answer(200, ACCEPTED);
    }

    /** Patroni's body: {@code name} (required), {@code conn_url}, {@code api_url}, {@code slots} {name: LSN}. */
    static FailsafeState.Ack parse(String body, long now) {
        JsonNode n;
        try {
            n = body == null || body.isBlank() ? null : JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the body is not valid JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("the body must be a JSON object with the primary's name");
        }
        String name = text(n, "name", true);
        String api = text(n, "api_url", false);
        String conn = text(n, "conn_url", false);
        Map<String, Long> slots = new LinkedHashMap<>();
        JsonNode s = n.get("slots");
        if (s != null && !s.isNull()) {
            if (!s.isObject() || s.size() > MAX_SLOTS) {
                throw new IllegalArgumentException("slots must be an object of at most " + MAX_SLOTS
                        + " slot names to LSNs");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = s.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().canConvertToLong() || e.getValue().asLong() < 0 || e.getKey().length() > MAX_TEXT) {
                    throw new IllegalArgumentException("slots." + RestApi.printable(e.getKey())
                            + " must be a non-negative LSN (bytes)");
                }
                slots.put(e.getKey(), e.getValue().asLong());
            }
        }
        return new FailsafeState.Ack(name, api, conn, slots, now);
    }

    private static String text(JsonNode n, String field, boolean required) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new IllegalArgumentException(field + " is required");
            }
            return null;
        }
        if (!v.isTextual() || v.textValue().isBlank() || v.textValue().length() > MAX_TEXT) {
            throw new IllegalArgumentException(field + " must be a non-empty string of at most " + MAX_TEXT
                    + " characters");
        }
        return v.textValue();
    }

    private static String error(String message) {
        ObjectNode o = JSON.createObjectNode();
        o.put("error", message);
        return o.toString();
    }
}
