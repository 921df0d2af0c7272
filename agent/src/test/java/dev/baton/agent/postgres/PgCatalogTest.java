package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.PgCatalog.Context;
import dev.baton.agent.postgres.PgCatalog.Setting;
import dev.baton.agent.postgres.PgCatalog.Type;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The parser of {@code postgres --version} and {@code --describe-config}, on the output of PostgreSQL 15 captured as is. */
class PgCatalogTest {

    static String resource(String name) {
        try (InputStream in = PgCatalogTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** PostgreSQL 15.18's catalog, as its binaries print it. */
    static PgCatalog pg15() {
        return PgCatalog.parse(resource("version-15.txt"), resource("describe-config-15.txt"));
    }

    @Test
    void theCapturedOutputOfPostgresql15() {
        PgCatalog c = pg15();
        assertEquals(150018, c.version());
        assertEquals("15", c.majorName());
        assertTrue(c.isKnown());
        assertEquals(307, c.settings().size());
        assertEquals(new Setting("shared_buffers", Context.POSTMASTER, Type.INTEGER, 16.0, 1073741823.0),
                c.setting("shared_buffers").orElseThrow());
        assertEquals(new Setting("enable_seqscan", Context.USER, Type.BOOLEAN, null, null),
                c.setting("ENABLE_SEQSCAN").orElseThrow(), "names without case, as PostgreSQL");
        assertEquals(new Setting("checkpoint_completion_target", Context.SIGHUP, Type.REAL, 0.0, 1.0),
                c.setting("checkpoint_completion_target").orElseThrow());
        assertEquals(Type.ENUM, c.setting("wal_level").orElseThrow().type());
        assertEquals(Context.SUPERUSER_BACKEND, c.setting("log_connections").orElseThrow().context());
        assertTrue(c.setting("wal_keep_size").isPresent());
        assertFalse(c.setting("wal_keep_segments").isPresent(), "removed in 13");
        assertFalse(c.setting("zero_damaged_pages").isPresent(), "developer options are not listed");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1) | 150018 | 15",
        "postgres (PostgreSQL) 13.0                           | 130000 | 13",
        "postgres (PostgreSQL) 17beta2                        | 170000 | 17",
        "postgres (PostgreSQL) 9.6.24                         | 90624  | 9.6",
        "postgres (PostgreSQL) 9.5.3                          | 90503  | 9.5"})
    void versions(String line, int version, String major) {
        assertEquals(version, PgCatalog.parseVersion(line));
        assertEquals(major, new PgCatalog(version, java.util.Map.of()).majorName());
    }

    @Test
    void outputThatIsNotACatalogIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> PgCatalog.parseVersion("bash: postgres: not found"));
        assertThrows(IllegalArgumentException.class, () -> PgCatalog.parse("postgres (PostgreSQL) 15.1", ""));
        String half = resource("describe-config-15.txt").lines().filter(l -> !l.startsWith("port\t"))
                .reduce("", (a, b) -> a + b + "\n");
        assertThrows(IllegalArgumentException.class, () -> PgCatalog.parse("postgres (PostgreSQL) 15.1", half),
                "a list without port is not trusted");
        PgCatalog c = PgCatalog.parse("postgres (PostgreSQL) 15.1", "WARNING: something\n"
                + "port\tpostmaster\tG\tINTEGER\t0\t1\t65535\td\t\n"
                + "max_connections\tpostmaster\tG\tINTEGER\t0\t1\t262143\td\t\n"
                + "future\tnew-context\tG\tSTRING\t\t\t\td\t\n");
        assertEquals(2, c.settings().size(), "a line of an unknown shape is skipped");
        assertFalse(PgCatalog.unknown().isKnown());
    }
}
