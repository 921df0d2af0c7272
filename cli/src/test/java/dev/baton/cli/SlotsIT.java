package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static dev.baton.cli.ClusterSupport.primaryOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.ha.SlotPlanner;
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
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Replication slots with real agents, PostgreSQL and etcd (Patroni 4's keys): permanent physical
 * and logical slots are made on the primary and again on a new primary after a switchover; a slot
 * Baton did not make (pg_receivewal's, barman's) is never touched; a member's slot stays
 * member_slots_ttl after its agent stopped and its member key is gone.
 */
class SlotsIT {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> call(Node n, String method, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.restPort() + path))
                .timeout(Duration.ofSeconds(90)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    /** "physical", "logical postgres test_decoding", or null when the node has no such slot (or cannot be asked). */
    private static String slot(LocalCluster c, Node n, String name) {
        try (Connection conn = ClusterSupport.connect(c, n);
             PreparedStatement ps = conn.prepareStatement(
                     "SELECT slot_type, database, plugin FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                return rs.getString(1).equals("physical") ? "physical"
                        : "logical " + rs.getString(2) + " " + rs.getString(3);
            }
        } catch (SQLException e) {
            return null;
        }
    }

    private static boolean pendingRestart(LocalCluster c, Node n) {
        return c.get(n, "/patroni").map(r -> r.body().path("pending_restart").asBoolean(false)).orElse(false);
    }

    @Test
    void permanentSlotsFollowTheLeaderForeignSlotsStayAndAStoppedMembersSlotIsKept() throws Exception {
        LocalCluster.Options options = LocalCluster.Options.defaults().withHaproxy(false).withDcs(
                "member_slots_ttl: 1h",
                "slots:",
                "  perm_phys: {type: physical}",
                "  perm_cdc: {type: logical, database: postgres, plugin: test_decoding}",
                "ignore_slots:",
                "- {name: ignored_by_config}");
        try (LocalCluster c = ClusterSupport.startCluster("baton-it-slots-", options, 2)) {
            Node old = primaryOf(c);
            awaitOrFail(c, "the permanent physical slot on " + old.name(), () -> "physical".equals(slot(c, old, "perm_phys")));

            // Logical decoding needs wal_level logical: set it cluster-wide and restart each node.
            HttpResponse<String> patch = call(old, "PATCH", "/config",
                    "{\"postgresql\":{\"parameters\":{\"wal_level\":\"logical\"}}}");
            assertEquals(200, patch.statusCode(), patch.body());
            for (Node n : c.nodes()) {
                awaitOrFail(c, n.name() + " has a pending restart for wal_level", () -> pendingRestart(c, n));
                HttpResponse<String> r = call(n, "POST", "/restart", "{}");
                assertEquals(200, r.statusCode(), r.body());
            }
            awaitOrFail(c, "the cluster is up after the restarts", () -> c.healthy(2));
            Node p = primaryOf(c);
            awaitOrFail(c, "the permanent logical slot on " + p.name(),
                    () -> "logical postgres test_decoding".equals(slot(c, p, "perm_cdc")));

            // Slots Baton did not make, on the replica that becomes the leader (the member that acts on
            // slots; the old primary may be rewound after the switchover, and pg_rewind empties
            // pg_replslot): one no matcher covers (pg_receivewal's), one in ignore_slots.
            Node target = c.nodes().stream().filter(n -> n != p).findFirst().orElseThrow();
            ClusterSupport.exec(c, target, "SELECT pg_create_physical_replication_slot('receivewal_archive', true)");
            ClusterSupport.exec(c, target, "SELECT pg_create_physical_replication_slot('ignored_by_config')");

            HttpResponse<String> sw = call(p, "POST", "/switchover",
                    "{\"leader\":\"" + p.name() + "\",\"candidate\":\"" + target.name() + "\"}");
            assertEquals(200, sw.statusCode(), sw.body());
            awaitOrFail(c, target.name() + " is the primary", () -> c.primary().map(n -> n == target).orElse(false));
            awaitOrFail(c, "both permanent slots on the new primary " + target.name(),
                    () -> "physical".equals(slot(c, target, "perm_phys"))
                            && "logical postgres test_decoding".equals(slot(c, target, "perm_cdc")));
            awaitOrFail(c, p.name() + " is back as a replica", () -> c.healthy(2));
            // Several leader cycles later the foreign slots on the new primary are still there.
            ClusterSupport.awaitMoreCycles(c, target, 5);
            assertEquals("physical", slot(c, target, "receivewal_archive"), "a slot Baton did not make is never dropped");
            assertEquals("physical", slot(c, target, "ignored_by_config"));

            // A replica's agent stops: its member key goes, its slot on the leader stays (member_slots_ttl 1h).
            Node leaving = c.nodes().stream().filter(n -> n != target && n != p).findFirst().orElseThrow();
            String leavingSlot = SlotPlanner.slotName(leaving.name());
            awaitOrFail(c, "the leader has " + leaving.name() + "'s slot",
                    () -> "physical".equals(slot(c, target, leavingSlot)));
            leaving.stop(Duration.ofSeconds(60));
            awaitOrFail(c, leaving.name() + "'s member key is gone",
                    () -> !ClusterSupport.view(c).members().containsKey(leaving.name()));
            ClusterSupport.awaitMoreCycles(c, target, 5);
            assertEquals("physical", slot(c, target, leavingSlot), "kept for member_slots_ttl");
            String status = ClusterSupport.snapshot(c).status().value();
            assertTrue(status.contains("\"retain_slots\":[") && status.contains("\"" + leavingSlot + "\""), status);
            assertNotEquals(null, slot(c, target, "perm_phys"));
        }
    }
}
