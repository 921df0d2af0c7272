package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ValuesTest {

    @Test
    void credentialsNeverPrintThePassword() throws Exception {
        Credentials c = new Credentials("postgres", "s3cr3t");
        assertEquals("Credentials[username=postgres, password=****]", c.toString());
        assertEquals("Credentials[username=postgres, password=null]", new Credentials("postgres", null).toString());
        BatonConfig config = new ConfigLoader(Map.of()).loadString(ConfigLoaderTest.SAMPLE).orThrow();
        assertFalse(config.toString().contains("secret"), config.toString());
        assertFalse(config.postgresql().toString().contains("rep}"), config.toString());
        assertTrue(config.toString().contains("password=****"));
    }

    @Test
    void hostPort() {
        assertEquals(new HostPort("db.example.com", 5432), HostPort.parse("db.example.com:5432"));
        assertEquals(new HostPort("::1", 8008), HostPort.parse("[::1]:8008"));
        assertEquals("[::1]:8008", HostPort.parse("[::1]:8008").toString());
        assertEquals("127.0.0.1:8008", HostPort.parse("[::]:8008").connectable().toString());
        assertEquals("127.0.0.1:5432", HostPort.parse("*:5432").connectable().toString());
        for (String bad : new String[] {"", "8008", ":8008", "host:", "host:80a", "a b:1", "h:1:2", "[::1]8008", "h,i:5"}) {
            assertThrows(IllegalArgumentException.class, () -> HostPort.parse(bad), bad);
        }
        assertEquals("port must be between 1 and 65535, got \"h:65536\"",
                assertThrows(IllegalArgumentException.class, () -> HostPort.parse("h:65536")).getMessage());
    }

    @Test
    void sizes() {
        assertEquals(1024, Sizes.parseBytes("1kB"));
        assertEquals(1024, Sizes.parseBytes("1KB"));
        assertEquals(3L << 30, Sizes.parseBytes("3 GB"));
        assertEquals(7, Sizes.parseBytes("7"));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parseBytes("1 PB"));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parseBytes("9999999TB"));
    }

    @Test
    void recordDefaults() {
        RestApiConfig api = new RestApiConfig("0.0.0.0:8008", null);
        assertEquals("127.0.0.1:8008", api.connectAddress());
        assertEquals(8008, api.connectPort());
        assertEquals("/service/", new BatonConfig("s", null, "n", api, null, null, null, null, null, null, null).namespace());
        assertEquals(new LogConfig("INFO", "plain", null), new LogConfig(null, null, null));
        assertEquals("/x/y/", BatonConfig.normalizeNamespace("x/y"));
    }

    @Test
    void configExceptionListsEveryErrorOnItsOwnLine() {
        ConfigException e = new ConfigException(java.util.List.of(new ConfigError("a", "one"), new ConfigError("b.c", "two")));
        assertEquals("a: one\nb.c: two", e.getMessage());
    }
}
