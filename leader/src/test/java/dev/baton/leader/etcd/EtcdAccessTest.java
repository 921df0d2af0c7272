package dev.baton.leader.etcd;

import dev.baton.config.EtcdConfig;
import dev.baton.config.TlsFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The etcd access value: schemes, hosts, and what it refuses rather than weaken. */
class EtcdAccessTest {

    private static final TlsFiles CA_ONLY = new TlsFiles(null, null, null, Path.of("ca.pem"));

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "h1:2379                              | http://h1:2379",
            "http://h1:2379,h2:2379               | http://h1:2379,http://h2:2379",
            "https://h1:2379,h2:2379              | https://h1:2379,https://h2:2379",
            "h1:2379,https://h2:2379              | https://h1:2379,https://h2:2379",
            "[::1]:2379                           | http://[::1]:2379",
    })
    void plainAccessTakesTheSchemeOfItsEndpoints(String endpoints, String urls) {
        EtcdAccess a = EtcdAccess.plain(Arrays.asList(endpoints.split(",")));
        assertEquals(urls, a.describe());
        assertEquals(Arrays.stream(urls.split(",")).map(URI::create).toList(), a.uris());
        assertFalse(a.authenticated());
    }

    @Test
    void mixedSchemesAreRefused() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> EtcdAccess.plain(List.of("https://h1:2379", "http://h2:2379")));
        assertTrue(e.getMessage().contains("http://h2:2379"), e.getMessage());
    }

    @Test
    void tlsFilesWithPlainHttpAreRefusedNotIgnored() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new EtcdAccess(EtcdAccess.Scheme.HTTP, List.of("h:2379"), CA_ONLY, null, null));
        assertTrue(e.getMessage().startsWith("etcd3.protocol:"), e.getMessage());
    }

    @Test
    void addingTlsFilesSwitchesToHttps() {
        EtcdAccess a = EtcdAccess.plain(List.of("h:2379")).withTls(CA_ONLY);
        assertTrue(a.https());
        assertEquals("https://h:2379", a.describe());
    }

    @Test
    void aUserNeedsAPasswordAndTheOtherWayRound() {
        EtcdAccess a = EtcdAccess.plain(List.of("h:2379"));
        assertEquals("etcd3.password: required with etcd3.username",
                assertThrows(IllegalArgumentException.class, () -> a.withCredentials("u", null)).getMessage());
        assertEquals("etcd3.username: required with etcd3.password",
                assertThrows(IllegalArgumentException.class, () -> a.withCredentials(null, "p")).getMessage());
        assertTrue(a.withCredentials("u", "p").authenticated());
    }

    @Test
    void theConfigSectionMapsOneToOneAndThePasswordNeverShows() {
        EtcdConfig c = new EtcdConfig(List.of("h1:2379", "h2:2379"), "https", CA_ONLY, "baton", "s3cret-pw");
        EtcdAccess a = EtcdAccess.of(c);
        assertEquals(List.of("h1:2379", "h2:2379"), a.hosts());
        assertTrue(a.https());
        assertEquals(CA_ONLY, a.tls());
        assertEquals("baton", a.username());
        assertEquals("s3cret-pw", a.password());
        assertFalse(a.toString().contains("s3cret-pw"), a.toString());
        assertTrue(a.toString().contains("****"), a.toString());
    }

    @Test
    void noHostIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> EtcdAccess.plain(List.of()));
    }
}
