package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static dev.baton.cli.ClusterSupport.primaryOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * failsafe_mode with real agents, PostgreSQL and etcd: Patroni's acceptance scenarios
 * (features/dcs_failsafe_mode.feature) on one cluster, in order: enabling it; a one-node cluster
 * working while etcd is down; leader and replica both in the failsafe key; both working while
 * etcd is down; the primary demoted when the replica is shut down while etcd is down; a known
 * replica promoted when the leader is down and etcd up; a new replica (not in the key) not
 * promoted while the leader is down and etcd up; a three-node cluster working while etcd is down.
 */
class FailsafeIT {
    private final HttpClient http = HttpClient.newHttpClient();
    /** Long enough for the leader's lease (ttl 10) to expire twice over while etcd is down. */
    private static final Duration OUTAGE_WRITES = Duration.ofSeconds(25);

    private HttpResponse<String> call(Node n, String method, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.restPort() + path))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode failsafeKeyOf(LocalCluster c, Node n) {
        return c.get(n, "/failsafe").filter(r -> r.status() == 200).map(LocalCluster.Response::body).orElse(null);
    }

    private static boolean listed(LocalCluster c, Node on, String... names) {
        JsonNode k = failsafeKeyOf(c, on);
        if (k == null) {
            return false;
        }
        for (String name : names) {
            if (!k.hasNonNull(name)) {
                return false;
            }
        }
        return true;
    }

    private static boolean failsafeActive(LocalCluster c, Node n) {
        return c.get(n, "/patroni").map(r -> r.body().path("failsafe_mode_is_active").asBoolean(false)).orElse(false);
    }

    private static Optional<Boolean> inRecovery(LocalCluster c, Node n) {
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            return Optional.of(rs.getBoolean(1));
        } catch (SQLException e) {
            return Optional.empty();
        }
    }

    private static long count(LocalCluster c, Node n) {
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM fs")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            return -1;
        }
    }

    /**
     * Inserts a row a second on {@code primary} for {@link #OUTAGE_WRITES}; every insert must
     * succeed (0 s of write unavailability). Returns the number of rows inserted.
     */
    private static int writeThrough(LocalCluster c, Node primary) throws Exception {
        long end = System.nanoTime() + OUTAGE_WRITES.toNanos();
        int n = 0;
        while (System.nanoTime() - end < 0) {
            try {
                ClusterSupport.exec(c, primary, "INSERT INTO fs VALUES (now())");
            } catch (SQLException e) {
                c.keepFiles();
                throw new AssertionError("write " + (n + 1) + " on " + primary.name() + " failed while etcd was down "
                        + "(failsafe mode): " + e.getMessage() + "\n" + primary.lastLogLines(40), e);
            }
            n++;
            Thread.sleep(1000);
        }
        return n;
    }

    @Test
    void patronisFailsafeScenarios() throws Exception {
        LocalCluster.Options options = LocalCluster.Options.defaults().withNodes(1).withHaproxy(false);
        try (LocalCluster c = ClusterSupport.startCluster("baton-it-failsafe-", options, 0)) {
            Node node1 = primaryOf(c);

            // Enabling it: PATCH /config, then GET /failsafe lists the leader.
            assertEquals(502, c.get(node1, "/failsafe").map(LocalCluster.Response::status).orElse(-1),
                    "failsafe_mode is off");
            HttpResponse<String> patch = call(node1, "PATCH", "/config", "{\"failsafe_mode\": true}");
            assertEquals(200, patch.statusCode(), patch.body());
            awaitOrFail(c, "GET /failsafe on node1 lists node1", () -> listed(c, node1, "node1"));
            assertTrue(failsafeKeyOf(c, node1).path("node1").asText().endsWith("/patroni"));
            ClusterSupport.exec(c, node1, "CREATE TABLE fs (at timestamptz)");

            // A one-node cluster keeps working while etcd is down.
            c.etcd().stop();
            awaitOrFail(c, "node1 says failsafe_mode_is_active", () -> failsafeActive(c, node1));
            writeThrough(c, node1);
            assertEquals(200, ClusterSupport.status(c, node1, "/primary"));
            c.etcd().start();
            awaitOrFail(c, "node1 reads etcd again (failsafe no longer active)", () -> !failsafeActive(c, node1)
                    && ClusterSupport.status(c, node1, "/primary") == 200);

            // Leader and replica both in the failsafe key.
            Node node2 = c.addNode();
            node2.start();
            awaitOrFail(c, "node2 streams from node1", () -> c.healthy(1));
            awaitOrFail(c, "GET /failsafe on node2 lists node1 and node2", () -> listed(c, node2, "node1", "node2"));

            // Leader and replica keep working while etcd is down.
            c.etcd().stop();
            awaitOrFail(c, "node1 says failsafe_mode_is_active", () -> failsafeActive(c, node1));
            int rows = writeThrough(c, node1);
            assertEquals(Optional.of(true), inRecovery(c, node2), "node2 stays a replica");
            long onPrimary = count(c, node1);
            assertTrue(rows > 0 && onPrimary > rows);
            awaitOrFail(c, "node2 replicates the writes made while etcd was down", () -> count(c, node2) == onPrimary);

            // The primary is demoted when the replica is shut down while etcd is down.
            node2.stop(Duration.ofSeconds(60));
            awaitOrFail(c, "node1 is demoted: read-only, /primary 503", () -> inRecovery(c, node1).orElse(false)
                    && ClusterSupport.status(c, node1, "/primary") == 503);

            // A known replica is promoted when the leader is down and etcd is up.
            node1.kill();
            c.etcd().start();
            node2.start();
            awaitOrFail(c, "node2 (in the failsafe key) is promoted", () -> c.primary().map(p -> p == node2).orElse(false)
                    && inRecovery(c, node2).map(r -> !r).orElse(false));

            // A new replica, missing from the failsafe key, is not promoted while the leader is down.
            Node node3 = c.addNode();
            node3.start();
            awaitOrFail(c, "node3 streams from node2", () -> c.healthy(1));
            awaitOrFail(c, "GET /failsafe on node3 lists node3", () -> listed(c, node3, "node2", "node3"));
            node2.kill();
            String key = "/service/" + c.scope() + "/failsafe";
            String onlyNode2 = "{\"node2\":\"" + failsafeKeyOf(c, node3).path("node2").asText() + "\"}";
            c.etcd().etcdctl(null, null, "put", key, onlyNode2);
            awaitOrFail(c, "node3 sees the leader key expire", () -> c.get(node3, "/patroni")
                    .map(r -> r.body().path("cluster_unlocked").asBoolean(false)).orElse(false));
            ClusterSupport.awaitMoreCycles(c, node3, 15);
            assertEquals(Optional.of(true), inRecovery(c, node3), "node3 is not in the failsafe key: never promoted");
            assertTrue(c.primary().isEmpty());

            // A three-node cluster keeps working while etcd is down.
            node2.start();
            awaitOrFail(c, "node2 leads again", () -> c.primary().map(p -> p == node2).orElse(false));
            node1.start();
            awaitOrFail(c, "node1 and node3 stream from node2", () -> c.healthy(2));
            awaitOrFail(c, "GET /failsafe lists all three", () -> listed(c, node2, "node1", "node2", "node3"));
            c.etcd().stop();
            awaitOrFail(c, "node2 says failsafe_mode_is_active", () -> failsafeActive(c, node2));
            writeThrough(c, node2);
            assertEquals(Optional.of(true), inRecovery(c, node1));
            assertEquals(Optional.of(true), inRecovery(c, node3));
            long total = count(c, node2);
            awaitOrFail(c, "both replicas replicate the outage's writes", () -> count(c, node1) == total
                    && count(c, node3) == total);
            c.etcd().start();
            awaitOrFail(c, "the cluster is healthy after the outage", () -> c.healthy(2) && !failsafeActive(c, node2));
        }
    }
}
