package dev.baton.config;

import static dev.baton.config.ConfigLoaderTest.MINIMAL;
import static dev.baton.config.ConfigLoaderTest.errorPaths;
import static dev.baton.config.ConfigLoaderTest.load;
import static dev.baton.config.ConfigLoaderTest.message;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Control characters and the parameters Baton owns are refused from every source of parameters,
 * with the key path: the YAML's two places and the etcd config key (so edit-config too).
 */
class PgParameterRulesTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "listen_addresses | 0.0.0.0",
        "port              | 5433",
        "PORT              | 5433",
        "cluster_name      | other",
        "data_directory    | /tmp",
        "hba_file          | /etc/hba",
        "ident_file        | /etc/ident",
        "config_file       | /etc/pg.conf",
        "hot_standby       | off",
        "primary_conninfo  | host=evil",
        "primary_slot_name | evil",
        "recovery_target_time | 2026-01-01",
        "recovery_target_timeline | 1",
        "promote_trigger_file | /tmp/promote"})
    void parametersBatonOwnsAreRefused(String name, String value) {
        Optional<String> p = PgParameterRules.ownedProblem(name, value);
        assertTrue(p.isPresent(), name);
        assertTrue(p.get().startsWith("is set by Baton"), p.get());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "hot_standby     | on",
        "hot_standby     | true",
        "restore_command | cp /a/%f %p",
        "archive_cleanup_command | pg_archivecleanup /a %r",
        "recovery_min_apply_delay | 1h",
        "wal_level       | logical",
        "shared_buffers  | 1GB"})
    void operatorsParametersAreAllowed(String name, String value) {
        assertEquals(Optional.empty(), PgParameterRules.ownedProblem(name, value));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\nb", "C:\\arch\\\n", "\r", "x\0", "tab\there", "del\u007f", "\u001b[31m"})
    void controlCharactersAreRefusedAndNamedByTheirCode(String value) {
        String p = PgParameterRules.valueProblem(value).orElseThrow();
        assertTrue(p.matches("contains the control character U\\+00[0-9A-F]{2}; .*"), p);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "C:\\arch\\", "it's", "naïve ☃", "test ! -f /a/%f && cp %p /a/%f", "\u0080"})
    void otherValuesAreAllowed(String value) {
        assertEquals(Optional.empty(), PgParameterRules.valueProblem(value));
    }

    @Property
    void aValueIsRefusedExactlyWhenItHoldsAControlCharacterOrIsNotUnicode(@ForAll String value) {
        boolean control = value.chars().anyMatch(c -> c < 0x20 || c == 0x7f);
        boolean encodable = java.nio.charset.StandardCharsets.UTF_8.newEncoder().canEncode(value);
        assertEquals(control || !encodable, PgParameterRules.valueProblem(value).isPresent(), value);
    }

    @Test
    void halfASurrogatePairIsRefused() {
        assertEquals("contains the unpaired surrogate U+D800; parameter values may not contain control characters",
                PgParameterRules.valueProblem("a\ud800b").orElseThrow());
        assertEquals(Optional.empty(), PgParameterRules.valueProblem("\ud83d\ude00"));
    }

    @Test
    void theYamlRefusesThemInBothPlacesWithTheKeyPath() {
        LoadResult r = load(MINIMAL.replace("postgresql: {listen: '*:5432', data_dir: /var/lib/pg/data}\n", """
                postgresql:
                  listen: '*:5432'
                  data_dir: /var/lib/pg/data
                  parameters: {port: 5433, archive_command: "cp %p /a/%f\\n", work_mem: 4MB}
                bootstrap:
                  dcs:
                    postgresql:
                      parameters: {hba_file: /etc/hba.conf, hot_standby: on, log_line_prefix: "a\\rb"}
                """));
        assertEquals(Set.of("postgresql.parameters.port", "postgresql.parameters.archive_command",
                "bootstrap.dcs.postgresql.parameters.hba_file", "bootstrap.dcs.postgresql.parameters.log_line_prefix"),
                errorPaths(r), r.errors().toString());
        assertTrue(message(r, "postgresql.parameters.port").contains("postgresql.listen"));
        assertEquals("contains the control character U+000A; parameter values may not contain control characters",
                message(r, "postgresql.parameters.archive_command"));
    }

    @Test
    void theEtcdConfigKeyRefusesThemToo() throws ConfigException {
        ConfigException e = assertThrows(ConfigException.class, () -> DynamicConfig.fromJson(
                "{\"postgresql\": {\"parameters\": {\"listen_addresses\": \"*\", \"archive_command\": \"x\\\\\\n\"}}}"));
        assertEquals(Set.of("config.postgresql.parameters.listen_addresses", "config.postgresql.parameters.archive_command"),
                Set.copyOf(e.errors().stream().map(ConfigError::path).toList()));
        assertEquals(Map.of("hot_standby", "on", "archive_command", "copy %p C:\\arch\\"), DynamicConfig.fromJson(
                "{\"postgresql\": {\"parameters\": {\"hot_standby\": true, \"archive_command\": \"copy %p C:\\\\arch\\\\\"}}}")
                .parameters());
        assertFalse(PgParameterRules.isOwned("archive_command"));
    }
}
