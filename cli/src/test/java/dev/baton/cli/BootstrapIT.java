package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.leader.model.ClusterView;
import dev.baton.cli.local.LocalCluster;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.MemberKey;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
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

/** Three real agents with real PostgreSQL around a real etcd: bootstrap, replication, restarts. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BootstrapIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private LocalCluster cluster;

    @BeforeAll
    void startCluster() throws Exception {
        cluster = LocalCluster.start(Files.createTempDirectory("baton-it-"),
                LocalCluster.Options.defaults().withHaproxy(false));
        awaitOrFail(cluster, "one primary and two streaming replicas", () -> cluster.healthy(2));
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private LocalCluster.Node primary() throws InterruptedException {
        awaitOrFail(cluster, "there is one primary", () -> cluster.primary().isPresent());
        return cluster.primary().orElseThrow();
    }

    @Test
    @Order(1)
    void onePrimaryHoldsTheLeaderKeyAndTheOthersStream() throws Exception {
        LocalCluster.Node p = primary();
        ClusterView view = ClusterSupport.view(cluster);
        assertEquals(p.name(), view.leader());
        assertEquals(3, view.members().size());
        for (LocalCluster.Node n : cluster.nodes()) {
            JsonNode status = cluster.get(n, "/patroni").orElseThrow().body();
            assertEquals("running", status.path("state").asText(), n.name());
            assertEquals(n == p ? "primary" : "replica", status.path("role").asText(), n.name());
            assertEquals(n == p ? 200 : 503, cluster.get(n, "/primary").orElseThrow().status(), n.name());
            assertEquals(n == p ? 503 : 200, cluster.get(n, "/replica").orElseThrow().status(), n.name());
            assertEquals(200, cluster.get(n, "/health").orElseThrow().status(), n.name());
            if (n != p) {
                assertEquals("streaming", status.path("replication_state").asText(), n.name());
            }
        }
        assertEquals("no action: I am the leader with the lock",
                cluster.get(p, "/patroni").orElseThrow().body().path("baton").path("last_cycle").asText());
    }

    @Test
    @Order(2)
    void aTableCreatedOnThePrimaryIsReadableOnBothReplicas() throws Exception {
        LocalCluster.Node p = primary();
        try (Connection c = ClusterSupport.connect(cluster, p); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE replicated (id int PRIMARY KEY, note text)");
            st.execute("INSERT INTO replicated SELECT g, 'row ' || g FROM generate_series(1, 100) g");
        }
        for (LocalCluster.Node n : cluster.nodes()) {
            if (n == p) {
                continue;
            }
            awaitOrFail(cluster, "the table is on " + n.name(), () -> count(n) == 100);
        }
    }

    private long count(LocalCluster.Node n) {
        try (Connection c = ClusterSupport.connect(cluster, n); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM replicated")) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            return -1;
        }
    }

    @Test
    @Order(3)
    void memberKeysHavePatronisFieldsAndTheLayoutIsPatronis() throws Exception {
        ClusterSnapshot s = ClusterSupport.snapshot(cluster);
        assertTrue(s.initialize() != null && s.initialize().value().matches("\\d+"), "initialize holds the system id");
        assertTrue(s.config() != null && JSON.readTree(s.config().value()).path("ttl").asInt() == 10, "config key");
        assertTrue(s.status() != null && JSON.readTree(s.status().value()).path("optime").asLong() > 0, "status key");
        for (MemberKey m : s.members().values()) {
            JsonNode n = JSON.readTree(m.json());
            for (String field : List.of("conn_url", "api_url", "state", "role", "xlog_location", "timeline", "version")) {
                assertTrue(n.has(field), m.name() + " lacks " + field + ": " + m.json());
            }
            assertTrue(n.path("conn_url").asText().startsWith("postgres://127.0.0.1:"), m.json());
            assertTrue(n.path("api_url").asText().endsWith("/patroni"), m.json());
            assertTrue(m.leaseId() != 0, "member keys are bound to the agent's lease");
        }
        assertTrue(s.leader().leaseId() == s.members().get(s.leader().name()).leaseId(),
                "leader and member key share the agent's one lease");
    }

    @Test
    @Order(4)
    void patronictlListShowsTheBatonMembers() throws Exception {
        Optional<Path> patronictl = dev.baton.cli.local.Binaries.find("patronictl", "/usr/bin");
        Assumptions.assumeTrue(patronictl.isPresent(), "patronictl (Debian package patroni) is not installed");
        Path cfg = cluster.dir().resolve("patronictl.yml");
        Files.writeString(cfg, "scope: " + cluster.scope() + "\nnamespace: /service/\netcd3:\n  hosts: "
                + cluster.etcdEndpoint() + "\n");
        Process p = new ProcessBuilder(patronictl.get().toString(), "-c", cfg.toString(), "list", "-f", "json")
                .redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes());
        String err = new String(p.getErrorStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "patronictl failed: " + err);
        JsonNode rows = JSON.readTree(out);
        assertEquals(3, rows.size(), out);
        LocalCluster.Node primary = primary();
        int leaders = 0;
        for (JsonNode r : rows) {
            String role = r.path("Role").asText();
            if (r.path("Member").asText().equals(primary.name())) {
                assertEquals("Leader", role, out);
                leaders++;
            } else {
                assertEquals("Replica", role, out);
            }
            assertEquals("running", r.path("State").asText().equals("streaming") ? "running" : r.path("State").asText(), out);
        }
        assertEquals(1, leaders, out);
    }

    @Test
    @Order(5)
    void batonListPrintsTheMembers() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Baton.commandLine(new PrintWriter(out), new PrintWriter(err))
                .execute("list", "--etcd", cluster.etcdEndpoint(), "--scope", cluster.scope(), "--format", "json");
        assertEquals(0, code, err.toString());
        JsonNode rows = JSON.readTree(out.toString());
        assertEquals(3, rows.size());
        long leaders = 0;
        for (JsonNode r : rows) {
            leaders += r.path("Role").asText().equals("Leader") ? 1 : 0;
            assertEquals(1, r.path("TL").asInt());
        }
        assertEquals(1, leaders);

        StringWriter table = new StringWriter();
        code = Baton.commandLine(new PrintWriter(table), new PrintWriter(err))
                .execute("list", "-c", cluster.nodes().get(0).config().toString());
        assertEquals(0, code, err.toString());
        assertTrue(table.toString().contains("| Leader  |"), table.toString());
    }

    @Test
    @Order(6)
    void aRestartedReplicaAgentComesBackAsAReplica() throws Exception {
        LocalCluster.Node p = primary();
        LocalCluster.Node replica = cluster.nodes().stream().filter(n -> n != p).findFirst().orElseThrow();
        assertEquals(0, replica.stop(Duration.ofSeconds(60)), "clean exit on SIGTERM");
        assertEquals(-1, replica.postmasterPid(), "SIGTERM stops postgres too");
        replica.start();
        awaitOrFail(cluster, replica.name() + " streams again",
                () -> cluster.get(replica, "/replica").map(r -> r.status() == 200).orElse(false));
        assertEquals(p.name(), ClusterSupport.view(cluster).leader(), "the primary did not change");
        assertTrue(cluster.healthy(2));
    }

    @Test
    @Order(7)
    void sigtermOfThePrimaryAgentReleasesTheLeaderKey() throws Exception {
        LocalCluster.Node p = primary();
        assertEquals(0, p.stop(Duration.ofSeconds(60)), "clean exit on SIGTERM");
        // The lease (ttl 10 s) is still alive: the key can only be gone or moved because it was released.
        ClusterView view = ClusterSupport.view(cluster);
        assertNotEquals(p.name(), view.leader(), "the leader key was released, not left to expire");
        awaitOrFail(cluster, "another node is primary", () -> cluster.primary().map(n -> n != p).orElse(false));
        LocalCluster.Node newPrimary = cluster.primary().orElseThrow();
        assertNotEquals(p, newPrimary);

        p.start();
        awaitOrFail(cluster, p.name() + " rejoins as a streaming replica",
                () -> cluster.get(p, "/replica").map(r -> r.status() == 200).orElse(false));
        awaitOrFail(cluster, "the cluster is whole again", () -> cluster.healthy(2));
        assertEquals(100, count(p), "the old primary kept its data and follows the new timeline");
    }
}
