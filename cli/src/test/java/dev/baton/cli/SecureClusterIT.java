package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.cli.local.Binaries;
import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import dev.baton.cli.local.LocalSecurity;
import dev.baton.config.TlsFiles;
import dev.baton.config.tls.TlsContexts;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.StoreUnavailableException;
import dev.baton.leader.etcd.EtcdAccess;
import dev.baton.leader.etcd.EtcdClusterStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 13's "done when": a 3-node cluster with every channel locked down (etcd over TLS with
 * client certificates and users, HTTPS REST with {@code verify_client: required} and Basic auth,
 * PostgreSQL with TLS and {@code hostssl ... clientcert=verify-ca} replication, HAProxy checking
 * over TLS) bootstraps, switches over (baton and patronictl) and fails over; nothing gets in
 * without credentials.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecureClusterIT {
    private LocalCluster cluster;
    private LocalSecurity sec;

    @BeforeAll
    void start() throws Exception {
        cluster = LocalCluster.start(Files.createTempDirectory("baton-it-secure-"),
                LocalCluster.Options.defaults().withSecurity());
        sec = cluster.security();
        awaitOrFail(cluster, "the secured cluster is up", () -> cluster.healthy(2));
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private Node primary() throws InterruptedException {
        awaitOrFail(cluster, "one primary", () -> cluster.primary().isPresent());
        return cluster.primary().orElseThrow();
    }

    private HttpClient https(boolean clientCertificate) throws Exception {
        SSLContext ctx = TlsContexts.context(clientCertificate
                ? TlsContexts.keyManagers(sec.operatorCert(), sec.operatorKey(), null) : null, sec.caFile());
        return HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static HttpResponse<String> post(HttpClient http, String url, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}"));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    @Order(1)
    void replicationRunsOverVerifiedTlsAndHaproxyChecksOverTls() throws Exception {
        Node p = primary();
        try (Connection c = ClusterSupport.connect(cluster, p); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM pg_stat_replication r"
                     + " JOIN pg_stat_ssl s ON s.pid = r.pid")) {
            rs.next();
            assertEquals(2, rs.getInt(2), "two replicas stream");
            assertEquals(2, rs.getInt(1), "both over TLS");
        }
        awaitOrFail(cluster, "HAProxy routes to the primary through its TLS health check",
                () -> haproxyServerPort().map(port -> port == p.pgPort()).orElse(false));
    }

    private Optional<Integer> haproxyServerPort() {
        Properties props = new Properties();
        props.setProperty("user", "postgres");
        props.setProperty("password", cluster.superuserPassword());
        props.setProperty("connectTimeout", "3");
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + cluster.haproxyPort() + "/postgres",
                props); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT inet_server_port()")) {
            rs.next();
            return Optional.of(rs.getInt(1));
        } catch (java.sql.SQLException e) {
            return Optional.empty();
        }
    }

    @Test
    @Order(2)
    void theRestApiRefusesWhatIsNotAuthenticated() throws Exception {
        Node p = primary();
        String restart = p.restBase() + "/restart";
        HttpResponse<String> none = post(https(true), restart, null);
        assertEquals(401, none.statusCode(), none.body());
        assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic"), none.headers().toString());
        assertEquals(401, post(https(true), restart, basic(LocalSecurity.REST_USER, "wrong")).statusCode());
        // Without a client certificate even a health check is refused (verify_client: required).
        HttpClient anonymous = https(false);
        assertThrows(IOException.class, () -> anonymous.send(HttpRequest.newBuilder(URI.create(p.restBase() + "/health"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()));
        // Plain HTTP to the HTTPS port gets no answer.
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        assertThrows(IOException.class, () -> plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + p.restPort() + "/health")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()));
        // With the certificate and the password, a reload goes through.
        HttpResponse<String> ok = post(https(true), p.restBase() + "/reload", basic(LocalSecurity.REST_USER, sec.restPassword()));
        assertEquals(202, ok.statusCode() / 100 == 2 ? 202 : ok.statusCode(), ok.body());
        assertEquals(p, primary(), "nothing moved");
    }

    @Test
    @Order(3)
    void theEtcdKeysCannotBeReadWithoutCredentials() {
        KeyLayout layout = new KeyLayout("/service/", cluster.scope());
        EtcdAccess base = EtcdAccess.plain(List.of("https://" + cluster.etcdEndpoint()));
        EtcdAccess noCert = base.withTls(new TlsFiles(null, null, null, sec.caFile()));
        try (EtcdClusterStore s = new EtcdClusterStore(noCert, layout, "intruder", 10, Duration.ofSeconds(3), System::nanoTime)) {
            assertThrows(StoreUnavailableException.class, s::read, "no client certificate");
        }
        EtcdAccess certNoUser = base.withTls(new TlsFiles(sec.operatorCert(), sec.operatorKey(), null, sec.caFile()));
        try (EtcdClusterStore s = new EtcdClusterStore(certNoUser, layout, "intruder", 10, Duration.ofSeconds(3), System::nanoTime)) {
            assertThrows(StoreUnavailableException.class, s::read, "a certificate but no etcd user");
        }
        EtcdAccess full = certNoUser.withCredentials(LocalSecurity.ETCD_USER, sec.etcdPassword());
        try (EtcdClusterStore s = new EtcdClusterStore(full, layout, "operator", 10, Duration.ofSeconds(5), System::nanoTime)) {
            assertTrue(s.read().leader() != null, "with the certificate and the user, the leader key is there");
        }
    }

    @Test
    @Order(4)
    void batonSwitchesOverThroughTheSecuredApi() throws Exception {
        Node p = primary();
        Node target = cluster.nodes().stream().filter(n -> n != p).findFirst().orElseThrow();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Baton.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute("switchover",
                "-c", target.config().toString(), "--candidate", target.name(), "--force");
        assertEquals(0, code, out + "\n" + err);
        awaitOrFail(cluster, target.name() + " leads", () -> cluster.primary().map(n -> n == target).orElse(false)
                && cluster.healthy(2));
        code = Baton.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute("list",
                "-c", target.config().toString());
        assertEquals(0, code, err.toString());
    }

    @Test
    @Order(5)
    void patronictlWithTheSameCtlSectionSwitchesOver() throws Exception {
        Optional<Path> patronictl = Binaries.find("patronictl", "/usr/bin");
        Assumptions.assumeTrue(patronictl.isPresent(), "patronictl (Debian package patroni) is not installed");
        Node p = primary();
        Node target = cluster.nodes().stream().filter(n -> n != p).findFirst().orElseThrow();
        Path cfg = cluster.dir().resolve("patronictl.yml");
        Files.writeString(cfg, "scope: " + cluster.scope() + "\nnamespace: /service/\n"
                + "etcd3:\n  hosts: " + cluster.etcdEndpoint() + "\n  protocol: https\n  cacert: " + sec.caFile()
                + "\n  cert: " + sec.operatorCert() + "\n  key: " + sec.operatorKey()
                + "\n  username: " + LocalSecurity.ETCD_USER + "\n  password: " + sec.etcdPassword() + "\n"
                + "restapi:\n  authentication:\n    username: " + LocalSecurity.REST_USER + "\n    password: "
                + sec.restPassword() + "\n"
                + "ctl:\n  certfile: " + sec.operatorCert() + "\n  keyfile: " + sec.operatorKey()
                + "\n  cacert: " + sec.caFile() + "\n");
        Files.setPosixFilePermissions(cfg, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        String listed = run(patronictl.get(), cfg, "list", "-f", "json");
        assertTrue(listed.contains(p.name()) && listed.contains(target.name()), listed);
        run(patronictl.get(), cfg, "switchover", cluster.scope(), "--leader", p.name(), "--candidate", target.name(),
                "--force");
        // patronictl falls back to the failover key when its REST call fails: check the leader really moved.
        awaitOrFail(cluster, target.name() + " leads after patronictl's switchover",
                () -> cluster.primary().map(n -> n == target).orElse(false) && cluster.healthy(2));
    }

    private static String run(Path patronictl, Path cfg, String... args) throws Exception {
        List<String> argv = new java.util.ArrayList<>(List.of(patronictl.toString(), "-c", cfg.toString()));
        argv.addAll(List.of(args));
        Path log = Files.createTempFile("patronictl", ".log");
        Process proc = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean exited = proc.waitFor(90, TimeUnit.SECONDS); // patronictl retries etcd forever
        if (!exited) {
            proc.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String out = Files.readString(log);
        Files.deleteIfExists(log);
        assertTrue(exited, "patronictl " + String.join(" ", args) + " timed out: " + out);
        assertEquals(0, proc.exitValue(), "patronictl " + String.join(" ", args) + ": " + out);
        assertFalse(out.contains("failed"), out);
        return out;
    }

    @Test
    @Order(6)
    void failsOverAndTheOldPrimaryRejoinsOverTls() throws Exception {
        Node p = primary();
        p.kill();
        awaitOrFail(cluster, "another node leads", () -> cluster.primary().map(n -> n != p).orElse(false));
        Node next = cluster.primary().orElseThrow();
        awaitOrFail(cluster, "HAProxy follows the new primary", () -> haproxyServerPort()
                .map(port -> port == next.pgPort()).orElse(false));
        p.start();
        awaitOrFail(cluster, "the old primary rejoins (rewind as the rewind user over TLS)", () -> cluster.healthy(2));
    }
}
