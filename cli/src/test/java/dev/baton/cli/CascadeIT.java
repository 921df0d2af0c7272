package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static dev.baton.cli.ClusterSupport.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Patroni's acceptance scenario "cascading replication" with real agents, PostgreSQL and etcd: a
 * base backup taken from a replica (node2, tagged clonefrom) and streaming from it (node3, tagged
 * replicatefrom: node2) through a slot node2 keeps for it; then node2 stops and node3 re-points at
 * the leader and keeps receiving, and goes back to node2 when node2 returns.
 */
class CascadeIT {

    /** The port node {@code n}'s WAL receiver streams from, -1 when it does not stream. */
    private static int senderPort(LocalCluster c, Node n) {
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT sender_port FROM pg_stat_wal_receiver WHERE status = 'streaming'")) {
            return rs.next() ? rs.getInt(1) : -1;
        } catch (SQLException e) {
            return -1;
        }
    }

    private static boolean streamsTo(LocalCluster c, Node upstream, String name) {
        try (Connection conn = ClusterSupport.connect(c, upstream); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_replication WHERE application_name = '"
                     + name + "' AND state = 'streaming'")) {
            rs.next();
            return rs.getLong(1) == 1;
        } catch (SQLException e) {
            return false;
        }
    }

    private static boolean activeSlot(LocalCluster c, Node n, String slot) {
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT active FROM pg_replication_slots WHERE slot_name = '" + slot + "'")) {
            return rs.next() && rs.getBoolean(1);
        } catch (SQLException e) {
            return false;
        }
    }

    /** The restart_lsn of slot {@code slot} on {@code n} as text, or null (no slot, never reserved, not reachable). */
    private static String restartLsn(LocalCluster c, Node n, String slot) {
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = '"
                     + slot + "'")) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            return null;
        }
    }

    private static String currentLsn(LocalCluster c, Node n) throws SQLException {
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static boolean hasRow(LocalCluster c, Node n, int id) {
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM cascade_t WHERE id = " + id)) {
            rs.next();
            return rs.getLong(1) == 1;
        } catch (SQLException e) {
            return false;
        }
    }

    @Test
    void aReplicaClonesAndStreamsFromAReplicaAndFallsBackToTheLeaderWhenItStops() throws Exception {
        // Only node1 may bootstrap or be promoted, so the tree stays node1 → node2 → node3.
        LocalCluster.Options options = LocalCluster.Options.defaults().withHaproxy(false).withNodes(2)
                .withNodeYaml(Map.of("node2", "tags: {clonefrom: true, nofailover: true}\n",
                        "node3", "tags: {replicatefrom: node2, nofailover: true}\n"));
        try (LocalCluster c = ClusterSupport.startCluster("baton-it-cascade-", options, 1)) {
            Node node1 = c.node("node1");
            Node node2 = c.node("node2");
            assertEquals(node1, c.primary().orElseThrow());
            Files.writeString(node2.dataDir().resolve("label"), "node2");
            exec(c, node1, "CREATE TABLE cascade_t (id int PRIMARY KEY)");

            Node node3 = c.addNode();
            node3.start();
            awaitOrFail(c, "node3 streams from node2", () -> senderPort(c, node3) == node2.pgPort());
            assertTrue(streamsTo(c, node2, "node3"), "node2 sends to node3");
            assertEquals("node2", Files.readString(node3.dataDir().resolve("label")),
                    "node3's base backup was taken from node2 (tagged clonefrom)");
            awaitOrFail(c, "node2 keeps an active slot for node3", () -> activeSlot(c, node2, "node3"));
            exec(c, node1, "INSERT INTO cascade_t VALUES (1)");
            awaitOrFail(c, "a row written on the primary reaches node3", () -> hasRow(c, node3, 1));
            awaitOrFail(c, "baton topology shows node3 under node2", () -> List.of("node1", "+ node2", "  + node3")
                    .equals(TopologyCommand.lines(ClusterSupport.view(c)).stream().map(TopologyCommand.Line::shown).toList()));

            node2.stop(Duration.ofSeconds(60)); // the agent stops its postgres too
            awaitOrFail(c, "node3 streams from the leader node1", () -> senderPort(c, node3) == node1.pgPort());
            exec(c, node1, "INSERT INTO cascade_t VALUES (2)");
            awaitOrFail(c, "a row written on the primary reaches node3 without node2", () -> hasRow(c, node3, 2));
            assertTrue(Files.readString(node3.agentLog()).contains("following leader node1: replicatefrom member node2"),
                    node3.lastLogLines(40));

            node2.start();
            awaitOrFail(c, "node3 streams from node2 again once node2 is back", () -> senderPort(c, node3) == node2.pgPort());
            exec(c, node1, "INSERT INTO cascade_t VALUES (3)");
            awaitOrFail(c, "a row written on the primary reaches node3 through node2 again", () -> hasRow(c, node3, 3));
            // The leader's slot for node3 is idle now: it follows node3's published position.
            long written = dev.baton.agent.postgres.Lsn.parse(currentLsn(c, node1));
            awaitOrFail(c, "node1 advances its idle slot for node3 to where node3 is", () -> {
                String lsn = restartLsn(c, node1, "node3");
                return lsn != null && dev.baton.agent.postgres.Lsn.parse(lsn) >= written;
            });
            assertEquals(node1, c.primary().orElseThrow(), "no promotion meanwhile");
        }
    }
}
