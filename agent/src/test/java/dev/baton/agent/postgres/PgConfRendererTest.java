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

    @Test
    void pgpassEscapesColonAndBackslashAndSkipsRolesWithoutPassword() {
        assertEquals("*:*:*:replicator:rep-pw\n*:*:*:post\\:gres:p\\\\w\\:1\n",
                PgConfRenderer.pgpass(List.of(new Credentials("replicator", "rep-pw"),
                        new Credentials("nobody", null), new Credentials("post:gres", "p\\w:1"))));
        assertEquals("*:*:*:ünï:☃ 'x'\n", PgConfRenderer.pgpass(List.of(new Credentials("ünï", "☃ 'x'"))));
        assertEquals("", PgConfRenderer.pgpass(List.of()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"secret\n*:*:*:postgres:other", "secret\r", "sec\0ret", "sec\tret"})
    void aControlCharacterCannotGoIntoPgpassAndTheMessageHidesThePassword(String password) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PgConfRenderer.pgpass(
                List.of(new Credentials("replicator", password))));
        assertTrue(e.getMessage().contains("replicator"), e.getMessage());
        assertFalse(e.getMessage().contains("sec"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PgConfRenderer.pgpass(
                List.of(new Credentials("rep\nlicator", "pw"))));
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
    void theReplicationRoleInPgHbaIsOneLiteralName(String role, String written) {
        assertEquals(written, PgConfRenderer.hbaRole(role));
        List<String> hba = PgConfRenderer.defaultHba(role);
        assertEquals("host    replication  " + written + "  0.0.0.0/0     scram-sha-256", hba.get(6));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\"b", "a\nhost all all 0.0.0.0/0 trust", "a\rb"})
    void roleNamesPgHbaCannotQuote(String role) {
        assertThrows(IllegalArgumentException.class, () -> PgConfRenderer.defaultHba(role));
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
