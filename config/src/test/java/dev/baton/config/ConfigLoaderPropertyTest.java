package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Whatever a configuration file or the environment holds, the loader answers with a config or
 * with errors naming keys; it never throws, and an error never carries a stack trace or a
 * Java class name. Each try replaces one setting of a valid file with an arbitrary value.
 */
class ConfigLoaderPropertyTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** Every path (a list of map keys and list indexes) under the sample's root. */
    private static final List<List<Object>> PATHS = paths(sample(), new ArrayList<>(), new ArrayList<>());

    private static JsonNode sample() {
        try {
            return new YAMLMapper().readTree(ConfigLoaderTest.SAMPLE);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<List<Object>> paths(JsonNode n, List<Object> here, List<List<Object>> out) {
        if (!here.isEmpty()) {
            out.add(List.copyOf(here));
        }
        if (n.isObject()) {
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                here.add(f);
                paths(n.get(f), here, out);
                here.remove(here.size() - 1);
            }
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                here.add(i);
                paths(n.get(i), here, out);
                here.remove(here.size() - 1);
            }
        }
        return out;
    }

    @Provide
    Arbitrary<List<Object>> paths() {
        return Arbitraries.of(PATHS);
    }

    @Provide
    Arbitrary<JsonNode> values() {
        Arbitrary<JsonNode> strings = Arbitraries.strings().ofMaxLength(40).map(F::textNode);
        Arbitrary<JsonNode> nasty = Arbitraries.of("", " ", "'", "\"", "\\", "\n", "\u0000", "x\ny", "${HOME}",
                "-1", "0", "99999999999999999999", "1e400", "NaN", "true", "*", "::", "[::1]:0", "host:99999",
                "a'b\\", "include_dir 'x'", "/etc/passwd").map(F::textNode);
        Arbitrary<JsonNode> numbers = Arbitraries.oneOf(
                Arbitraries.longs().map(F::numberNode),
                Arbitraries.doubles().map(F::numberNode),
                Arbitraries.of(Long.MAX_VALUE, Long.MIN_VALUE, 0L, -1L, (long) Integer.MAX_VALUE + 1).map(F::numberNode));
        Arbitrary<JsonNode> scalars = Arbitraries.oneOf(strings, nasty, numbers,
                Arbitraries.of(F.booleanNode(true), F.booleanNode(false), F.nullNode()));
        Arbitrary<JsonNode> lists = scalars.list().ofMaxSize(3).map(l -> {
            ArrayNode a = F.arrayNode();
            l.forEach(a::add);
            return a;
        });
        Arbitrary<JsonNode> maps = Arbitraries.maps(Arbitraries.strings().ofMaxLength(8), scalars).ofMaxSize(3)
                .map(m -> {
                    ObjectNode o = F.objectNode();
                    m.forEach(o::set);
                    return o;
                });
        return Arbitraries.oneOf(scalars, scalars, lists, maps);
    }

    @Property(tries = 500)
    void oneArbitrarySettingGivesAConfigOrErrorsNeverAnException(@ForAll("paths") List<Object> path,
                                                                 @ForAll("values") JsonNode value) throws Exception {
        JsonNode root = sample();
        set(root, path, value);
        LoadResult r = new ConfigLoader(Map.of()).loadString(JSON.writeValueAsString(root));
        assertSane(r, path + " = " + value);
    }

    @Property(tries = 300)
    void arbitraryEnvironmentOverridesGiveAConfigOrErrors(@ForAll("envNames") String name,
                                                         @ForAll("values") JsonNode value) {
        String text = value.isTextual() ? value.textValue() : value.toString();
        LoadResult r = new ConfigLoader(Map.of(name, text)).loadString(ConfigLoaderTest.SAMPLE);
        assertSane(r, name + "=" + text);
    }

    @Provide
    Arbitrary<String> envNames() {
        return Arbitraries.of("BATON_SCOPE", "BATON_NAME", "BATON_NAMESPACE", "BATON_RESTAPI_LISTEN",
                "BATON_RESTAPI_CONNECT_ADDRESS", "BATON_ETCD3_HOSTS", "BATON_POSTGRESQL_LISTEN",
                "BATON_POSTGRESQL_DATA_DIR", "BATON_SUPERUSER_PASSWORD", "BATON_REPLICATION_USERNAME",
                "PATRONI_SCOPE", "PATRONI_NAME", "PATRONI_RESTAPI_LISTEN", "PATRONI_ETCD3_HOSTS",
                "PATRONI_POSTGRESQL_LISTEN", "PATRONI_POSTGRESQL_DATA_DIR", "PATRONI_SUPERUSER_USERNAME",
                "PATRONI_REPLICATION_PASSWORD", "PATRONI_LOG_LEVEL");
    }

    @Property(tries = 300)
    void arbitraryTextGivesErrorsNeverAnException(@ForAll String text) {
        assertSane(new ConfigLoader(Map.of()).loadString(text), text);
    }

    private static void assertSane(LoadResult r, String what) {
        assertNotNull(r, what);
        assertTrue(r.ok() == (r.config() != null), what);
        for (ConfigError e : r.errors()) {
            assertNotNull(e.path(), what);
            assertFalse(e.message() == null || e.message().isBlank(), what);
            assertFalse(e.message().contains("Exception") || e.message().contains("\tat "),
                    "an error shows Java internals for " + what + ": " + e.message());
        }
    }

    private static void set(JsonNode root, List<Object> path, JsonNode value) {
        JsonNode parent = root;
        for (int i = 0; i < path.size() - 1; i++) {
            Object step = path.get(i);
            parent = step instanceof String s ? parent.get(s) : parent.get((Integer) step);
        }
        Object last = path.get(path.size() - 1);
        if (last instanceof String s) {
            ((ObjectNode) parent).set(s, value);
        } else {
            ((ArrayNode) parent).set((Integer) last, value);
        }
    }
}
