package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/** The agent's action endpoints, driven over HTTP as patronictl and baton do. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SwitchoverRestIT {
    private final HttpClient http = HttpClient.newHttpClient();
    private LocalCluster cluster;

    @BeforeAll
    void start() throws Exception {
        cluster = LocalCluster.start(Files.createTempDirectory("baton-it-rest-"),
                LocalCluster.Options.defaults().withHaproxy(false));
        awaitOrFail(cluster, "the cluster is up", () -> cluster.healthy(2));
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private HttpResponse<String> call(Node n, String method, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.restPort() + path))
                .timeout(Duration.ofSeconds(90))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private Node primary() throws InterruptedException {
        awaitOrFail(cluster, "one primary", () -> cluster.primary().isPresent() && cluster.healthy(2));
        return cluster.primary().orElseThrow();
    }

    @Test
    @Order(1)
    void badRequestsChangeNothing() throws Exception {
        Node p = primary();
        Node r = cluster.nodes().stream().filter(n -> n != p).findFirst().orElseThrow();
        assertEquals(400, call(p, "POST", "/switchover", "{not json").statusCode());
        assertEquals(400, call(p, "POST", "/switchover", "{\"leader\":\"" + p.name() + "\",\"scheduled_at\":\"tomorrow\"}").statusCode());
        assertEquals(412, call(p, "POST", "/switchover", "{\"leader\":\"" + r.name() + "\"}").statusCode());
        assertEquals(412, call(p, "POST", "/switchover", "{\"leader\":\"" + p.name() + "\",\"candidate\":\"nobody\"}").statusCode());
        assertEquals(412, call(p, "POST", "/switchover", "{\"leader\":\"" + p.name() + "\",\"candidate\":\"" + p.name() + "\"}").statusCode());
        assertEquals(404, call(p, "DELETE", "/switchover", null).statusCode());
        assertEquals(503, call(p, "POST", "/reinitialize", null).statusCode(), "the leader refuses to reinitialize");
        assertEquals(p, cluster.primary().orElseThrow(), "nothing changed");
    }

    @Test
    @Order(2)
    void switchoverToANamedCandidate() throws Exception {
        Node p = primary();
        Node target = cluster.nodes().stream().filter(n -> n != p).findFirst().orElseThrow();
        HttpResponse<String> r = call(p, "POST", "/switchover",
                "{\"leader\":\"" + p.name() + "\",\"candidate\":\"" + target.name() + "\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains(target.name()), r.body());
        awaitOrFail(cluster, target.name() + " is primary and the others stream",
                () -> cluster.primary().map(n -> n == target).orElse(false) && cluster.healthy(2));
        awaitOrFail(cluster, "the request is removed", () -> ClusterSupport.snapshot(cluster).failover() == null);
    }

    @Test
    @Order(3)
    void scheduledSwitchoverCanBeCancelled() throws Exception {
        Node p = primary();
        String at = OffsetDateTime.now(ZoneOffset.UTC).plusMinutes(10).toString();
        HttpResponse<String> r = call(p, "POST", "/switchover", "{\"leader\":\"" + p.name() + "\",\"scheduled_at\":\"" + at + "\"}");
        assertEquals(202, r.statusCode(), r.body());
        assertTrue(ClusterSupport.snapshot(cluster).failover() != null);
        assertEquals(200, call(p, "DELETE", "/switchover", null).statusCode());
        assertEquals(null, ClusterSupport.snapshot(cluster).failover());
        assertEquals(p, primary());
    }

    @Test
    @Order(4)
    void restartReloadAndReinitializeAReplica() throws Exception {
        Node p = primary();
        Node r = cluster.nodes().stream().filter(n -> n != p).findFirst().orElseThrow();
        long pid = r.postmasterPid();
        HttpResponse<String> res = call(r, "POST", "/restart", "{}");
        assertEquals(200, res.statusCode(), res.body());
        assertTrue(r.postmasterPid() != pid, "a new postmaster");
        assertEquals(412, call(r, "POST", "/restart", "{\"restart_pending\":true}").statusCode());
        assertEquals(412, call(r, "POST", "/restart", "{\"role\":\"primary\"}").statusCode());
        assertEquals(202, call(r, "POST", "/reload", null).statusCode());
        // The reload runs on the long-action slot: a reinitialize meanwhile is refused with 503
        // (nothing started) until it is done.
        java.util.concurrent.atomic.AtomicReference<HttpResponse<String>> re = new java.util.concurrent.atomic.AtomicReference<>();
        awaitOrFail(cluster, "reinitialize accepted once the reload is done", () -> {
            try {
                re.set(call(r, "POST", "/reinitialize", null));
            } catch (Exception e) {
                return false;
            }
            return re.get().statusCode() != 503;
        });
        assertEquals(200, re.get().statusCode(), re.get().body());
        awaitOrFail(cluster, r.name() + " streams again after its re-clone",
                () -> cluster.get(r, "/replica").map(x -> x.status() == 200).orElse(false));
    }

    @Test
    @Order(5)
    void switchoverToTheBest() throws Exception {
        Node p = primary();
        HttpResponse<String> r = call(p, "POST", "/switchover", "{\"leader\":\"" + p.name() + "\"}");
        assertEquals(200, r.statusCode(), r.body());
        awaitOrFail(cluster, "another node is primary", () -> cluster.primary().map(n -> n != p).orElse(false)
                && cluster.healthy(2));
    }
}
