package dev.baton.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.baton.agent.client.RestClientSettings;
import dev.baton.config.BasicAuth;
import dev.baton.config.tls.CertificateAuthority;
import dev.baton.config.tls.TlsContexts;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator commands against a secured REST API: an HTTPS agent stub and etcd's JSON gateway
 * faked in-process. A refusal (401, 403, TLS) is exit 1 saying which setting to look at; key
 * material that cannot be used is exit 2 naming its setting; nothing unsafe goes out in clear.
 */
class RestClientSecurityTest {
    private static final Instant NOW = Instant.now();

    @TempDir
    Path dir;
    private final List<HttpServer> servers = new ArrayList<>();
    private final List<String> seen = new CopyOnWriteArrayList<>();
    private volatile int status = 200;
    private CertificateAuthority ca;
    private Path caFile;
    private Path crt;
    private Path key;

    @BeforeEach
    void material() {
        ca = CertificateAuthority.create("cluster", Duration.ofDays(1), NOW);
        caFile = dir.resolve("ca.crt");
        ca.self().write(caFile, dir.resolve("ca.key"));
        crt = dir.resolve("node.crt");
        key = dir.resolve("node.key");
        ca.issueNode(List.of("127.0.0.1", "localhost"), Duration.ofDays(1), NOW).write(crt, key);
    }

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
    }

    /** An agent on HTTPS with a certificate of {@code issuer}; records "METHOD path auth content-type". */
    private String httpsAgent(CertificateAuthority issuer) throws Exception {
        Path c = dir.resolve("srv" + servers.size() + ".crt");
        Path k = dir.resolve("srv" + servers.size() + ".key");
        issuer.issueNode(List.of("127.0.0.1"), Duration.ofDays(1), NOW).write(c, k);
        SSLContext ctx = TlsContexts.context(TlsContexts.keyManagers(c, k, null), caFile);
        HttpsServer s = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.setHttpsConfigurator(new HttpsConfigurator(ctx));
        s.createContext("/", this::record);
        s.start();
        servers.add(s);
        return "https://127.0.0.1:" + s.getAddress().getPort() + "/patroni";
    }

    private String httpAgent() throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/", this::record);
        s.start();
        servers.add(s);
        return "http://127.0.0.1:" + s.getAddress().getPort() + "/patroni";
    }

    private void record(HttpExchange ex) throws IOException {
        ex.getRequestBody().readAllBytes();
        seen.add(ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + " "
                + ex.getRequestHeaders().getFirst("Authorization") + " " + ex.getRequestHeaders().getFirst("Content-Type"));
        reply(ex, status, "{\"message\":\"" + (status == 200 ? "reload requested" : "no") + "\"}");
    }

    private static void reply(HttpExchange ex, int code, String body) throws IOException {
        byte[] b = body.getBytes(UTF_8);
        ex.sendResponseHeaders(code, b.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(b);
        }
    }

    private static String kv(String k, String v) {
        Base64.Encoder b = Base64.getEncoder();
        return "{\"key\":\"" + b.encodeToString(k.getBytes(UTF_8)) + "\",\"create_revision\":\"7\",\"mod_revision\":\"9\","
                + "\"value\":\"" + b.encodeToString(v.getBytes(UTF_8)) + "\"}";
    }

    /** etcd's JSON gateway with node1 as the leader at {@code apiUrl} (and a scheduled switchover, when asked). */
    private String etcd(String apiUrl, boolean scheduled) throws IOException {
        String member = "{\"conn_url\":\"postgres://127.0.0.1:5432/postgres\",\"api_url\":\"" + apiUrl
                + "\",\"state\":\"running\",\"role\":\"primary\"}";
        String kvs = kv("/service/demo/leader", "node1") + "," + kv("/service/demo/members/node1", member)
                + (scheduled ? "," + kv("/service/demo/failover", "{\"leader\":\"node1\",\"scheduled_at\":\""
                + NOW.plusSeconds(3600) + "\"}") : "");
        String range = "{\"header\":{\"revision\":\"9\"},\"kvs\":[" + kvs + "]}";
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            seen.add("etcd " + ex.getRequestURI().getPath());
            reply(ex, 200, range);
        });
        s.start();
        servers.add(s);
        return "127.0.0.1:" + s.getAddress().getPort();
    }

    private record Run(int code, String out, String err) {
    }

    private Run baton(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Baton.commandLine(new PrintWriter(o, true), new PrintWriter(e, true)).execute(args);
        return new Run(code, o.toString(), e.toString());
    }

    private Path config(String etcd, String ctl) throws IOException {
        Path f = dir.resolve("baton.yml");
        Files.writeString(f, "scope: demo\nname: node9\nrestapi: {listen: 127.0.0.1:8008}\netcd3: {host: " + etcd + "}\n"
                + "postgresql: {listen: 127.0.0.1:5432, data_dir: " + dir.resolve("pg") + "}\n" + ctl);
        return f;
    }

    @Test
    void theClientCertificateAndCaOptionsReachAnHttpsAgentAndA401SaysWhatToSet() throws Exception {
        String etcd = etcd(httpsAgent(ca), false);
        status = 401;
        Run r = baton("reload", "--etcd", etcd, "--scope", "demo", "--force", "--cacert", caFile.toString(),
                "--certfile", crt.toString(), "--keyfile", key.toString());
        assertEquals(BaseCommand.EXIT_FAILED, r.code(), r::err);
        assertTrue(r.err().contains("401 from node1 on POST https://127.0.0.1:"), r::err);
        assertTrue(r.err().contains("authentication required: set ctl.authentication or restapi.authentication"), r::err);
        assertTrue(seen.stream().anyMatch(s -> s.startsWith("POST /reload null application/json")), seen::toString);
    }

    @Test
    void theFilesCtlSectionGivesTheCaAndTheCredentialsOfUnsafeCalls() throws Exception {
        String etcd = etcd(httpsAgent(ca), false);
        Path f = config(etcd, "ctl: {cacert: " + caFile + ", authentication: {username: admin, password: s3cret}}\n");
        Run r = baton("reload", "-c", f.toString(), "--force");
        assertEquals(BaseCommand.EXIT_OK, r.code(), r::err);
        assertTrue(r.out().contains("node1: reload requested"), r::out);
        String basic = new BasicAuth("admin", "s3cret").header();
        assertTrue(seen.contains("POST /reload " + basic + " application/json"), seen::toString);
        assertFalse(r.err().contains("s3cret") || r.out().contains("s3cret"));

        status = 403;
        Run refused = baton("reload", "-c", f.toString(), "--force");
        assertEquals(BaseCommand.EXIT_FAILED, refused.code());
        assertTrue(refused.err().contains("403 from node1"), refused::err);
    }

    @Test
    void aServerCertificateOfAnotherCaIsExit1SayingWhichCaWasTrusted() throws Exception {
        CertificateAuthority other = CertificateAuthority.create("other", Duration.ofDays(1), NOW);
        String etcd = etcd(httpsAgent(other), false);
        Run r = baton("reload", "--etcd", etcd, "--scope", "demo", "--force", "--cacert", caFile.toString());
        assertEquals(BaseCommand.EXIT_FAILED, r.code(), r::err);
        assertTrue(r.err().contains("TLS with node1 failed on POST"), r::err);
        assertTrue(r.err().contains("not signed by a CA this client trusts: --cacert " + caFile), r::err);
    }

    @Test
    void keyMaterialThatCannotBeUsedIsExit2NamingItsSetting() throws Exception {
        String etcd = etcd(httpsAgent(ca), false);
        Run r = baton("reload", "--etcd", etcd, "--scope", "demo", "--force", "--certfile",
                dir.resolve("missing.crt").toString());
        assertEquals(BaseCommand.EXIT_BAD_INPUT, r.code(), r::err);
        assertTrue(r.err().contains("--certfile: "), r::err);

        Path f = config(etcd, "ctl: {certfile: " + crt + ", keyfile: " + dir.resolve("ca.crt") + "}\n");
        Run c = baton("reload", "-c", f.toString(), "--force");
        assertEquals(BaseCommand.EXIT_BAD_INPUT, c.code(), c::err);
        assertTrue(c.err().contains("ctl.keyfile: "), c::err);
        assertTrue(seen.stream().noneMatch(s -> s.startsWith("POST")), seen::toString);
    }

    @Test
    void anHttpApiUrlGetsNoUnsafeCallFromAClientSetUpForTls() throws Exception {
        String etcd = etcd(httpAgent(), false);
        Run r = baton("reload", "--etcd", etcd, "--scope", "demo", "--force", "--cacert", caFile.toString());
        assertEquals(BaseCommand.EXIT_FAILED, r.code(), r::err);
        assertTrue(r.err().contains("refusing POST http://127.0.0.1:"), r::err);
        assertTrue(seen.stream().noneMatch(s -> s.startsWith("POST")), seen::toString);
    }

    @Test
    void aRefusedCancelIsNeverTurnedIntoAnEtcdWrite() throws Exception {
        CertificateAuthority other = CertificateAuthority.create("other", Duration.ofDays(1), NOW);
        String etcd = etcd(httpsAgent(other), true);
        Run r = baton("flush", "switchover", "--etcd", etcd, "--scope", "demo", "--cacert", caFile.toString());
        assertEquals(BaseCommand.EXIT_FAILED, r.code(), r::err);
        assertTrue(r.err().contains("TLS with node1 failed"), r::err);
        assertFalse(r.err().contains("instead"), r::err);
        assertTrue(seen.stream().allMatch(s -> s.equals("etcd /v3/kv/range")), seen::toString);
    }

    @Test
    void withoutAFileTheCtlSectionComesFromTheEnvironmentAndOptionsWin() {
        ClusterOptions none = new ClusterOptions();
        RestClientOptions opts = new RestClientOptions();
        PrintWriter err = new PrintWriter(new StringWriter());
        RestClientSettings s = opts.settings(none, Map.of("PATRONI_CTL_USERNAME", "admin", "BATON_CTL_PASSWORD", "pw",
                "PATRONI_CTL_CACERT", caFile.toString(), "PATRONI_CTL_INSECURE", "false"), err);
        assertEquals(new BasicAuth("admin", "pw"), s.authentication());
        assertEquals(caFile, s.tls().cafile());
        assertEquals("ctl.cacert", s.names().cafile());
        assertFalse(s.insecure());

        opts.cacert = dir.resolve("other.crt");
        opts.insecure = true;
        RestClientSettings o = opts.settings(none, Map.of("PATRONI_CTL_CACERT", caFile.toString()), err);
        assertEquals(dir.resolve("other.crt"), o.tls().cafile());
        assertEquals("--cacert", o.names().cafile());
        assertTrue(o.insecure());
        assertNull(o.authentication());

        ExitException half = org.junit.jupiter.api.Assertions.assertThrows(ExitException.class,
                () -> new RestClientOptions().settings(none, Map.of("BATON_CTL_USERNAME", "admin"), err));
        assertEquals(BaseCommand.EXIT_BAD_INPUT, half.code());
        assertTrue(half.getMessage().contains("ctl.authentication.password"), half::getMessage);
    }
}
