package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static dev.baton.cli.ClusterSupport.exec;
import static dev.baton.cli.ClusterSupport.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * A standby cluster (issue 18, Patroni's standby_cluster and its features/standby_cluster.feature)
 * with real agents, PostgreSQL and etcd: cluster A (2 nodes) is the primary cluster with the
 * permanent slots pm_1 (physical) and test_logical (logical) set by PATCH /config; cluster B (2
 * nodes, another scope on the same etcd) is a standby cluster of A streaming through pm_1. B's
 * first member clones A and is the standby leader ({@code on_role_change standby_leader}); the other
 * member cascades from it; rows written on A reach both. A switchover inside B hands the standby
 * leader role to the other member; killing that one (agent and postmaster) makes the first the
 * standby leader again, streaming from A. {@code baton promote-cluster} on B makes it writable;
 * {@code baton demote-cluster} on A then makes A a standby cluster of B.
 */
class StandbyClusterIT {

    /** The port the node's WAL receiver streams from, -1 when it does not stream. */
    private static int senderPort(LocalCluster c, Node n) {
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT sender_port FROM pg_stat_wal_receiver WHERE status = 'streaming'")) {
            return rs.next() ? rs.getInt(1) : -1;
        } catch (SQLException e) {
            return -1;
        }
    }

    private static boolean hasRow(LocalCluster c, Node n, int id) {
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM dr_t WHERE id = " + id)) {
            rs.next();
            return rs.getLong(1) == 1;
        } catch (SQLException e) {
            return false;
        }
    }

    /** The member of {@code c} answering 200 on /standby-leader, when exactly one does. */
    private static Optional<Node> standbyLeader(LocalCluster c) {
        List<Node> found = new ArrayList<>();
        for (Node n : c.nodes()) {
            if (n.isAgentAlive() && status(c, n, "/standby-leader") == 200) {
                found.add(n);
            }
        }
        return found.size() == 1 ? Optional.of(found.get(0)) : Optional.empty();
    }

    private static String role(LocalCluster c, Node n) {
        return c.get(n, "/patroni").map(r -> r.body().path("role").asText()).orElse("");
    }

    /** {@code baton ARGS --etcd E --scope S --force}, no terminal; the transcript goes to the test output. */
    private static int baton(LocalCluster c, StringWriter out, String... args) {
        StringWriter err = new StringWriter();
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--etcd", c.etcdEndpoint(), "--scope", c.scope()));
        int code = Baton.commandLine(new PrintWriter(out, true), new PrintWriter(err, true))
                .execute(a.toArray(String[]::new));
        System.out.println("$ baton " + String.join(" ", args) + "\n" + out + err + "(exit " + code + ")\n");
        out.write(err.toString());
        return code;
    }

    /** "physical", "logical", or null when the node has no such slot (or cannot be asked). */
    private static String slotType(LocalCluster c, Node n, String name) {
        try (Connection conn = ClusterSupport.connect(c, n);
             java.sql.PreparedStatement ps = conn.prepareStatement(
                     "SELECT slot_type FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            return null;
        }
    }

    /** Whether the slot is in use by a walsender on {@code n}. */
    private static boolean slotActive(LocalCluster c, Node n, String name) {
        try (Connection conn = ClusterSupport.connect(c, n);
             java.sql.PreparedStatement ps = conn.prepareStatement(
                     "SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        } catch (SQLException e) {
            return false;
        }
    }

    /** The logical slot's confirmed_flush_lsn on {@code n} as a number; -1 when absent. */
    private static long confirmed(LocalCluster c, Node n, String name) {
        try (Connection conn = ClusterSupport.connect(c, n);
             java.sql.PreparedStatement ps = conn.prepareStatement("SELECT (confirmed_flush_lsn - '0/0')::bigint "
                     + "FROM pg_replication_slots WHERE slot_name = ? AND confirmed_flush_lsn IS NOT NULL")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : -1;
            }
        } catch (SQLException e) {
            return -1;
        }
    }

    private static java.net.http.HttpResponse<String> patchConfig(Node n, String body) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + n.restPort() + "/config"))
                .timeout(java.time.Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    private static String replicationState(LocalCluster c, Node n) {
        return c.get(n, "/patroni").map(r -> r.body().path("replication_state").asText()).orElse("");
    }

    private static List<String> callbacks(Node n) {
        try {
            return Files.exists(n.callbackLog()) ? Files.readAllLines(n.callbackLog()) : List.of();
        } catch (java.io.IOException e) {
            return List.of();
        }
    }

    private static Node otherOf(LocalCluster c, Node n) {
        return c.nodes().get(0) == n ? c.nodes().get(1) : c.nodes().get(0);
    }

    @Test
    void aStandbyClusterReplicatesSwitchesAndFailsOverInsideItselfAndIsPromoted() throws Exception {
        // The node yaml lands inside the node's postgresql section: logical decoding for test_logical.
        String walLevel = "  parameters:\n    wal_level: logical\n";
        LocalCluster.Options optionsA = LocalCluster.Options.defaults().withHaproxy(false).withNodes(2)
                .withNodeYaml(java.util.Map.of("node1", walLevel, "node2", walLevel));
        try (LocalCluster a = ClusterSupport.startCluster("baton-it-standby-a-", optionsA, 1)) {
            Node primaryA = ClusterSupport.primaryOf(a);
            Node replicaA = otherOf(a, primaryA);
            // As the feature: the permanent slots, by PATCH /config.
            var patch = patchConfig(primaryA, "{\"slots\": {\"pm_1\": {\"type\": \"physical\"}, \"test_logical\": "
                    + "{\"type\": \"logical\", \"database\": \"postgres\", \"plugin\": \"test_decoding\"}}}");
            assertEquals(200, patch.statusCode(), patch.body());
            awaitOrFail(a, "A's primary has pm_1 and test_logical", () -> "physical".equals(slotType(a, primaryA, "pm_1"))
                    && "logical".equals(slotType(a, primaryA, "test_logical")));
            exec(a, primaryA, "CREATE TABLE dr_t (id int PRIMARY KEY)");
            exec(a, primaryA, "INSERT INTO dr_t VALUES (1)");
            long onPrimary = confirmed(a, primaryA, "test_logical");
            awaitOrFail(a, "test_logical is in sync on A's replica", () -> confirmed(a, replicaA, "test_logical") >= onPrimary
                    && onPrimary > 0);

            LocalCluster.Options optionsB = LocalCluster.Options.defaults().withHaproxy(false).withNodes(2)
                    .withScope("standby-b").withCallbacks()
                    .withDcs("standby_cluster:", "  host: 127.0.0.1", "  port: " + primaryA.pgPort(),
                            "  primary_slot_name: pm_1");
            try (LocalCluster b = LocalCluster.startStandby(Files.createTempDirectory("baton-it-standby-b-"), optionsB, a)) {
                awaitOrFail(b, "one member of B is the standby leader", () -> standbyLeader(b).isPresent());
                Node leader = standbyLeader(b).orElseThrow();
                Node other = otherOf(b, leader);
                awaitOrFail(b, "the standby leader streams from A's primary", () -> senderPort(b, leader) == primaryA.pgPort());
                awaitOrFail(a, "through the permanent slot pm_1", () -> slotActive(a, primaryA, "pm_1"));
                awaitOrFail(b, "the other member of B cascades from the standby leader",
                        () -> senderPort(b, other) == leader.pgPort());
                awaitOrFail(b, "A's table and row reach both members of B", () -> hasRow(b, leader, 1) && hasRow(b, other, 1));
                exec(a, primaryA, "INSERT INTO dr_t VALUES (2)");
                awaitOrFail(b, "a row written on A later reaches both members of B",
                        () -> hasRow(b, leader, 2) && hasRow(b, other, 2));

                assertEquals("standby_leader", role(b, leader), "the member key and /patroni say standby_leader");
                assertEquals(200, status(b, leader, "/standby_leader"), "Patroni's spelling too");
                assertEquals("standby_leader", b.get(leader, "/standby_leader").orElseThrow().body().path("role").asText());
                assertEquals(503, status(b, leader, "/primary"), "the standby leader is no primary");
                assertEquals(503, status(b, leader, "/replica"), "as Patroni: /replica wants the role replica");
                assertEquals(200, status(b, leader, "/leader"), "as Patroni: /leader is the lock holder");
                assertEquals("streaming", replicationState(b, leader));
                assertEquals(503, status(b, other, "/standby-leader"));
                awaitOrFail(b, "the other member answers /replica", () -> status(b, other, "/replica") == 200);
                awaitOrFail(b, "the other member streams", () -> "streaming".equals(replicationState(b, other)));
                awaitOrFail(b, "on_role_change standby_leader ran on the standby leader",
                        () -> callbacks(leader).contains("on_role_change standby_leader " + b.scope()));
                assertEquals(null, slotType(b, leader, "test_logical"), "the standby leader has no logical slot test_logical");
                assertTrue(b.get(leader, "/cluster").orElseThrow().body().toString().contains("\"standby_leader\""),
                        "/cluster shows the role standby_leader");
                awaitOrFail(b, "the standby leader's cycle says so", () -> b.get(leader, "/patroni")
                        .map(r -> r.body().path("baton").path("last_cycle").asText()
                                .equals("no action: I am the standby leader with the lock")).orElse(false));

                // Switchover inside the standby cluster: the other member becomes the standby leader.
                StringWriter sw = new StringWriter();
                int switched = baton(b, sw, "switchover", "--force");
                assertEquals(0, switched, sw.toString());
                awaitOrFail(b, "the other member is the standby leader after the switchover",
                        () -> status(b, other, "/standby_leader") == 200);
                assertEquals("standby_leader", b.get(other, "/standby_leader").orElseThrow().body().path("role").asText());
                awaitOrFail(b, "the new standby leader streams from A's primary", () -> senderPort(b, other) == primaryA.pgPort());
                awaitOrFail(b, "the old standby leader streams from the new one", () -> senderPort(b, leader) == other.pgPort());
                assertEquals(503, status(b, other, "/primary"), "no promotion");
                exec(a, primaryA, "INSERT INTO dr_t VALUES (3)");
                awaitOrFail(b, "a row written on A reaches both members of B after the switchover",
                        () -> hasRow(b, other, 3) && hasRow(b, leader, 3));
                assertTrue(callbacks(leader).contains("on_stop standby_leader " + b.scope()), callbacks(leader).toString());

                // Failover: the new standby leader dies (agent and postmaster); the first member takes over again.
                other.kill();
                awaitOrFail(b, "the first member is the standby leader again", () -> status(b, leader, "/standby_leader") == 200);
                awaitOrFail(b, "it replicates from A's primary", () -> senderPort(b, leader) == primaryA.pgPort());
                assertEquals(503, status(b, leader, "/primary"), "no promotion");
                exec(a, primaryA, "INSERT INTO dr_t VALUES (4)");
                awaitOrFail(b, "a row written on A reaches the standby leader", () -> hasRow(b, leader, 4));
                awaitOrFail(b, "on_role_change standby_leader ran again after the switchover's on_role_change replica", () -> {
                    List<String> log = callbacks(leader);
                    return log.lastIndexOf("on_role_change standby_leader " + b.scope())
                            > log.lastIndexOf("on_role_change replica " + b.scope())
                            && log.contains("on_role_change replica " + b.scope());
                });
                assertTrue(Files.readString(leader.agentLog()).contains("acquired the leader key: I am the standby leader now"),
                        leader.lastLogLines(40));
                Node survivor = leader;

                StringWriter out = new StringWriter();
                int code = baton(b, out, "promote-cluster", "--force");
                for (int i = 0; i < 3 && code == 1 && out.toString().contains("got no answer"); i++) {
                    // etcd did not answer in time on this loaded machine: the command is safe to repeat.
                    out = new StringWriter();
                    code = baton(b, out, "promote-cluster", "--force");
                }
                assertEquals(0, code, out.toString());
                assertTrue(out.toString().contains("Success: cluster standby-b was promoted"), out.toString());
                awaitOrFail(b, "B's leader is the writable primary", () -> status(b, survivor, "/primary") == 200);
                exec(b, survivor, "INSERT INTO dr_t VALUES (100)");
                assertFalse(hasRow(a, primaryA, 100), "B is a cluster of its own now");
                assertEquals(1, baton(b, new StringWriter(), "promote-cluster", "--force"), "already a primary cluster");

                // The way back: A becomes a standby cluster of B (rewound, as its WAL may have gone past B's fork).
                StringWriter demote = new StringWriter();
                int demoted = baton(a, demote, "demote-cluster", "--host", "127.0.0.1", "--port",
                        Integer.toString(survivor.pgPort()), "--force");
                for (int i = 0; i < 3 && demoted == 1 && demote.toString().contains("got no answer"); i++) {
                    demote = new StringWriter();
                    demoted = baton(a, demote, "demote-cluster", "--host", "127.0.0.1", "--port",
                            Integer.toString(survivor.pgPort()), "--force");
                }
                assertEquals(0, demoted, demote.toString());
                assertTrue(demote.toString().contains("Success: cluster " + a.scope() + " was demoted"), demote.toString());
                awaitOrFail(a, "A's leader is the standby leader", () -> status(a, primaryA, "/standby-leader") == 200);
                awaitOrFail(a, "A streams from B's primary", () -> senderPort(a, primaryA) == survivor.pgPort());
                exec(b, survivor, "INSERT INTO dr_t VALUES (101)");
                awaitOrFail(a, "rows written on B reach A", () -> hasRow(a, primaryA, 100) && hasRow(a, primaryA, 101));
                assertEquals(503, status(a, primaryA, "/primary"));
            }
        }
    }
}
