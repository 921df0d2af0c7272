package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.process.ProcessRunner.ProcessResult;
import dev.baton.agent.process.SystemProcessRunner;
import dev.baton.config.Authentication;
import dev.baton.config.BatonConfig;
import dev.baton.config.BootstrapConfig;
import dev.baton.config.Credentials;
import dev.baton.config.DynamicConfig;
import dev.baton.config.PgParameterRules;
import dev.baton.config.PostgresConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the renderers write, read back by PostgreSQL's own parsers: postgresql.conf values through
 * {@code postgres -C}, a conninfo through libpq ({@code psql}) and the pgpass file by logging in
 * with it, against a throwaway server on a free port. Also the catalog and probe against the
 * real binaries. Runs as an unprivileged user (PostgreSQL refuses root).
 */
class PgConfRoundTripIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final List<String> NASTY = List.of("", "C:\\arch\\", "\\", "'", "''", "it's", "\\'", "a\\nb",
            "#not a comment", "x' include_if_exists '/etc/passwd", " lead and trail ", "naïve ☃ 日本 😀",
            "test ! -f /a/%f && cp %p /a/%f", "$HOME `id` \"q\"", "=", "a = b", "\\\\\\");

    @TempDir
    Path tmp;

    private final SystemProcessRunner runner = new SystemProcessRunner();
    private final PgBinaries bin = PgBinaries.locate(null);

    /** {@code postgres -C baton_test.x} on a directory whose postgresql.conf Baton rendered with {@code value}. */
    private String readBack(Path dir, String value) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("postgresql.auto.conf"), "");
        Files.writeString(dir.resolve(PgConfRenderer.BASE_CONF), "");
        Files.writeString(dir.resolve("postgresql.conf"), PgConfRenderer.postgresqlConf(Map.of("baton_test.x", value)));
        ProcessResult r = runner.run(List.of(bin.path("postgres"), "-C", "baton_test.x", "-D", dir.toString()), TIMEOUT);
        assertTrue(r.ok(), r.output());
        assertTrue(r.output().endsWith("\n"), r.output());
        return r.output().substring(0, r.output().length() - 1);
    }

    @Test
    void nastyValuesReadBackThroughPostgresUnchanged() throws IOException {
        for (String v : NASTY) {
            assertEquals(v, readBack(tmp.resolve("nasty"), v));
        }
    }

    @Property(tries = 50)
    void anyValueIsRefusedOrReadsBackThroughPostgresUnchanged(@ForAll String value) throws IOException {
        Path dir = Files.createTempDirectory("baton-guc-");
        try {
            if (PgParameterRules.forbiddenCharacter(value).isPresent()) {
                assertThrows(IllegalArgumentException.class, () -> PgConfRenderer.postgresqlConf(Map.of("p", value)));
            } else {
                assertEquals(value, readBack(dir, value));
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Test
    void theCatalogAndTheProbeOfTheInstalledServer() {
        PgCatalog c = bin.catalog(runner);
        assertTrue(c.isKnown() && c.version() >= 130000, c.majorName());
        assertTrue(c.setting("wal_keep_size").isPresent());
        assertEquals(Optional.empty(), bin.probe(runner, "zero_damaged_pages", "on"), "a developer option");
        assertTrue(bin.probe(runner, "wal_keep_segments", "8").orElseThrow()
                .contains("unrecognized configuration parameter \"wal_keep_segments\""));
        assertTrue(bin.probe(runner, "block_size", "1").orElseThrow().contains("cannot be changed"));
        PgParameters.Planned p = PgParameters.plan(config(tmp, 5432, new Credentials("r", "p")), dynamic(
                Map.of("wal_keep_segments", "4", "enable_seqscan", "maybe")), false, null, null, c,
                (n, v) -> bin.probe(runner, n, v));
        assertEquals("64MB", p.parameters().get("wal_keep_size"));
        assertFalse(p.parameters().containsKey("enable_seqscan"));
        assertEquals(2, p.warnings().size(), p.warnings().toString());
    }

    /**
     * Issue 14: a quote in the replication user's name broke primary_conninfo. A server with a
     * replication role named with every character conninfo and pgpass escape; psql logs in as it
     * with the conninfo Baton renders, the password coming from the pgpass file.
     */
    @Test
    void aConninfoAndPgpassReadBackThroughLibpqAgainstARealServer() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Credentials repl = new Credentials("rep'l \\ user:x", "pw:with\\and'quote #");
        BatonConfig config = config(tmp, port, repl);
        LocalPostgres pg = new LocalPostgres(config, bin, runner);
        try {
            pg.initdb();
            pg.configure(false, null, dynamic(Map.of("log_line_prefix", "%m '[%p]' \\ ")));
            pg.start(TIMEOUT);
            pg.ensureReplicationRole();
            ProcessResult r = new PgConfFiles(config, pg.dataDir()).withConnection("127.0.0.1", port, repl, "postgres",
                    (conninfo, env) -> runner.run(List.of(bin.path("psql"), "-w", "-X", "-A", "-t", "-d", conninfo,
                            "-c", "SELECT current_user || '|' || current_setting('application_name') || '|' "
                                    + "|| current_setting('log_line_prefix')"), env, null, TIMEOUT));
            assertTrue(r.ok(), r.output());
            assertEquals(repl.username() + "|" + config.name() + "|%m '[%p]' \\ \n", r.output());
        } finally {
            if (pg.isRunning()) {
                pg.stop(PostgresController.StopMode.FAST, TIMEOUT);
            }
            pg.close();
        }
    }

    private static DynamicConfig dynamic(Map<String, String> parameters) {
        return TestConfigs.dynamic(new LinkedHashMap<>(parameters));
    }

    /** A node named with quotes and a backslash, on 127.0.0.1:{@code port}, data in {@code dir}/data. */
    private static BatonConfig config(Path dir, int port, Credentials replication) {
        PostgresConfig pg = new PostgresConfig("127.0.0.1:" + port, null, dir.resolve("data"), null,
                dir.resolve("it's a\\pgpass"), new Authentication(new Credentials("postgres", "su:pw\\'"), replication),
                Map.of(), List.of(), null, false, null);
        return new BatonConfig("demo", null, "node 'one' \\", null, null,
                new BootstrapConfig(DynamicConfig.defaults(), List.of(), List.of()), pg, null, null, null, null);
    }
}
