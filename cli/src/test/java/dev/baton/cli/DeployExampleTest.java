package dev.baton.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.BatonConfig;
import dev.baton.config.ConfigLoader;
import dev.baton.config.LoadResult;
import dev.baton.config.VerifyClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * deploy/baton.example.yml is what operators copy: it must load with no error and no warning, and
 * turn TLS and authentication on for every channel (issue 13: on by default where Baton sets
 * things up).
 */
class DeployExampleTest {

    private static Path example() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("deploy/baton.example.yml"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new AssertionError("deploy/baton.example.yml not found above " + Path.of("").toAbsolutePath());
        }
        return p.resolve("deploy/baton.example.yml");
    }

    @Test
    void theExampleLoadsCleanlyWithEveryChannelSecured() {
        LoadResult r = new ConfigLoader(Map.of()).load(example());
        assertTrue(r.ok(), r.errors().toString());
        assertEquals(List.of(), r.warnings(), r.warnings().toString());
        BatonConfig c = r.config();
        assertTrue(c.restapi().https(), "REST over HTTPS");
        assertEquals(VerifyClient.REQUIRED, c.restapi().verifyClient());
        assertTrue(c.restapi().authentication() != null, "REST Basic auth");
        assertTrue(c.etcd().https() && c.etcd().tls().hasCertificate(), "etcd over TLS with a client certificate");
        assertEquals("on", c.bootstrap().dcs().parameters().get("ssl"), "server TLS (cluster-wide parameters)");
        assertTrue(c.postgresql().authentication().rewind() != null, "a non-superuser rewind user");
        assertEquals("verify-full", c.postgresql().authentication().replication().libpqOptions().get("sslmode"));
    }
}
