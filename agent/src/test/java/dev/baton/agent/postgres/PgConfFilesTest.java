package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.PostgresController.Upstream;
import dev.baton.config.Authentication;
import dev.baton.config.BatonConfig;
import dev.baton.config.Credentials;
import dev.baton.config.DynamicConfig;
import dev.baton.config.PostgresConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
    void withABackupRepositoryThePgpassFileHasTheSocketDirectoryAndPgHbaTheLocalPasswordLine() throws Exception {
        Path data = data();
        BatonConfig c = TestConfigs.withBackup(TestConfigs.node(tmp));
        PgConfFiles files = new PgConfFiles(c, data);
        files.writePgpass();
        assertEquals("127.0.0.1:5432:*:postgres:su-pw\n" + pgpassHost(tmp.resolve("data.sock")) + ":5432:*:postgres:su-pw\n",
                Files.readString(c.postgresql().pgpass()));
        assertTrue(files.hbaText(List.of(), DynamicConfig.defaults())
                .contains("local   all          postgres  scram-sha-256\nlocal   all          all"));
        assertFalse(new PgConfFiles(TestConfigs.node(tmp), data).hbaText(List.of(), DynamicConfig.defaults())
                .contains("scram-sha-256\nlocal"));
    }

    private static String pgpassHost(Path p) {
        return PgConfRenderer.pgpassField(p.toString());
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
        assertEquals("127.0.0.1:5432:*:postgres:su-pw\n", Files.readString(tmp.resolve(".data.pgpass")));
    }

    @Test
    void thePgpassFileFollowsTheUpstreamBeforePrimaryConninfoNamesItAndKeepsItsMode() throws Exception {
        Path data = data();
        BatonConfig c = TestConfigs.node(tmp, TestConfigs.SUPERUSER, TestConfigs.REPLICATION, Map.of(), List.of(),
                List.of());
        BatonConfig withRewind = new BatonConfig(c.scope(), c.namespace(), c.name(), c.restapi(), c.etcd(),
                c.bootstrap(), new PostgresConfig(c.postgresql().listen(), null, c.postgresql().dataDir(), null,
                c.postgresql().pgpass(), new Authentication(TestConfigs.SUPERUSER, TestConfigs.REPLICATION,
                new Credentials("rewinder", "rw-pw")), Map.of(), List.of(), null, false, null), null, null, null, null);
        PgConfFiles files = new PgConfFiles(withRewind, data);
        Path pgpass = c.postgresql().pgpass();
        files.configure(true, new Upstream("10.0.0.2", 5432, "node1"), DynamicConfig.defaults());
        assertEquals("127.0.0.1:5432:*:postgres:su-pw\n10.0.0.2:5432:*:replicator:rep-pw\n"
                + "10.0.0.2:5432:*:rewinder:rw-pw\n", Files.readString(pgpass));
        Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-r--r--"));
        files.configure(true, new Upstream("10.0.0.3", 5433, "node1"), DynamicConfig.defaults());
        assertEquals("127.0.0.1:5432:*:postgres:su-pw\n10.0.0.3:5433:*:replicator:rep-pw\n"
                + "10.0.0.3:5433:*:rewinder:rw-pw\n", Files.readString(pgpass), "the new upstream replaces the old");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(pgpass)));
        Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-r--r--"));
        files.writePgpass();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(pgpass)),
                "an unchanged file with the wrong mode is fixed");
        files.withConnection("10.0.0.9", 5434, withRewind.postgresql().authentication().rewindUser(), "postgres",
                (conninfo, env) -> {
                    try {
                        assertTrue(Files.readString(pgpass).contains("10.0.0.3:5433:*:replicator:rep-pw\n"
                                + "10.0.0.3:5433:*:rewinder:rw-pw\n10.0.0.9:5434:*:replicator:rep-pw\n"
                                + "10.0.0.9:5434:*:rewinder:rw-pw\n"), "the upstream's entries stay");
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    assertEquals(Map.of("PGPASSFILE", pgpass.toString()), env);
                    return null;
                });
        String conf = Files.readString(data.resolve("postgresql.conf"));
        assertTrue(conf.contains("primary_conninfo = 'host=''10.0.0.3'' port=5433 user=''replicator''"), conf);
    }

    @Test
    void theReplicationUsersTlsOptionsGoIntoPrimaryConninfoAndAKeyPasswordIntoAServiceFileForTools()
            throws Exception {
        Path data = data();
        Credentials repl = new Credentials("replicator", "rep-pw", Map.of("sslmode", "verify-full",
                "sslrootcert", "/ca.crt", "sslpassword", "k3y"));
        PgConfFiles files = new PgConfFiles(TestConfigs.node(tmp, TestConfigs.SUPERUSER, repl, Map.of(), List.of(),
                List.of()), data);
        files.configure(true, new Upstream("10.0.0.2", 5432, null), DynamicConfig.defaults());
        Map<String, String> read = PgConfRendererTest.GucFile.parse(Files.readString(data.resolve("postgresql.conf")));
        Map<String, String> ci = PgConfRendererTest.Conninfo.parse(read.get("primary_conninfo"));
        assertEquals("verify-full", ci.get("sslmode"));
        assertEquals("/ca.crt", ci.get("sslrootcert"));
        assertEquals("k3y", ci.get("sslpassword"), "the WAL receiver has no other way to get it (as in Patroni)");
        Path service = tmp.resolve(".pgpass_node1.service");
        String argvConninfo = files.withConnection("10.0.0.2", 5432, repl, null, (conninfo, env) -> {
            assertEquals(service.toString(), env.get("PGSERVICEFILE"));
            try {
                assertEquals("[baton]\nsslpassword=k3y\n", Files.readString(service));
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(service)));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return conninfo;
        });
        assertFalse(argvConninfo.contains("k3y"), argvConninfo);
        assertTrue(argvConninfo.endsWith("sslmode='verify-full' sslrootcert='/ca.crt' service=baton"), argvConninfo);
        assertFalse(Files.exists(service), "the service file lives only while the tool runs");
    }

    @ParameterizedTest
    @CsvSource({"on, true", "ON, true", "yes, true", "1, true", "true, true", "off, false", "0, false"})
    void theDefaultPgHbaUsesHostsslWhenTheParametersTurnSslOn(String value, boolean ssl) throws Exception {
        BatonConfig c = TestConfigs.node(tmp, Map.of("SSL", value), List.of(), List.of());
        assertEquals(ssl, PgConfFiles.sslOn(c, DynamicConfig.defaults()));
        assertEquals(ssl, new PgConfFiles(c, data()).hbaText(List.of(), DynamicConfig.defaults())
                .contains("hostssl replication"));
        assertEquals(ssl, PgConfFiles.sslOn(TestConfigs.node(tmp, Map.of(), List.of(), List.of()),
                TestConfigs.dynamic(Map.of("ssl", value))), "the cluster's, when the node says nothing");
        assertEquals(false, PgConfFiles.sslOn(c, TestConfigs.dynamic(Map.of("ssl", "on"))) && !ssl,
                "the node's wins");
    }
}
