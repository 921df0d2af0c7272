package dev.baton.agent.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.config.ConfigError;
import dev.baton.config.ConfigPatch;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.VersionedValue;
import java.util.List;
import java.util.logging.Logger;

/**
 * {@code PATCH /config} and {@code PUT /config}, Patroni's way of changing the dynamic
 * configuration over REST ({@code patronictl pause} and {@code resume} send
 * {@code PATCH /config {"pause": true}} and {@code {"pause": null}}).
 *
 * <ul>
 *   <li>{@code PATCH /config}: the body, a non-empty JSON object, is merged into the {@code config}
 *       key ({@link ConfigPatch#merge}: maps recursively, {@code null} removes) and written by
 *       compare-and-set on the mod revision read. 200 with the new configuration (unchanged: 200
 *       without a write); 400 for a bad body or a result Baton would refuse, naming the key (problems
 *       the key already had do not count: they do not block an unrelated change); 409 when the key
 *       changed meanwhile (Patroni's status), or holds no JSON object (use PUT); 503 when there is no
 *       key yet (Patroni's status).</li>
 *   <li>{@code PUT /config}: the body replaces the key. As in Patroni there is no version check: a
 *       lost race is retried with the new revision (up to {@link #PUT_ATTEMPTS} times, then 409).
 *       200 with the configuration written; 400 for a bad body or a configuration Baton would
 *       refuse (every problem counts); 503 without a key.</li>
 * </ul>
 * Nothing is written unless the answer is 200. Errors are {@code {"error": "...", "problems": [...]}}.
 * The watch does not report this agent's own writes, so a write wakes its loop.
 */
final class ConfigAction {
    private static final Logger LOG = Logger.getLogger(ConfigAction.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Lost compare-and-set races PUT retries before it answers 409. */
    static final int PUT_ATTEMPTS = 5;
    static final String NO_KEY = "the cluster has no config key yet (it is not bootstrapped)";
    static final String CHANGED = "the config key changed while this request was applied (another writer); "
            + "nothing was written: read it and try again";

    private final ClusterStore store;

    ConfigAction(ClusterStore store) {
        this.store = store;
    }

    /** PATCH /config. */
    RestApi.Answer patch(String body) {
        ObjectNode patch;
        try {
            patch = document(body);
        } catch (Refused r) {
            return r.answer;
        }
        VersionedValue key = store.read().config();
        if (key == null) {
            return error(503, NO_KEY, List.of());
        }
        ObjectNode current = current(key);
        if (current == null) {
            return error(409, "the config key holds no JSON object: replace it with PUT /config", List.of());
        }
        ObjectNode merged = ConfigPatch.merge(current, patch);
        if (merged.equals(current)) {
            return new RestApi.Answer(200, merged.toString());
        }
        List<ConfigError> problems = ConfigPatch.newProblems(current, merged);
        if (!problems.isEmpty()) {
            return refused(problems);
        }
        if (!store.casConfig(merged.toString(), key.modRevision())) {
            return error(409, CHANGED, List.of());
        }
        written("PATCH", patch);
        return new RestApi.Answer(200, merged.toString());
    }

    /** PUT /config. */
    RestApi.Answer put(String body) {
        ObjectNode replacement;
        try {
            replacement = document(body);
        } catch (Refused r) {
            return r.answer;
        }
        List<ConfigError> problems = ConfigPatch.problems(replacement);
        if (!problems.isEmpty()) {
            return refused(problems);
        }
        for (int attempt = 0; attempt < PUT_ATTEMPTS; attempt++) {
            VersionedValue key = store.read().config();
            if (key == null) {
                return error(503, NO_KEY, List.of());
            }
            if (replacement.equals(current(key))) {
                return new RestApi.Answer(200, replacement.toString());
            }
            if (store.casConfig(replacement.toString(), key.modRevision())) {
                written("PUT", replacement);
                return new RestApi.Answer(200, replacement.toString());
            }
        }
        return error(409, CHANGED, List.of());
    }

    /** The body as a non-empty JSON object of a sane shape, or the 400. */
    private static ObjectNode document(String body) {
        RestRequests.Parsed<JsonNode> parsed = RestRequests.object(body);
        if (parsed instanceof RestRequests.Parsed.Bad<JsonNode> bad) {
            throw new Refused(error(400, bad.message(), List.of()));
        }
        ObjectNode doc = (ObjectNode) ((RestRequests.Parsed.Ok<JsonNode>) parsed).value();
        if (doc.isEmpty()) {
            throw new Refused(error(400, "the request body must be a non-empty JSON object, e.g. {\"pause\": true}",
                    List.of()));
        }
        List<ConfigError> shape = ConfigPatch.shapeProblems(doc);
        if (!shape.isEmpty()) {
            throw new Refused(refused(shape));
        }
        return doc;
    }

    /** The key's value as an object ("" is an empty one), or null when it is not a JSON object. */
    private static ObjectNode current(VersionedValue key) {
        if (key.value() == null || key.value().isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(key.value()) instanceof ObjectNode o ? o : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    private void written(String method, ObjectNode document) {
        store.wakeUp();
        String text = document.toString();
        LOG.info(method + " /config wrote the config key: " + (text.length() > 500 ? text.substring(0, 500) + "…" : text));
    }

    private static RestApi.Answer refused(List<ConfigError> problems) {
        List<String> lines = problems.stream().map(ConfigError::toString).toList();
        return error(400, "refused, nothing was written: " + String.join("; ", lines), lines);
    }

    private static RestApi.Answer error(int status, String message, List<String> problems) {
        ObjectNode n = JSON.createObjectNode();
        n.put("error", message);
        if (!problems.isEmpty()) {
            problems.forEach(n.putArray("problems")::add);
        }
        return new RestApi.Answer(status, n.toString());
    }

    /** A request refused before the store is read. */
    private static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient RestApi.Answer answer;

        Refused(RestApi.Answer answer) {
            super(null, null, false, false);
            this.answer = answer;
        }
    }
}
