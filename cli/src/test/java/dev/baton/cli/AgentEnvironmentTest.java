package dev.baton.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.ConfigLoader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code baton agent} without {@code -c}: the environment as Patroni reads it, or a clear exit 2. */
class AgentEnvironmentTest {
    private final StringWriter warnings = new StringWriter();
    private final PrintWriter err = new PrintWriter(warnings, true);

    private static final String YAML = """
            scope: demo
            name: node1
            restapi: {listen: 127.0.0.1:8008}
            etcd3: {host: 127.0.0.1:2379}
            postgresql: {listen: 127.0.0.1:5432, data_dir: /tmp/d}
            """;

    @Test
    void nothingGivenIsExit2SayingWhatToGive() {
        ExitException e = assertThrows(ExitException.class,
                () -> ConfigSupport.loadForAgent(null, new ConfigLoader(Map.of("HOME", "/root")), err));
        assertEquals(2, e.code());
        assertTrue(e.getMessage().startsWith("no configuration: give -c FILE, or set PATRONI_CONFIGURATION"),
                e.getMessage());
    }

    @Test
    void patroniConfigurationHoldsTheWholeConfiguration() {
        ConfigLoader.Loaded l = ConfigSupport.loadForAgent(null,
                new ConfigLoader(Map.of("PATRONI_CONFIGURATION", YAML)), err);
        assertEquals("node1", l.result().config().name());
        assertEquals("node1", l.tree().get("name").asText(), "kept for the reload");
    }

    @Test
    void theVariablesAloneConfigureANodeAsInPatroni() {
        Map<String, String> env = Map.of("PATRONI_SCOPE", "demo", "PATRONI_NAME", "envnode",
                "PATRONI_RESTAPI_LISTEN", "127.0.0.1:8008", "PATRONI_ETCD3_HOSTS", "127.0.0.1:2379",
                "PATRONI_POSTGRESQL_LISTEN", "127.0.0.1:5432", "PATRONI_POSTGRESQL_DATA_DIR", "/tmp/d");
        ConfigLoader.Loaded l = ConfigSupport.loadForAgent(null, new ConfigLoader(env), err);
        assertTrue(l.result().ok(), l.result().errors()::toString);
        assertEquals("envnode", l.result().config().name());
    }

    @Test
    void anIncompleteEnvironmentIsExit2NamingTheKeys() {
        ExitException e = assertThrows(ExitException.class, () -> ConfigSupport.loadForAgent(null,
                new ConfigLoader(Map.of("PATRONI_NAME", "n1")), err));
        assertEquals(2, e.code());
        assertTrue(e.getMessage().startsWith("invalid configuration in the environment"), e.getMessage());
        assertTrue(e.getMessage().contains("scope"), e.getMessage());
    }
}
