package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static dev.baton.cli.ClusterSupport.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.SyncState;
import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.etcd.EtcdClusterStore;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * synchronous_mode with real agents, PostgreSQL and etcd: the primary keeps one synchronous
 * standby named in synchronous_standby_names and in the {@code sync} key, only that standby is
 * promoted when the primary dies, and it holds every commit the primary acknowledged.
 */
class SynchronousModeIT {

    private static SyncState sync(LocalCluster c) {
        ClusterView v = ClusterSupport.view(c);
        return v.sync();
    }

    private static String show(LocalCluster c, Node n, String setting) {
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SHOW " + setting)) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            return "error: " + e.getMessage();
        }
    }

    private static Set<Long> ids(LocalCluster c, Node n) throws SQLException {
        Set<Long> ids = new java.util.HashSet<>();
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT id FROM acked")) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    @Test
    void onlyTheSynchronousStandbyTakesOverAndEveryAcknowledgedCommitSurvives() throws Exception {
        LocalCluster.Options options = LocalCluster.Options.defaults().withHaproxy(false).withDcs("synchronous_mode: true");
        try (LocalCluster c = LocalCluster.start(Files.createTempDirectory("baton-it-sync-"), options)) {
            awaitOrFail(c, "the cluster is up", () -> c.healthy(2));
            Node old = c.primary().orElseThrow();
            awaitOrFail(c, "the sync key names one synchronous standby of " + old.name(),
                    () -> old.name().equals(sync(c).leader()) && sync(c).standbys().size() == 1);
            Node standby = c.node(sync(c).standbys().iterator().next());
            Node async = c.nodes().stream().filter(n -> n != old && n != standby).findFirst().orElseThrow();
            assertEquals("FIRST 1 (\"" + standby.name() + "\")", show(c, old, "synchronous_standby_names"));
            awaitOrFail(c, "/sync answers 200 on " + standby.name() + " and /async on " + async.name(),
                    () -> status(c, standby, "/sync") == 200 && status(c, async, "/async") == 200);
            assertEquals(503, status(c, async, "/sync"));
            assertEquals(503, status(c, standby, "/async"));
            // /cluster answers from the leader's last cycle: it may trail the key by a cycle.
            awaitOrFail(c, "/cluster names a sync_standby", () -> c.get(old, "/cluster")
                    .map(r -> r.body().toString().contains("\"sync_standby\"")).orElse(false));

            // Commit rows one by one on the primary; remember each acknowledged one. Kill the
            // primary (agent and postgres) in the middle of it.
            try (Connection conn = ClusterSupport.connect(c, old); Statement st = conn.createStatement()) {
                st.execute("CREATE TABLE acked (id bigint PRIMARY KEY)");
            }
            ConcurrentLinkedQueue<Long> acked = new ConcurrentLinkedQueue<>();
            AtomicBoolean writing = new AtomicBoolean(true);
            Thread writer = new Thread(() -> {
                long id = 0;
                try (Connection conn = ClusterSupport.connect(c, old);
                     var ps = conn.prepareStatement("INSERT INTO acked VALUES (?)")) {
                    while (writing.get()) {
                        ps.setLong(1, ++id);
                        ps.executeUpdate();
                        acked.add(id);
                    }
                } catch (SQLException expected) {
                    // the primary was killed
                }
            }, "sync-writer");
            writer.start();
            awaitOrFail(c, "some commits were acknowledged", () -> acked.size() > 200);
            old.kill();
            writing.set(false);
            writer.join(30_000);

            awaitOrFail(c, "a new primary", () -> c.primary().map(n -> n != old).orElse(false));
            Node now = c.primary().orElseThrow();
            assertEquals(standby, now, "only the synchronous standby may be promoted");
            Set<Long> survived = ids(c, now);
            List<Long> lost = acked.stream().filter(id -> !survived.contains(id)).toList();
            assertEquals(List.of(), lost, acked.size() + " commits acknowledged; these are missing on " + now.name());

            // The new primary makes the remaining replica its synchronous standby.
            awaitOrFail(c, now.name() + " takes " + async.name() + " as its synchronous standby",
                    () -> now.name().equals(sync(c).leader()) && sync(c).standbys().equals(Set.of(async.name())));
            assertEquals("FIRST 1 (\"" + async.name() + "\")", show(c, now, "synchronous_standby_names"));

            // The old primary comes back as a replica (an asynchronous one: the count is 1).
            old.start();
            awaitOrFail(c, "the cluster is whole again", () -> c.healthy(2));
            assertEquals(Set.of(async.name()), sync(c).standbys());

            // Turning synchronous mode off removes the key and the setting.
            try (EtcdClusterStore store = new EtcdClusterStore(List.of(c.etcdEndpoint()),
                    new KeyLayout("/service/", c.scope()), "test-writer", 10, Duration.ofSeconds(5), System::nanoTime)) {
                var config = store.read().config();
                DynamicConfig d = DynamicConfig.fromJson(config.value());
                DynamicConfig off = new DynamicConfig(d.ttl(), d.loopWait(), d.retryTimeout(), d.maximumLagOnFailover(),
                        d.primaryStartTimeout(), d.usePgRewind(), d.useSlots(), d.parameters(), d.pause(), false);
                assertTrue(store.casConfig(off.toJson(), config.modRevision()));
            }
            awaitOrFail(c, "the sync key is gone and synchronous_standby_names is empty",
                    () -> !sync(c).present() && show(c, now, "synchronous_standby_names").isEmpty());
        }
    }
}
