package dev.baton.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The etcd {@code config} key as one agent reads it: the configuration to run with and what was
 * wrong with the key. Anyone with write access to etcd can put anything there, so the reading is
 * lenient per key and never throws: a key whose value is invalid keeps its last good value (what
 * this agent last read from etcd; before any good read, the local {@code bootstrap.dcs} value)
 * and the other keys apply. A value that is not a JSON object keeps the whole last good
 * configuration. Patroni instead reads such a key as empty, which silently turns {@code pause}
 * and synchronous mode off.
 *
 * <p>{@code pause}, {@code synchronous_mode} and {@code synchronous_mode_strict} are never turned
 * off by an invalid value: it keeps the last good value, and before any good read it reads as
 * on (the side that takes no automatic action and loses no acknowledged commit).
 * {@code synchronous_mode: quorum} (Patroni 4's quorum commit) is read as quorum mode.
 *
 * <p>Pure: no I/O, no logging; the caller reports {@link #problems()} once each.
 *
 * @param dynamic  the configuration to use
 * @param problems one line per invalid value ("path: what is wrong; what is kept"), empty when valid
 * @param notes    keys read but ignored (unknown, or Patroni keys Baton does not implement)
 */
public record ConfigKeyReading(DynamicConfig dynamic, List<String> problems, List<String> notes) {

    /** At most this many problems are listed (a hostile key could hold thousands). */
    static final int MAX_PROBLEMS = 20;
    private static final int MAX_PROBLEM_CHARS = 300;
    private static final int MAX_PASSES = 4;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TIMING = List.of("ttl", "loop_wait", "retry_timeout");
    /** Keys that read another key's last good value. */
    private static final Map<String, String> ALIASES = Map.of("master_start_timeout", "primary_start_timeout");

    public ConfigKeyReading {
        problems = List.copyOf(problems);
        notes = List.copyOf(notes);
    }

    /** A valid key's reading: {@code dynamic}, no problem. */
    public static ConfigKeyReading valid(DynamicConfig dynamic) {
        return new ConfigKeyReading(dynamic, List.of(), List.of());
    }

    public boolean isValid() {
        return problems.isEmpty();
    }

    /**
     * Reads the key's value {@code json}.
     *
     * @param lastGood  what this agent last read from the key (the {@link #dynamic()} of its previous
     *                  reading), or null before the first read
     * @param bootstrap the local {@code bootstrap.dcs}: the last good values before any read
     */
    public static ConfigKeyReading of(String json, DynamicConfig lastGood, DynamicConfig bootstrap) {
        DynamicConfig fallback = lastGood != null ? lastGood : safeFlags(bootstrap);
        String kept = lastGood != null ? "keeping the last good configuration"
                : "using the local bootstrap.dcs with pause and synchronous mode on";
        JsonNode tree;
        try {
            tree = json == null || json.isBlank() ? null : JSON.readTree(json);
        } catch (JsonProcessingException e) {
            return whole(fallback, "config: not valid JSON (" + e.getOriginalMessage() + "); " + kept);
        }
        if (tree == null || !tree.isObject()) {
            return whole(fallback, "config: must be a JSON object, got "
                    + (tree == null ? "an empty value" : ConfigNode.describe(tree)) + "; " + kept);
        }
        ObjectNode work = tree.deepCopy();
        ObjectNode last = tree(fallback);
        Set<String> problems = new LinkedHashSet<>();
        for (int pass = 0; pass < MAX_PASSES; pass++) {
            Issues issues = new Issues();
            DynamicConfig read = DynamicConfig.read(new ConfigNode(work, "config", issues));
            if (issues.errors().isEmpty()) {
                return new ConfigKeyReading(read, capped(problems),
                        issues.warnings().stream().map(w -> clean(w.toString())).distinct().toList());
            }
            for (ConfigError e : issues.errors()) {
                problems.add(keepLastGood(work, last, e, lastGood != null));
            }
        }
        problems.add("config: still invalid with the last good values of its invalid keys; " + kept);
        return new ConfigKeyReading(fallback, capped(problems), List.of());
    }

    /** Replaces the value {@code e} is about with its last good value (removes it when none) and says so. */
    private static String keepLastGood(ObjectNode work, ObjectNode last, ConfigError e, boolean hasLastGood) {
        String keeping = hasLastGood ? "keeping the last good " : "read as ";
        List<String> chain = e.path().startsWith("config.") ? resolve(work, e.path().substring("config.".length())) : null;
        if (chain == null) {
            // A rule across keys (loop_wait + 2*retry_timeout <= ttl): keep the timing keys together.
            List<String> values = new ArrayList<>();
            for (String key : TIMING) {
                JsonNode v = last.get(key);
                work.set(key, v);
                values.add(key + " " + v);
            }
            return e + "; " + keeping + String.join(", ", values);
        }
        ObjectNode parent = work;
        JsonNode lastParent = last;
        for (String key : chain.subList(0, chain.size() - 1)) {
            parent = (ObjectNode) parent.get(key);
            lastParent = lastParent == null ? null : lastParent.get(key);
        }
        String key = chain.get(chain.size() - 1);
        JsonNode good = lastParent == null ? null : lastParent.get(ALIASES.getOrDefault(key, key));
        if (good == null || good.isMissingNode()) {
            parent.remove(key);
            return e + "; ignored (no last good value)";
        }
        parent.set(key, good.deepCopy());
        String shown = good.isObject() ? "the map" : good.toString();
        return e + "; " + (hasLastGood ? "keeping the last good " + (good.isObject() ? "" : "value ") + shown
                : "read as " + shown);
    }

    /**
     * The keys from {@code work} down to the value at {@code path} (dot-separated; parameter names
     * may contain dots themselves, so each step takes the longest key that fits), or null.
     */
    private static List<String> resolve(ObjectNode work, String path) {
        List<String> chain = new ArrayList<>();
        JsonNode node = work;
        String rest = path;
        while (node instanceof ObjectNode o) {
            String best = null;
            for (Iterator<String> it = o.fieldNames(); it.hasNext();) {
                String f = it.next();
                if ((rest.equals(f) || rest.startsWith(f + ".")) && (best == null || f.length() > best.length())) {
                    best = f;
                }
            }
            if (best == null) {
                return null;
            }
            chain.add(best);
            if (rest.equals(best)) {
                return chain;
            }
            node = o.get(best);
            rest = rest.substring(best.length() + 1);
            if (!(node instanceof ObjectNode)) {
                // A scalar or list where a map should be: the whole value is what is wrong.
                return chain;
            }
        }
        return null;
    }

    /** The configuration as a tree, the flags written out even when off. */
    private static ObjectNode tree(DynamicConfig c) {
        try {
            ObjectNode t = (ObjectNode) JSON.readTree(c.toJson());
            t.put("pause", c.pause());
            t.put("synchronous_mode_strict", c.synchronousModeStrict());
            t.put("synchronous_node_count", c.synchronousNodeCount());
            return t;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("DynamicConfig.toJson wrote invalid JSON", e);
        }
    }

    /** {@code c} with pause, synchronous_mode and synchronous_mode_strict on. */
    private static DynamicConfig safeFlags(DynamicConfig c) {
        return new DynamicConfig(c.ttl(), c.loopWait(), c.retryTimeout(), c.maximumLagOnFailover(),
                c.primaryStartTimeout(), c.usePgRewind(), c.useSlots(), c.parameters(), true, true, true,
                c.synchronousNodeCount(), c.maximumLagOnSyncnode(), c.slots());
    }

    private static ConfigKeyReading whole(DynamicConfig fallback, String problem) {
        return new ConfigKeyReading(fallback, List.of(clean(problem)), List.of());
    }

    private static List<String> capped(Set<String> problems) {
        List<String> out = new ArrayList<>();
        for (String p : problems) {
            if (out.size() == MAX_PROBLEMS) {
                out.add("config: " + (problems.size() - MAX_PROBLEMS) + " more problems not listed");
                break;
            }
            out.add(clean(p));
        }
        return out;
    }

    /** One line, control characters escaped, bounded: the text goes to logs, JSON and terminals. */
    static String clean(String s) {
        return Untrusted.shown(s, MAX_PROBLEM_CHARS);
    }
}
