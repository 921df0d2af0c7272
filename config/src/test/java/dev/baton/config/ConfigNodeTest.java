package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The accessors the section readers share: required values and addresses. */
class ConfigNodeTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "{}          | is required",
        "{k: ''}     | is required",
        "{k: ' '}    | is required",
        "{k: [a]}    | must be a string, got a list",
    })
    void requiredReportsOnce(String yaml, String message) {
        Sections s = new Sections();
        assertNull(s.node("sec", yaml).required("k"));
        assertEquals(Map.of("sec.k", message), s.errors());
    }

    @Test
    void requiredValue() {
        assertEquals(" v ", new Sections().node("", "k: ' v '").required("k"));
    }

    @ParameterizedTest(name = "{0}, connect={1}")
    @CsvSource(delimiter = '|', value = {
        "a:1            | false | a:1          |",
        "' a:1 '        | true  | a:1          |",
        "[::1]:5432     | true  | [::1]:5432   |",
        "0.0.0.0:1      | false | 0.0.0.0:1    |",
        "0.0.0.0:1      | true  |              | must be an address other members can connect to, got \"0.0.0.0:1\"",
        "*:1            | true  |              | must be an address other members can connect to, got \"*:1\"",
        "a              | false |              | must be host:port, got \"a\"",
        "a:0            | false |              | port must be between 1 and 65535, got \"a:0\"",
    })
    void addresses(String value, boolean connect, String expected, String error) {
        Sections s = new Sections();
        assertEquals(expected, s.node("sec", "k: \"" + value + "\"").address("k", false, connect));
        assertEquals(error == null ? Map.of() : Map.of("sec.k", error), s.errors());
    }

    @Test
    void anOptionalAddressMayBeAbsent() {
        Sections s = new Sections();
        assertNull(s.node("sec", "{}").address("k", false, true));
        assertNull(s.node("sec", "{}").address("k", true, true));
        assertEquals(Map.of("sec.k", "is required"), s.errors());
    }

    @Test
    void serverAddresses() {
        ServerAddresses a = new RestApiConfig("0.0.0.0:8008", null);
        assertEquals("0.0.0.0", a.listenHost());
        assertEquals(8008, a.listenPort());
        assertEquals("127.0.0.1", a.connectHost());
        assertEquals(8008, a.connectPort());
        ServerAddresses b = new PostgresConfig("[::]:5432", "db.internal:6432", null, null, null, null, null, null,
                null, false, null);
        assertEquals("::", b.listenHost());
        assertEquals("db.internal", b.connectHost());
        assertEquals(6432, b.connectPort());
        assertNull(ServerAddresses.deriveConnectAddress("not an address"));
        assertNull(ServerAddresses.deriveConnectAddress(null));
    }
}
