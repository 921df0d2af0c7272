package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static dev.baton.cli.ClusterSupport.primaryOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Member tags with real agents, PostgreSQL and etcd: a {@code failover_priority: 0} member is never
 * promoted, and a new member clones from the {@code clonefrom} member, then streams from the leader.
 */
class TagsIT {

    private static boolean replicaOf(LocalCluster c, Node primary, String name) {
        try (Connection conn = ClusterSupport.connect(c, primary); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_replication WHERE application_name = '"
                     + name + "' AND state = 'streaming'")) {
            rs.next();
            return rs.getLong(1) == 1;
        } catch (SQLException e) {
            return false;
        }
    }

    @Test
    void aFailoverPriorityZeroMemberIsNeverPromotedAndNewMembersCloneFromTheClonefromMember() throws Exception {
        LocalCluster.Options options = LocalCluster.Options.defaults().withHaproxy(false)
                .withNodeYaml(Map.of("node3", "tags: {failover_priority: 0, clonefrom: true}\n"));
        try (LocalCluster c = ClusterSupport.startCluster("baton-it-tags-", options, 2)) {
            Node node3 = c.node("node3");
            Node old = primaryOf(c);
            assertNotEquals(node3, old, "failover_priority 0 does not bootstrap either");

            old.kill();
            awaitOrFail(c, "another node is primary", () -> c.primary().map(n -> n != old).orElse(false));
            Node now = c.primary().orElseThrow();
            assertNotEquals(node3, now, "the failover_priority 0 member is never promoted");
            awaitOrFail(c, "node3 streams from the new primary " + now.name(), () -> replicaOf(c, now, "node3"));

            Node node4 = c.addNode();
            node4.start();
            awaitOrFail(c, "node4 streams from the leader " + now.name(), () -> replicaOf(c, now, "node4"));
            String log = Files.readString(node4.agentLog());
            assertTrue(log.contains("cloning a replica from node3 (tagged clonefrom)"), node4.lastLogLines(40));
            assertTrue(log.contains("pg_basebackup from node3"), node4.lastLogLines(40));
            assertTrue(c.primary().map(n -> n == now).orElse(false), "no other promotion meanwhile");
        }
    }
}
