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
 * A standby cluster (issue 18, Patroni's standby_cluster) with real agents, PostgreSQL and etcd:
 * cluster A (1 node) is the primary cluster; cluster B (2 nodes, another scope on the same etcd) is
 * a standby cluster of A. B's first member clones A and is the standby leader, streaming from A; the
 * other member cascades from it; rows written on A reach both. When B's standby leader dies, the
 * other member takes the key as the new standby leader and streams from A. {@code baton
 * promote-cluster} on B makes it writable; {@code baton demote-cluster} on A then makes A a standby
 * cluster of B.
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

    @Test
    void aStandbyClusterReplicatesFailsOverInsideItselfAndIsPromoted() throws Exception {
        LocalCluster.Options optionsA = LocalCluster.Options.defaults().withHaproxy(false).withNodes(1);
        try (LocalCluster a = ClusterSupport.startCluster("baton-it-standby-a-", optionsA, 0)) {
            Node primaryA = a.node("node1");
            exec(a, primaryA, "CREATE TABLE dr_t (id int PRIMARY KEY)");
            exec(a, primaryA, "INSERT INTO dr_t VALUES (1)");

            LocalCluster.Options optionsB = LocalCluster.Options.defaults().withHaproxy(false).withNodes(2)
                    .withScope("standby-b")
                    .withDcs("standby_cluster:", "  host: 127.0.0.1", "  port: " + primaryA.pgPort());
            try (LocalCluster b = LocalCluster.startStandby(Files.createTempDirectory("baton-it-standby-b-"), optionsB, a)) {
                awaitOrFail(b, "one member of B is the standby leader", () -> standbyLeader(b).isPresent());
                Node leader = standbyLeader(b).orElseThrow();
                Node other = b.nodes().get(0) == leader ? b.nodes().get(1) : b.nodes().get(0);
                awaitOrFail(b, "the standby leader streams from A's primary", () -> senderPort(b, leader) == primaryA.pgPort());
                awaitOrFail(b, "the other member of B cascades from the standby leader",
                        () -> senderPort(b, other) == leader.pgPort());
                awaitOrFail(b, "A's table and row reach both members of B", () -> hasRow(b, leader, 1) && hasRow(b, other, 1));
                exec(a, primaryA, "INSERT INTO dr_t VALUES (2)");
                awaitOrFail(b, "a row written on A later reaches both members of B",
                        () -> hasRow(b, leader, 2) && hasRow(b, other, 2));

                assertEquals("standby_leader", role(b, leader), "the member key and /patroni say standby_leader");
                assertEquals(503, status(b, leader, "/primary"), "the standby leader is no primary");
                assertEquals(503, status(b, leader, "/replica"), "as Patroni: /replica wants the role replica");
                assertEquals(200, status(b, leader, "/leader"), "as Patroni: /leader is the lock holder");
                assertEquals(503, status(b, other, "/standby-leader"));
                awaitOrFail(b, "the other member answers /replica", () -> status(b, other, "/replica") == 200);
                assertTrue(b.get(leader, "/cluster").orElseThrow().body().toString().contains("\"standby_leader\""),
                        "/cluster shows the role standby_leader");
                awaitOrFail(b, "the standby leader's cycle says so", () -> b.get(leader, "/patroni")
                        .map(r -> r.body().path("baton").path("last_cycle").asText()
                                .equals("no action: I am the standby leader with the lock")).orElse(false));

                leader.kill();
                awaitOrFail(b, "the other member takes the key as the new standby leader",
                        () -> status(b, other, "/standby-leader") == 200);
                awaitOrFail(b, "the new standby leader streams from A's primary", () -> senderPort(b, other) == primaryA.pgPort());
                assertEquals(503, status(b, other, "/primary"), "no promotion");
                exec(a, primaryA, "INSERT INTO dr_t VALUES (3)");
                awaitOrFail(b, "a row written on A reaches the new standby leader", () -> hasRow(b, other, 3));
                assertTrue(Files.readString(other.agentLog()).contains("acquired the leader key: I am the standby leader now"),
                        other.lastLogLines(40));

                StringWriter out = new StringWriter();
                int code = baton(b, out, "promote-cluster", "--force");
                for (int i = 0; i < 3 && code == 1 && out.toString().contains("got no answer"); i++) {
                    // etcd did not answer in time on this loaded machine: the command is safe to repeat.
                    out = new StringWriter();
                    code = baton(b, out, "promote-cluster", "--force");
                }
                assertEquals(0, code, out.toString());
                assertTrue(out.toString().contains("Success: cluster standby-b was promoted"), out.toString());
                awaitOrFail(b, "B's leader is the writable primary", () -> status(b, other, "/primary") == 200);
                exec(b, other, "INSERT INTO dr_t VALUES (100)");
                assertFalse(hasRow(a, primaryA, 100), "B is a cluster of its own now");
                assertEquals(1, baton(b, new StringWriter(), "promote-cluster", "--force"), "already a primary cluster");

                // The way back: A becomes a standby cluster of B (rewound, as its WAL may have gone past B's fork).
                StringWriter demote = new StringWriter();
                int demoted = baton(a, demote, "demote-cluster", "--host", "127.0.0.1", "--port",
                        Integer.toString(other.pgPort()), "--force");
                for (int i = 0; i < 3 && demoted == 1 && demote.toString().contains("got no answer"); i++) {
                    demote = new StringWriter();
                    demoted = baton(a, demote, "demote-cluster", "--host", "127.0.0.1", "--port",
                            Integer.toString(other.pgPort()), "--force");
                }
                assertEquals(0, demoted, demote.toString());
                assertTrue(demote.toString().contains("Success: cluster " + a.scope() + " was demoted"), demote.toString());
                awaitOrFail(a, "A's member is the standby leader", () -> status(a, primaryA, "/standby-leader") == 200);
                awaitOrFail(a, "A streams from B's primary", () -> senderPort(a, primaryA) == other.pgPort());
                exec(b, other, "INSERT INTO dr_t VALUES (101)");
                awaitOrFail(a, "rows written on B reach A", () -> hasRow(a, primaryA, 100) && hasRow(a, primaryA, 101));
                assertEquals(503, status(a, primaryA, "/primary"));
            }
        }
    }
}
