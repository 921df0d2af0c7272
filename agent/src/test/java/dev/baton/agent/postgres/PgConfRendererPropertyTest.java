package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.baton.agent.postgres.PgConfRendererTest.Conninfo;
import dev.baton.agent.postgres.PgConfRendererTest.GucFile;
import dev.baton.config.Credentials;
import dev.baton.config.PgParameterRules;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * For any string at all: the renderers either refuse it with an IllegalArgumentException, or it
 * comes back unchanged through a parser written after PostgreSQL's (and nothing else comes with
 * it). {@code PgConfRoundTripIT} checks the same against the real parsers.
 */
class PgConfRendererPropertyTest {

    private static boolean forbidden(String s) {
        return PgParameterRules.forbiddenCharacter(s).isPresent();
    }

    @Property
    void aValueIsRefusedOrReadsBackAsItself(@ForAll String value) {
        if (forbidden(value)) {
            assertThrows(IllegalArgumentException.class, () -> PgConfRenderer.postgresqlConf(Map.of("p", value)));
            return;
        }
        String conf = PgConfRenderer.postgresqlConf(Map.of("p", value));
        assertEquals(3, conf.lines().count(), conf);
        assertEquals(Map.of("include", "postgresql.base.conf", "p", value), GucFile.parse(conf));
    }

    @Property
    void aNameIsRefusedOrIsOneParameterOnItsOwnLine(@ForAll String name) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("port", "5432");
        p.put(name, "v");
        String conf;
        try {
            conf = PgConfRenderer.postgresqlConf(p);
        } catch (IllegalArgumentException e) {
            return;
        }
        assertEquals(4, conf.lines().count(), conf);
        assertEquals(List.of("include", "port", name), new ArrayList<>(GucFile.parse(conf).keySet()));
    }

    @Property
    void conninfoValuesAreRefusedOrReadBackAsThemselves(@ForAll String host, @ForAll String user,
                                                        @ForAll String dbname, @ForAll String app) {
        PgConfRenderer.Conninfo ci = new PgConfRenderer.Conninfo(host, 5432, user, dbname, Path.of("/p"), app);
        if (forbidden(host) || forbidden(user) || forbidden(dbname) || forbidden(app)) {
            assertThrows(IllegalArgumentException.class, ci::text);
            return;
        }
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("host", host);
        expected.put("port", "5432");
        expected.put("user", user);
        expected.put("dbname", dbname);
        expected.put("passfile", "/p");
        expected.put("application_name", app);
        expected.put("connect_timeout", "3");
        assertEquals(expected, Conninfo.parse(ci.text()));
        // primary_conninfo reaches libpq through postgresql.conf.
        String conf = PgConfRenderer.postgresqlConf(Map.of("primary_conninfo", ci.text()));
        assertEquals(expected, Conninfo.parse(GucFile.parse(conf).get("primary_conninfo")));
    }

    @Property
    void pgpassFieldsAreRefusedOrReadBackAsThemselves(@ForAll String user, @ForAll String password) {
        List<PgConfRenderer.PgpassEntry> roles = List.of(
                new PgConfRenderer.PgpassEntry("db:1", 5432, new Credentials(user, password)),
                new PgConfRenderer.PgpassEntry("::1", 5433, new Credentials("postgres", "pw")));
        if (forbidden(user) || forbidden(password)) {
            assertThrows(IllegalArgumentException.class, () -> PgConfRenderer.pgpass(roles));
            return;
        }
        List<String> lines = PgConfRenderer.pgpass(roles).lines().toList();
        assertEquals(2, lines.size());
        assertEquals(List.of("db:1", "5432", "*", user, password), Pgpass.fields(lines.get(0)));
        assertEquals(List.of("::1", "5433", "*", "postgres", "pw"), Pgpass.fields(lines.get(1)));
    }

    /** libpq's pgpass line: fields end at a {@code :} that no {@code \} escapes (the password too); {@code \} escapes anything. */
    static final class Pgpass {
        static List<String> fields(String line) {
            List<String> out = new ArrayList<>();
            StringBuilder f = new StringBuilder();
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (c == '\\' && i + 1 < line.length()) {
                    f.append(line.charAt(++i));
                } else if (c == ':') {
                    out.add(f.toString());
                    f.setLength(0);
                } else {
                    f.append(c);
                }
            }
            out.add(f.toString());
            return out;
        }
    }
}
