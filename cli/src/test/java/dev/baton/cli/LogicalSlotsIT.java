package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static dev.baton.cli.ClusterSupport.exec;
import static dev.baton.cli.ClusterSupport.primaryOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.Lsn;
import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Permanent logical slots that survive a failover (Patroni's copy and advance on PostgreSQL 15),
 * with real agents, PostgreSQL and etcd, on one two-node cluster: the replica gets the primary's
 * logical slot and keeps it advanced to what the consumer confirmed; after a switchover and after
 * the primary is killed, the new primary has the slot at a position not behind what was consumed
 * (decoding it gives only the changes made after); slots in ignore_slots stay on both nodes.
 */
class LogicalSlotsIT {
    private static final String SLOT = "cdc";
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aPermanentLogicalSlotFollowsTheConsumerOnTheReplicaAndSurvivesSwitchoverAndFailover() throws Exception {
        // The node yaml lands inside the node's postgresql section (it is appended after it).
        String walLevel = "  parameters:\n    wal_level: logical\n";
        LocalCluster.Options options = LocalCluster.Options.defaults().withHaproxy(false).withNodes(2)
                .withDcs("slots:",
                        "  " + SLOT + ": {type: logical, database: postgres, plugin: test_decoding}",
                        "ignore_slots:",
                        "- {name: keep_me}")
                .withNodeYaml(Map.of("node1", walLevel, "node2", walLevel));
        try (LocalCluster c = ClusterSupport.startCluster("baton-it-logical-", options, 1)) {
            Node first = primaryOf(c);
            Node second = other(c, first);
            awaitOrFail(c, "the permanent logical slot on " + first.name(), () -> confirmed(c, first) > 0);
            assertEquals("on", setting(c, second, "hot_standby_feedback"), "forced on replicas with logical slots");
            exec(c, first, "CREATE TABLE t (i int)");
            // A slot Baton did not make, covered by ignore_slots, on each node.
            exec(c, first, "SELECT pg_create_physical_replication_slot('keep_me', true)");
            awaitOrFail(c, "the table reached " + second.name(), () -> tableExists(c, second));
            exec(c, second, "SELECT pg_create_physical_replication_slot('keep_me')");

            // 1. The consumer reads on the primary; the replica's copy follows it.
            exec(c, first, "INSERT INTO t VALUES (1), (2)");
            List<String> consumed = consume(c, first);
            assertTrue(consumed.stream().anyMatch(s -> s.contains("INSERT: i[integer]:2")), consumed.toString());
            long c1 = confirmed(c, first);
            awaitOrFail(c, second.name() + " has the slot at " + Lsn.format(c1) + " or later",
                    () -> confirmed(c, second) >= c1);

            // 2. Switchover: the new primary decodes only what came after.
            switchover(c, first, second);
            awaitOrFail(c, second.name() + " is the primary", () -> c.primary().map(n -> n == second).orElse(false));
            assertTrue(confirmed(c, second) >= c1, "the slot on the new primary is not behind the consumer");
            exec(c, second, "INSERT INTO t VALUES (3)");
            List<String> after = consume(c, second);
            assertTrue(after.stream().noneMatch(s -> s.contains("i[integer]:1") || s.contains("i[integer]:2")),
                    "changes consumed before the switchover are not decoded again: " + after);
            assertTrue(after.stream().anyMatch(s -> s.contains("INSERT: i[integer]:3")), after.toString());
            awaitOrFail(c, first.name() + " is back as a replica", () -> c.healthy(1));
            assertTrue(hasSlot(c, first, "keep_me") && hasSlot(c, second, "keep_me"),
                    "the ignored slots stay through the switchover, on the old and on the new primary");
            long c2 = confirmed(c, second);
            awaitOrFail(c, first.name() + " (now a replica) has the slot at " + Lsn.format(c2) + " or later",
                    () -> confirmed(c, first) >= c2);

            // 3. Failover: the primary dies; the replica takes over with the slot.
            exec(c, second, "INSERT INTO t VALUES (4)");
            consume(c, second);
            long c3 = confirmed(c, second);
            awaitOrFail(c, first.name() + " has the slot at " + Lsn.format(c3) + " or later",
                    () -> confirmed(c, first) >= c3);
            second.kill();
            awaitOrFail(c, first.name() + " is the primary after the failover",
                    () -> c.primary().map(n -> n == first).orElse(false));
            assertTrue(confirmed(c, first) >= c3, "the slot on the promoted replica is not behind the consumer");
            exec(c, first, "INSERT INTO t VALUES (5)");
            List<String> afterFailover = consume(c, first);
            assertTrue(afterFailover.stream().noneMatch(s -> s.contains("i[integer]:4")),
                    "changes consumed before the failover are not decoded again: " + afterFailover);
            assertTrue(afterFailover.stream().anyMatch(s -> s.contains("INSERT: i[integer]:5")), afterFailover.toString());
            second.start();
            awaitOrFail(c, second.name() + " is back as a replica", () -> c.healthy(1));
            // pg_rewind empties the rewound node's pg_replslot (PostgreSQL's own behaviour): the
            // permanent slot is copied to it again; the ignored slot on the promoted node stayed.
            long c4 = confirmed(c, first);
            awaitOrFail(c, second.name() + " (rejoined) has the slot again at " + Lsn.format(c4) + " or later",
                    () -> confirmed(c, second) >= c4);
            ClusterSupport.awaitMoreCycles(c, first, 3);
            assertTrue(hasSlot(c, first, "keep_me"), "the ignored slot stays through the failover on " + first.name());
            String status = ClusterSupport.snapshot(c).status().value();
            assertTrue(status.contains("\"slots\":{\"" + SLOT + "\":"), status);
        }
    }

    private static Node other(LocalCluster c, Node n) {
        return c.nodes().stream().filter(x -> x != n).findFirst().orElseThrow();
    }

    private void switchover(LocalCluster c, Node from, Node to) throws Exception {
        // A copy of the slot may just have restarted the candidate: switch over to a running replica.
        awaitOrFail(c, to.name() + " is a streaming replica", () -> ClusterSupport.status(c, to, "/replica") == 200);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + from.restPort()
                        + "/switchover")).timeout(Duration.ofSeconds(90)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"leader\":\"" + from.name() + "\",\"candidate\":\""
                        + to.name() + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
    }

    /** The slot's confirmed_flush_lsn on {@code n}; 0 when it has no such slot or cannot be asked. */
    private static long confirmed(LocalCluster c, Node n) {
        try (Connection conn = ClusterSupport.connect(c, n); PreparedStatement ps = conn.prepareStatement(
                "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = ? AND slot_type = 'logical' "
                        + "AND database = 'postgres' AND plugin = 'test_decoding'")) {
            ps.setString(1, SLOT);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getString(1) != null ? Lsn.parse(rs.getString(1)) : 0;
            }
        } catch (SQLException e) {
            return 0;
        }
    }

    private static boolean hasSlot(LocalCluster c, Node n, String name) {
        try (Connection conn = ClusterSupport.connect(c, n);
             PreparedStatement ps = conn.prepareStatement("SELECT 1 FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            return false;
        }
    }

    private static boolean tableExists(LocalCluster c, Node n) {
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT to_regclass('public.t') IS NOT NULL")) {
            return rs.next() && rs.getBoolean(1);
        } catch (SQLException e) {
            return false;
        }
    }

    private static String setting(LocalCluster c, Node n, String name) throws SQLException {
        try (Connection conn = ClusterSupport.connect(c, n);
             PreparedStatement ps = conn.prepareStatement("SELECT current_setting(?)")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /** What the consumer decodes (and so confirms) from the slot on {@code n}. */
    private static List<String> consume(LocalCluster c, Node n) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection conn = ClusterSupport.connect(c, n); PreparedStatement ps = conn.prepareStatement(
                "SELECT data FROM pg_logical_slot_get_changes(?, NULL, NULL)")) {
            ps.setString(1, SLOT);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }
}
