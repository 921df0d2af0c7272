package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.PostgresController.Upstream;
import dev.baton.config.BatonConfig;
import dev.baton.config.Credentials;
import dev.baton.config.DynamicConfig;
import dev.baton.config.PostgresConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files as written: what is kept, what is replaced, and what is refused before anything is written. */
class PgConfFilesTest {
    @TempDir
    Path tmp;

    private Path data() throws Exception {
        return Files.createDirectories(tmp.resolve("data"));
    }

    @Test
    void initdbsConfIsMovedAsideOnceAndBatonsOwnIsReplaced() throws Exception {
        Path data = data();
        Files.writeString(data.resolve("postgresql.conf"), "shared_buffers = 128MB\n");
        PgConfFiles files = new PgConfFiles(TestConfigs.node(tmp), data);
        files.configure(false, null, DynamicConfig.defaults());
        files.configure(true, null, DynamicConfig.defaults());
        assertEquals("shared_buffers = 128MB\n", Files.readString(data.resolve("postgresql.base.conf")));
        String conf = Files.readString(data.resolve("postgresql.conf"));
        assertTrue(conf.startsWith(PgConfRenderer.HEADER + "\ninclude 'postgresql.base.conf'\n"), conf);
        assertTrue(conf.endsWith("recovery_target_timeline = 'latest'\n"), conf);
        assertTrue(Files.exists(data.resolve("standby.signal")));
        try (var s = Files.list(data)) {
            assertFalse(s.anyMatch(p -> p.toString().endsWith("tmp")), "no temporary file is left");
        }
    }

    @Test
    void aHostileParameterNameIsRefusedAndNothingIsWritten() throws Exception {
        Path data = data();
        PgConfFiles files = new PgConfFiles(TestConfigs.node(tmp, Map.of("x = 1\ninclude_if_exists", "/etc/passwd"),
                List.of(), List.of()), data);
        PostgresException e = assertThrows(PostgresException.class,
                () -> files.configure(false, null, DynamicConfig.defaults()));
        assertTrue(e.getMessage().contains("\"x = 1?include_if_exists\" is not a PostgreSQL parameter name"),
                e.getMessage());
        assertFalse(Files.exists(data.resolve("postgresql.conf")));
        assertFalse(Files.exists(data.resolve(PgConfRenderer.BASE_CONF)), "nothing is touched before the refusal");
    }

    @Test
    void hostileValuesAndAQuotedReplicationUserStayInsideTheirLiterals() throws Exception {
        Path data = data();
        BatonConfig config = TestConfigs.node(tmp, TestConfigs.SUPERUSER, new Credentials("rep'l\\", "pw"),
                Map.of("archive_command", "copy %p C:\\arch\\", "log_line_prefix", "%m '[%p] "), List.of(), List.of());
        new PgConfFiles(config, data).configure(true, new Upstream("10.0.0.2", 5432, "node1"), DynamicConfig.defaults());
        Map<String, String> read = PgConfRendererTest.GucFile.parse(Files.readString(data.resolve("postgresql.conf")));
        assertEquals("copy %p C:\\arch\\", read.get("archive_command"));
        assertEquals("%m '[%p] ", read.get("log_line_prefix"));
        assertEquals("rep'l\\", PgConfRendererTest.Conninfo.parse(read.get("primary_conninfo")).get("user"));
    }

    @Test
    void aValueWithALineBreakIsRefusedNamingTheParameterAndNothingIsWritten() throws Exception {
        Path data = data();
        PgConfFiles files = new PgConfFiles(TestConfigs.node(tmp, Map.of("log_line_prefix", "%m\n[%p] "),
                List.of(), List.of()), data);
        PostgresException e = assertThrows(PostgresException.class,
                () -> files.configure(false, null, DynamicConfig.defaults()));
        assertTrue(e.getMessage().contains("log_line_prefix contains the control character U+000A"), e.getMessage());
        assertFalse(Files.exists(data.resolve("postgresql.conf")));
    }

    @Test
    void theConfiguredPgHbaIsWrittenAtEveryConfigure() throws Exception {
        Path data = data();
        new PgConfFiles(TestConfigs.node(tmp, Map.of(), List.of("local all all peer"), List.of()), data)
                .configure(false, null, DynamicConfig.defaults());
        assertEquals(PgConfRenderer.HEADER + "\nlocal all all peer\n", Files.readString(data.resolve("pg_hba.conf")));
        new PgConfFiles(TestConfigs.node(tmp), data).configure(false, null, DynamicConfig.defaults());
        assertEquals(PgConfRenderer.HEADER + "\nlocal all all peer\n", Files.readString(data.resolve("pg_hba.conf")),
                "without pg_hba in the configuration, the file is left as it is");
    }

    @Test
    void thePgpassFileDefaultsToBesideTheDataDirectory() throws Exception {
        Path data = data();
        BatonConfig c = TestConfigs.node(tmp);
        PostgresConfig pg = c.postgresql();
        BatonConfig noPgpass = new BatonConfig(c.scope(), c.namespace(), c.name(), c.restapi(), c.etcd(), c.bootstrap(),
                new PostgresConfig(pg.listen(), null, pg.dataDir(), null, null, pg.authentication(), Map.of(), List.of(),
                        null, false, null), null, null, null, null);
        PgConfFiles files = new PgConfFiles(noPgpass, data);
        assertEquals(tmp.resolve(".data.pgpass"), files.pgpass());
        files.writePgpass();
        assertEquals("*:*:*:replicator:rep-pw\n*:*:*:postgres:su-pw\n", Files.readString(tmp.resolve(".data.pgpass")));
    }
}
