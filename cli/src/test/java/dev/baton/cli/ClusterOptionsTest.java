package dev.baton.cli;

import dev.baton.config.tls.CertificateAuthority;
import dev.baton.config.tls.Pem;
import dev.baton.leader.etcd.EtcdAccess;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the etcd options and environment become the access the CLI connects with. */
class ClusterOptionsTest {

    @TempDir
    Path dir;

    private final PrintWriter err = new PrintWriter(new StringWriter());

    private static ClusterOptions parse(String... args) {
        ClusterOptions o = new ClusterOptions();
        new CommandLine(o).parseArgs(args);
        return o;
    }

    private ClusterOptions.Target resolve(Map<String, String> env, String... args) {
        return parse(args).resolve(err, env);
    }

    private ExitException refused(Map<String, String> env, String... args) {
        return assertThrows(ExitException.class, () -> resolve(env, args));
    }

    /** A CA file and a client certificate and key (no CommonName) in the temp dir. */
    private void writeFiles() {
        Instant now = Instant.now();
        CertificateAuthority ca = CertificateAuthority.create("t", Duration.ofDays(1), now);
        try {
            Files.writeString(dir.resolve("ca.pem"), Pem.encode(ca.certificate()));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        ca.issueNode(List.of("127.0.0.1"), Duration.ofDays(1), now).write(dir.resolve("c.pem"), dir.resolve("c.key"));
    }

    @Test
    void plainEtcdNeedsNoMore() {
        ClusterOptions.Target t = resolve(Map.of(), "--etcd", "h1:2379,h2:2379", "--scope", "demo");
        assertEquals(List.of("http://h1:2379", "http://h2:2379"), t.endpoints());
        assertFalse(t.access().authenticated());
        assertEquals("/service/demo/", t.layout().prefix());
    }

    @Test
    void anHttpsEndpointMeansTls() {
        ClusterOptions.Target t = resolve(Map.of(), "--etcd", "https://h1:2379", "--scope", "demo");
        assertTrue(t.access().https());
        assertEquals(List.of("https://h1:2379"), t.endpoints());
    }

    @Test
    void theTlsOptionsTurnTlsOnAndAreCheckedAtOnce() {
        writeFiles();
        ClusterOptions.Target t = resolve(Map.of(), "--etcd", "127.0.0.1:2379", "--scope", "demo",
                "--etcd-cacert", dir.resolve("ca.pem").toString(), "--etcd-cert", dir.resolve("c.pem").toString(),
                "--etcd-key", dir.resolve("c.key").toString());
        assertEquals(EtcdAccess.Scheme.HTTPS, t.access().scheme());
        assertEquals(dir.resolve("c.key"), t.access().tls().keyfile());

        ExitException e = refused(Map.of(), "--etcd", "127.0.0.1:2379", "--scope", "demo",
                "--etcd-cacert", dir.resolve("ca.pem").toString(), "--etcd-cert", dir.resolve("c.pem").toString(),
                "--etcd-key", dir.resolve("ca.pem").toString());
        assertEquals(2, e.code());
        assertTrue(e.getMessage().startsWith("etcd3.key: "), e.getMessage());

        e = refused(Map.of(), "--etcd", "127.0.0.1:2379", "--scope", "demo", "--etcd-key", dir.resolve("c.key").toString());
        assertTrue(e.getMessage().startsWith("--etcd-key: needs --etcd-cert"), e.getMessage());

        e = refused(Map.of(), "--etcd", "127.0.0.1:2379", "--scope", "demo",
                "--etcd-cacert", dir.resolve("missing.pem").toString());
        assertTrue(e.getMessage().startsWith("etcd3.cacert: "), e.getMessage());
    }

    @Test
    void theUserAndPasswordComeFromTheEnvironmentBatonFirst() {
        ClusterOptions.Target t = resolve(Map.of("PATRONI_ETCD3_USERNAME", "patroni", "PATRONI_ETCD3_PASSWORD", "p1",
                "BATON_ETCD3_USERNAME", "baton"), "--etcd", "h:2379", "--scope", "demo");
        assertEquals("baton", t.access().username());
        assertEquals("p1", t.access().password());
        assertNull(resolve(Map.of(), "--etcd", "h:2379", "--scope", "demo").access().username());

        ExitException e = refused(Map.of("BATON_ETCD3_USERNAME", "baton"), "--etcd", "h:2379", "--scope", "demo");
        assertTrue(e.getMessage().contains("etcd3.password: required with etcd3.username"), e.getMessage());
    }

    @Test
    void thereIsNoPasswordOption() {
        assertThrows(CommandLine.UnmatchedArgumentException.class,
                () -> parse("--etcd", "h:2379", "--etcd-password", "x"));
    }

    @Test
    void badEndpointsAreRefusedWithExit2() {
        for (String bad : List.of("h", "h:", "ftp://h:2379", "h:2379/v3")) {
            assertEquals(2, refused(Map.of(), "--etcd", bad, "--scope", "demo").code(), bad);
        }
        ExitException mixed = refused(Map.of(), "--etcd", "https://a:2379,http://b:2379", "--scope", "demo");
        assertTrue(mixed.getMessage().startsWith("--etcd: "), mixed.getMessage());
    }

    @Test
    void theConfigFileGivesTheWholeEtcd3Section() throws Exception {
        writeFiles();
        Path config = Files.writeString(dir.resolve("baton.yml"), """
                scope: demo
                name: node1
                etcd3:
                  hosts: 127.0.0.1:2379,127.0.0.2:2379
                  cacert: %s
                  username: baton
                restapi:
                  listen: 127.0.0.1:8008
                  connect_address: 127.0.0.1:8008
                postgresql:
                  data_dir: /tmp/x
                  listen: 127.0.0.1:5432
                  connect_address: 127.0.0.1:5432
                  authentication:
                    superuser: {username: postgres, password: secret}
                    replication: {username: replicator, password: secret}
                """.formatted(dir.resolve("ca.pem")));
        ClusterOptions.Target t = resolve(Map.of("BATON_ETCD3_PASSWORD", "from-env"), "-c", config.toString());
        assertEquals(List.of("https://127.0.0.1:2379", "https://127.0.0.2:2379"), t.endpoints());
        assertEquals("baton", t.access().username());
        assertEquals("from-env", t.access().password());
        assertEquals(dir.resolve("ca.pem"), t.access().tls().cafile());

        ClusterOptions.Target one = resolve(Map.of("BATON_ETCD3_PASSWORD", "from-env"), "-c", config.toString(),
                "--etcd", "127.0.0.3:2379");
        assertEquals(List.of("https://127.0.0.3:2379"), one.endpoints(), "--etcd replaces the hosts only");
        assertEquals("baton", one.access().username());
    }

    // ---------------------------------------------------------------- patronictl's variables

    @Test
    void dcsUrlIsReadFromTheEnvironmentAsPatronictlDoes() {
        ClusterOptions.Target t = resolve(Map.of("DCS_URL", "etcd3://h9:2379"), "demo");
        assertEquals(List.of("http://h9:2379"), t.endpoints());
        assertEquals("/service/demo/", t.layout().prefix());
        // An option given wins over the variable, --etcd included.
        assertEquals(List.of("http://h1:2379"), resolve(Map.of("DCS_URL", "etcd3://h9:2379"),
                "--dcs-url", "h1:2379", "demo").endpoints());
        assertEquals(List.of("http://h2:2379"), resolve(Map.of("DCS_URL", "etcd3://h9:2379"),
                "--etcd", "h2:2379", "demo").endpoints());
        ExitException bad = refused(Map.of("DCS_URL", "consul://h9:8500"), "demo");
        assertEquals(2, bad.code());
    }

    @Test
    void theConfigurationFileIsReadFromPatronictlsVariable() throws Exception {
        Path f = dir.resolve("ctl.yml");
        Files.writeString(f, """
                scope: fromfile
                name: n1
                restapi: {listen: 127.0.0.1:8008, connect_address: 127.0.0.1:8008}
                etcd3: {hosts: h7:2379}
                postgresql: {listen: 127.0.0.1:5432, connect_address: 127.0.0.1:5432, data_dir: /tmp/d}
                """);
        ClusterOptions.Target t = resolve(Map.of("PATRONICTL_CONFIG_FILE", f.toString()));
        assertEquals(List.of("http://h7:2379"), t.endpoints());
        assertEquals("/service/fromfile/", t.layout().prefix());
        ExitException missing = refused(Map.of("PATRONICTL_CONFIG_FILE", dir.resolve("none.yml").toString()));
        assertEquals(2, missing.code());
        assertTrue(missing.getMessage().contains("none.yml"), missing.getMessage());
    }
}
