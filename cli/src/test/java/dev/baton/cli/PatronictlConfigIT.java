package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * patronictl's pause and resume against a Baton cluster (they send {@code PATCH /config} to a
 * member), and {@code PATCH /config} as any HTTP client sends it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PatronictlConfigIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private LocalCluster cluster;

    @BeforeAll
    void start() throws Exception {
        cluster = ClusterSupport.startCluster("baton-it-patronictl-config-",
                LocalCluster.Options.defaults().withNodes(2).withHaproxy(false), 1);
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private JsonNode configKey() throws Exception {
        return JSON.readTree(ClusterSupport.snapshot(cluster).config().value());
    }

    /** Whether every member's /patroni shows the pause as {@code paused}. */
    private boolean everyMemberShows(boolean paused) {
        return cluster.nodes().stream().allMatch(n -> cluster.get(n, "/patroni")
                .map(r -> r.body().path("pause").asBoolean(false) == paused).orElse(false));
    }

    /** Runs patronictl with a config naming this cluster's etcd; its output (stdout and stderr). */
    private String patronictl(String... args) throws Exception {
        Optional<Path> patronictl = dev.baton.cli.local.Binaries.find("patronictl", "/usr/bin");
        Assumptions.assumeTrue(patronictl.isPresent(), "patronictl (Debian package patroni) is not installed");
        Path cfg = cluster.dir().resolve("patronictl.yml");
        Files.writeString(cfg, "scope: " + cluster.scope() + "\nnamespace: /service/\netcd3:\n  hosts: "
                + cluster.etcdEndpoint() + "\n");
        List<String> argv = new java.util.ArrayList<>(List.of(patronictl.get().toString(), "-c", cfg.toString()));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "patronictl did not finish: " + out);
        // patronictl exits 0 also when the agent refused ("Failed: ... status code=..."): read the output.
        assertEquals(0, p.exitValue(), "patronictl failed: " + out);
        assertFalse(out.contains("Failed"), out);
        return out;
    }

    private HttpResponse<String> patch(Node n, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.restPort() + "/config"))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(1)
    void patronictlPausesAndResumes() throws Exception {
        String paused = patronictl("pause", "--wait");
        assertTrue(paused.contains("'pause' request sent"), paused);
        assertTrue(configKey().path("pause").asBoolean(false), configKey()::toString);
        awaitOrFail(cluster, "every member shows the pause", () -> everyMemberShows(true));

        String resumed = patronictl("resume", "--wait");
        assertTrue(resumed.contains("'resume' request sent"), resumed);
        assertFalse(configKey().has("pause"), configKey()::toString);
        awaitOrFail(cluster, "no member shows the pause", () -> everyMemberShows(false));
    }

    @Test
    @Order(2)
    void batonPauseStillWorksAndPatronictlResumesIt() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Baton.commandLine(new PrintWriter(out), new PrintWriter(err)).execute("pause", "--etcd",
                cluster.etcdEndpoint(), "--scope", cluster.scope(), "--wait");
        assertEquals(0, code, err.toString());
        assertTrue(configKey().path("pause").asBoolean(false));
        awaitOrFail(cluster, "every member shows the pause", () -> everyMemberShows(true));

        patronictl("resume", "--wait");
        assertFalse(configKey().has("pause"), configKey()::toString);
        awaitOrFail(cluster, "no member shows the pause", () -> everyMemberShows(false));
    }

    @Test
    @Order(3)
    void patchOverHttpChangesTheKeyAndABadOneChangesNothing() throws Exception {
        Node n = ClusterSupport.primaryOf(cluster);
        HttpResponse<String> ok = patch(n, "{\"loop_wait\": 2}");
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals(2, JSON.readTree(ok.body()).path("loop_wait").asInt(), ok.body());
        assertEquals(2, configKey().path("loop_wait").asInt(), configKey()::toString);

        String before = ClusterSupport.snapshot(cluster).config().value();
        HttpResponse<String> bad = patch(n, "{\"ttl\": \"x\"}");
        assertEquals(400, bad.statusCode(), bad.body());
        assertTrue(bad.body().contains("config.ttl"), bad.body());
        assertEquals(before, ClusterSupport.snapshot(cluster).config().value(), "the key is unchanged");

        // The cluster keeps running with the new loop_wait.
        awaitOrFail(cluster, "the cluster is healthy", () -> cluster.healthy(1));
    }
}
