package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.Credentials;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The rendered text, checked two ways: the exact bytes for ordinary values (what Baton always
 * wrote), and for hostile ones a round trip through parsers written after PostgreSQL's own
 * (the configuration lexer's string literal and libpq's conninfo), so the value that comes back
 * is the one that went in and nothing else comes with it.
 */
class PgConfRendererTest {

    static Stream<Arguments> values() {
        return Stream.of(
                Arguments.of("plain", "32MB", "'32MB'"),
                Arguments.of("empty", "", "''"),
                Arguments.of("spaces", "a b  c", "'a b  c'"),
                Arguments.of("quote", "it's", "'it''s'"),
                Arguments.of("two quotes", "''", "''''''"),
                Arguments.of("backslash", "C:\\arch\\", "'C:\\\\arch\\\\'"),
                Arguments.of("backslash then quote", "\\'", "'\\\\'''"),
                Arguments.of("unicode", "naïve ☃ 日本", "'naïve ☃ 日本'"),
                Arguments.of("an include smuggled in a value", "x' include_if_exists '/etc/passwd",
                        "'x'' include_if_exists ''/etc/passwd'"),
                Arguments.of("archive command", "test ! -f /a/%f && cp %p /a/%f", "'test ! -f /a/%f && cp %p /a/%f'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("values")
    void aValueIsOneStringLiteralThatReadsBackUnchanged(String what, String value, String literal) {
        assertEquals(literal, PgConfRenderer.gucValue("p", value));
        String conf = PgConfRenderer.postgresqlConf(Map.of("p", value));
        List<String> lines = conf.lines().toList();
        assertEquals(3, lines.size(), "header, include, one parameter: " + conf);
        assertEquals(Map.of("include", "postgresql.base.conf", "p", value), GucFile.parse(conf));
    }

    /** Issue 14: a newline in a value made postgresql.conf invalid (before it was escaped); now it is refused. */
    @ParameterizedTest
    @ValueSource(strings = {"a\0b", "a\nb", "a\r\nb", "a\tb", "x'\ninclude_if_exists '/etc/passwd", "\u007f", "\u001b"})
    void aControlCharacterIsRefusedNamingTheParameter(String value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PgConfRenderer.postgresqlConf(Map.of("archive_command", value)));
        assertTrue(e.getMessage().startsWith("the value of parameter archive_command contains the control character U+"),
                e.getMessage());
    }

    @Test
    void postgresqlConfIsTheHeaderTheIncludeAndTheParametersInOrder() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("max_connections", "100");
        p.put("unix_socket_directories", "");
        p.put("auto_explain.log_min_duration", "1s");
        assertEquals("""
                # Written by Baton. Do not edit: set parameters in Baton's configuration.
                include 'postgresql.base.conf'
                max_connections = '100'
                unix_socket_directories = ''
                auto_explain.log_min_duration = '1s'
                """, PgConfRenderer.postgresqlConf(p));
    }

    @ParameterizedTest
    @ValueSource(strings = {"shared_buffers", "auto_explain.log_min_duration", "_x", "X1", "a.b"})
    void parameterNames(String name) {
        assertEquals(name, PgConfRenderer.checkName(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1abc", "x y", "x=1", "x = '1'\ninclude_if_exists", "a-b", "naïve", ".x", "x;",
            "include", "INCLUDE_DIR", "include_if_exists", "a.b.c", "a.", "a..b"})
    void notParameterNames(String name) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("port", "5432");
        p.put(name, "/etc/passwd");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PgConfRenderer.postgresqlConf(p));
        assertTrue(e.getMessage().contains(name.replace('\n', '?')), e.getMessage());
    }

    static Stream<Arguments> conninfos() {
        return Stream.of(
                Arguments.of("replicator", "node1", "/d/.pgpass_node1"),
                Arguments.of("rep'l", "node1", "/d/.pgpass_node1"),
                Arguments.of("rep\\l", "node'1", "/d/it's/pg\\pass"),
                Arguments.of("rep user", "n x", "/d/p p"),
                Arguments.of("", "", "/"),
                Arguments.of("ünï", "☃", "/d/日本"));
    }

    @ParameterizedTest
    @MethodSource("conninfos")
    void conninfoValuesReadBackThroughLibpqAndThroughPostgresqlConf(String user, String app, String passfile) {
        String text = new PgConfRenderer.Conninfo("10.0.0.2", 5433, user, null, Path.of(passfile), app).text();
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("host", "10.0.0.2");
        expected.put("port", "5433");
        expected.put("user", user);
        expected.put("passfile", passfile);
        expected.put("application_name", app);
        expected.put("connect_timeout", "3");
        assertEquals(expected, Conninfo.parse(text));
        // primary_conninfo goes through postgresql.conf on its way to libpq.
        String conf = PgConfRenderer.postgresqlConf(Map.of("primary_conninfo", text));
        assertEquals(expected, Conninfo.parse(GucFile.parse(conf).get("primary_conninfo")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"n\nx", "\r", "a\0", "\t"})
    void aControlCharacterInAConninfoValueIsRefusedNamingTheKeyword(String bad) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PgConfRenderer.Conninfo("h", 1, "u", null, Path.of("/p"), bad).text());
        assertTrue(e.getMessage().startsWith("the connection string's application_name"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new PgConfRenderer.Conninfo("h", 1, "rep" + bad, null, Path.of("/p"), "a").text());
    }

    @Test
    void conninfoOfOrdinaryValuesIsWhatBatonAlwaysWrote() {
        assertEquals("host='10.0.0.2' port=5433 user='postgres' dbname='postgres' passfile='/d/.pgpass_node1' "
                        + "application_name='node1' connect_timeout=3",
                new PgConfRenderer.Conninfo("10.0.0.2", 5433, "postgres", "postgres", Path.of("/d/.pgpass_node1"),
                        "node1").text());
        assertEquals("host='h' port=1 user='rep\\'l' passfile='/p' application_name='a\\\\b' connect_timeout=3",
                new PgConfRenderer.Conninfo("h", 1, "rep'l", null, Path.of("/p"), "a\\b").text());
    }

    private static PgConfRenderer.PgpassEntry entry(String host, int port, Credentials role) {
        return new PgConfRenderer.PgpassEntry(host, port, role);
    }

    @Test
    void pgpassNamesTheServerEscapesColonAndBackslashAndSkipsRolesWithoutPassword() {
        assertEquals("10.0.0.2:5433:*:replicator:rep-pw\n127.0.0.1:5432:*:post\\:gres:p\\\\w\\:1\n",
                PgConfRenderer.pgpass(List.of(entry("10.0.0.2", 5433, new Credentials("replicator", "rep-pw")),
                        entry("10.0.0.2", 5433, new Credentials("nobody", null)),
                        entry("127.0.0.1", 5432, new Credentials("post:gres", "p\\w:1")))));
        assertEquals("fe80\\:\\:1:5432:*:ünï:☃ 'x'\n",
                PgConfRenderer.pgpass(List.of(entry("fe80::1", 5432, new Credentials("ünï", "☃ 'x'")))));
        assertEquals("", PgConfRenderer.pgpass(List.of()));
        Credentials repl = new Credentials("replicator", "rep-pw");
        assertEquals("h:1:*:replicator:rep-pw\n", PgConfRenderer.pgpass(List.of(entry("h", 1, repl), entry("h", 1, repl))),
                "each line once (the rewind user may be the replication user)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"secret\n*:*:*:postgres:other", "secret\r", "sec\0ret", "sec\tret"})
    void aControlCharacterCannotGoIntoPgpassAndTheMessageHidesThePassword(String password) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PgConfRenderer.pgpass(
                List.of(entry("h", 1, new Credentials("replicator", password)))));
        assertTrue(e.getMessage().contains("replicator"), e.getMessage());
        assertFalse(e.getMessage().contains("sec"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PgConfRenderer.pgpass(
                List.of(entry("h", 1, new Credentials("rep\nlicator", "pw")))));
        assertThrows(IllegalArgumentException.class, () -> PgConfRenderer.pgpass(
                List.of(entry("h\n*", 1, new Credentials("replicator", "pw")))));
    }

    static Stream<Arguments> tlsConninfos() {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("sslmode", "verify-full");
        all.put("sslrootcert", "/etc/baton/ca.crt");
        all.put("sslcert", "/etc/baton/it's.crt");
        all.put("sslkey", "C:\\keys\\n1.key");
        all.put("sslpassword", "pw 'x' \\");
        all.put("sslcrl", "/c/crl.pem");
        all.put("sslcrldir", "/c/crl dir");
        all.put("gssencmode", "disable");
        all.put("channel_binding", "require");
        return Stream.of(
                Arguments.of(Map.of()),
                Arguments.of(Map.of("sslmode", "require")),
                Arguments.of(Map.of("sslmode", "verify-ca", "sslrootcert", "/ca.crt")),
                Arguments.of(all));
    }

    @ParameterizedTest
    @MethodSource("tlsConninfos")
    void theRolesLibpqOptionsFollowBatonsOwnAndReadBackThroughPostgresqlConf(Map<String, String> options) {
        String text = new PgConfRenderer.Conninfo("10.0.0.2", 5433, "rep", null, Path.of("/p"), "n1", options).text();
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("host", "10.0.0.2");
        expected.put("port", "5433");
        expected.put("user", "rep");
        expected.put("passfile", "/p");
        expected.put("application_name", "n1");
        expected.put("connect_timeout", "3");
        expected.putAll(options);
        assertEquals(expected, Conninfo.parse(text));
        String conf = PgConfRenderer.postgresqlConf(Map.of("primary_conninfo", text));
        assertEquals(expected, Conninfo.parse(GucFile.parse(conf).get("primary_conninfo")));
    }

    @Test
    void aToolsConninfoLeavesTheKeysPasswordToAServiceFile() {
        PgConfRenderer.Conninfo ci = new PgConfRenderer.Conninfo("h", 1, "rew", "postgres", Path.of("/p"), "n1",
                Map.of("sslmode", "verify-ca", "sslpassword", "k3y pw"));
        assertEquals("host='h' port=1 user='rew' dbname='postgres' passfile='/p' application_name='n1' "
                + "connect_timeout=3 sslmode='verify-ca'", ci.withoutSecrets().text());
        assertEquals(Map.of("sslpassword", "k3y pw"), ci.secrets());
        assertEquals("[baton]\nsslpassword=k3y pw\n", PgConfRenderer.serviceFile("baton", ci.secrets()));
        for (String bad : List.of("pw ", "p\nw")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PgConfRenderer.serviceFile("baton", Map.of("sslpassword", bad)));
            assertFalse(e.getMessage().contains("pw"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PgConfRenderer.Conninfo(
                "h", 1, "u", null, Path.of("/p"), "a", Map.of("sslpassword", "se\ncret")).text());
        assertEquals("the connection string's sslpassword contains a control character, which Baton does not write",
                e.getMessage());
    }

    @Test
    void pgHbaIsTheHeaderAndTheLines() {
        assertEquals(PgConfRenderer.HEADER + "\nlocal all all peer\nhost all all ::1/128 trust\n",
                PgConfRenderer.pgHba(List.of("local all all peer", "host all all ::1/128 trust")));
    }

    static Stream<Arguments> hbaRoles() {
        return Stream.of(
                Arguments.of("replicator", "replicator"),
                Arguments.of("rep.l-1$", "rep.l-1$"),
                Arguments.of("rep user", "\"rep user\""),
                Arguments.of("a,b", "\"a,b\""),
                Arguments.of("all", "\"all\""),
                Arguments.of("+group", "\"+group\""),
                Arguments.of("@file", "\"@file\""),
                Arguments.of("/regex", "\"/regex\""),
                Arguments.of("rep'l#x", "\"rep'l#x\""),
                Arguments.of("ünï", "\"ünï\""));
    }

    @ParameterizedTest
    @MethodSource("hbaRoles")
    void theRolesInPgHbaAreOneLiteralNameEach(String role, String written) {
        assertEquals(written, PgConfRenderer.hbaRole(role));
        List<String> hba = PgConfRenderer.defaultHba(role, role, role + "x", false);
        assertTrue(hba.contains("host    replication  " + written + "  0.0.0.0/0     scram-sha-256"), hba.toString());
        assertTrue(hba.contains("host    all          " + written + "  0.0.0.0/0     reject"), hba.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\"b", "a\nhost all all 0.0.0.0/0 trust", "a\rb"})
    void roleNamesPgHbaCannotQuote(String role) {
        assertThrows(IllegalArgumentException.class, () -> PgConfRenderer.defaultHba("postgres", role, null, false));
        assertThrows(IllegalArgumentException.class, () -> PgConfRenderer.defaultHba(role, "replicator", null, false));
        assertThrows(IllegalArgumentException.class, () -> PgConfRenderer.defaultHba("postgres", "r", role, true));
    }

    @Test
    void theDefaultPgHbaAdmitsTheSuperuserOnlyFromTheServersOwnHost() {
        assertEquals(List.of(
                "local   all          all                   peer",
                "host    all          all         127.0.0.1/32  scram-sha-256",
                "host    all          all         ::1/128       scram-sha-256",
                "host    all          all         samehost      scram-sha-256",
                "host    replication  replicator  127.0.0.1/32  scram-sha-256",
                "host    replication  replicator  ::1/128       scram-sha-256",
                "host    replication  replicator  samehost      scram-sha-256",
                "host    replication  replicator  0.0.0.0/0     scram-sha-256",
                "host    replication  replicator  ::/0          scram-sha-256",
                "host    all          postgres  0.0.0.0/0     reject",
                "host    all          postgres  ::/0          reject",
                "host    all          all         0.0.0.0/0     scram-sha-256",
                "host    all          all         ::/0          scram-sha-256"),
                PgConfRenderer.defaultHba("postgres", "replicator", null, false));
    }

    @Test
    void withABackupRepositoryTheSuperuserLogsInLocallyWithItsPasswordBeforeThePeerLine() {
        List<String> with = PgConfRenderer.defaultHba("postgres", "replicator", null, false, true);
        assertEquals("local   all          postgres  scram-sha-256", with.get(0));
        assertEquals("local   all          all                   peer", with.get(1));
        assertEquals(with.subList(1, with.size()), PgConfRenderer.defaultHba("postgres", "replicator", null, false));
        assertEquals(PgConfRenderer.defaultHba("postgres", "replicator", null, false),
                PgConfRenderer.defaultHba("postgres", "replicator", null, false, false));
        assertEquals("local   all          \"my su\"  scram-sha-256",
                PgConfRenderer.defaultHba("my su", "replicator", null, false, true).get(0));
    }

    @Test
    void withTlsTheNetworkLinesAreHostsslAndTheRewindUserReachesDatabasePostgres() {
        List<String> hba = PgConfRenderer.defaultHba("postgres", "replicator", "rewinder", true);
        assertEquals(List.of(
                "local   all          all                   peer",
                "host    all          all         127.0.0.1/32  scram-sha-256",
                "host    all          all         ::1/128       scram-sha-256",
                "host    all          all         samehost      scram-sha-256",
                "host    replication  replicator  127.0.0.1/32  scram-sha-256",
                "host    replication  replicator  ::1/128       scram-sha-256",
                "host    replication  replicator  samehost      scram-sha-256",
                "hostssl replication  replicator  0.0.0.0/0     scram-sha-256",
                "hostssl replication  replicator  ::/0          scram-sha-256",
                "hostssl postgres     rewinder  0.0.0.0/0     scram-sha-256",
                "hostssl postgres     rewinder  ::/0          scram-sha-256",
                "host    all          postgres  0.0.0.0/0     reject",
                "host    all          postgres  ::/0          reject",
                "hostssl all          all         0.0.0.0/0     scram-sha-256",
                "hostssl all          all         ::/0          scram-sha-256"), hba);
        assertEquals(PgConfRenderer.defaultHba("postgres", "replicator", null, true),
                PgConfRenderer.defaultHba("postgres", "replicator", "postgres", true),
                "pg_rewind as the superuser gets no network line of its own");
    }

    /** PostgreSQL's configuration file syntax, as far as Baton writes it: {@code name = 'literal'} lines. */
    static final class GucFile {
        static Map<String, String> parse(String text) {
            Map<String, String> out = new LinkedHashMap<>();
            for (String line : text.split("\n", -1)) {
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int sep = line.indexOf(line.startsWith("include ") ? ' ' : '=');
                String name = line.substring(0, sep).strip();
                String rest = line.substring(sep + 1).strip();
                int end = literalEnd(rest);
                assertEquals(rest.length(), end, "one literal and nothing after it: " + line);
                out.put(name, unescape(rest.substring(1, end - 1)));
            }
            return out;
        }

        /** Where the literal at the start of {@code s} ends: {@code '([^'\\\n]|\\.|'')*'}. */
        private static int literalEnd(String s) {
            assertEquals('\'', s.charAt(0), s);
            int i = 1;
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == '\\') {
                    i += 2;
                } else if (c == '\'' && i + 1 < s.length() && s.charAt(i + 1) == '\'') {
                    i += 2;
                } else if (c == '\'') {
                    return i + 1;
                } else {
                    assertFalse(c == '\n', "a raw newline in a literal");
                    i++;
                }
            }
            throw new AssertionError("unterminated literal: " + s);
        }

        /** GUC_scanstr: {@code \b \f \n \r \t}, octal, any other escaped character as itself, and {@code ''}. */
        private static String unescape(String s) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '\\') {
                    char n = s.charAt(++i);
                    switch (n) {
                        case 'b' -> sb.append('\b');
                        case 'f' -> sb.append('\f');
                        case 'n' -> sb.append('\n');
                        case 'r' -> sb.append('\r');
                        case 't' -> sb.append('\t');
                        default -> {
                            assertFalse(n >= '0' && n <= '7', "an octal escape Baton does not write");
                            sb.append(n);
                        }
                    }
                } else if (c == '\'') {
                    sb.append('\'');
                    i++;
                } else {
                    sb.append(c);
                }
            }
            return sb.toString();
        }
    }

    /** libpq's conninfo syntax: {@code key=value} separated by spaces; quoted values with {@code \} escapes. */
    static final class Conninfo {
        static Map<String, String> parse(String s) {
            Map<String, String> out = new LinkedHashMap<>();
            int i = 0;
            while (i < s.length()) {
                if (s.charAt(i) == ' ') {
                    i++;
                    continue;
                }
                int eq = s.indexOf('=', i);
                String key = s.substring(i, eq);
                i = eq + 1;
                StringBuilder v = new StringBuilder();
                if (s.charAt(i) == '\'') {
                    i++;
                    while (s.charAt(i) != '\'') {
                        if (s.charAt(i) == '\\') {
                            i++;
                        }
                        v.append(s.charAt(i++));
                    }
                    i++;
                } else {
                    while (i < s.length() && s.charAt(i) != ' ') {
                        v.append(s.charAt(i++));
                    }
                }
                out.put(key, v.toString());
            }
            return out;
        }
    }
}
