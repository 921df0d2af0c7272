package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static dev.baton.cli.ClusterSupport.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import dev.baton.leader.model.SyncState;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Quorum commit (synchronous_mode: quorum, issue 18) with real agents, PostgreSQL and etcd: set
 * with edit-config, the primary names its two replicas {@code ANY 1 (..)} and publishes them as
 * voters with quorum 1; with one replica gone writes still commit and the key follows; when the
 * primary dies the remaining voter promotes with every acknowledged commit.
 */
class QuorumIT {

    private static SyncState sync(LocalCluster c) {
        return ClusterSupport.view(c).sync();
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
        Set<Long> ids = new HashSet<>();
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT id FROM acked")) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    private static String anyOne(Node a, Node b) {
        List<String> names = new java.util.ArrayList<>(List.of(a.name(), b.name()));
        java.util.Collections.sort(names);
        return "ANY 1 (\"" + names.get(0) + "\",\"" + names.get(1) + "\")";
    }

    /** Commits rows one by one on {@code primary} until stopped or the primary dies; remembers each acknowledged id. */
    private static Thread writer(LocalCluster c, Node primary, ConcurrentLinkedQueue<Long> acked, AtomicBoolean writing,
                                 long from) {
        Thread t = new Thread(() -> {
            long id = from;
            try (Connection conn = ClusterSupport.connect(c, primary);
                 var ps = conn.prepareStatement("INSERT INTO acked VALUES (?)")) {
                while (writing.get()) {
                    ps.setLong(1, ++id);
                    ps.executeUpdate();
                    acked.add(id);
                }
            } catch (SQLException expected) {
                // the primary was killed
            }
        }, "quorum-writer");
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void quorumCommitSurvivesAReplicaAndThenThePrimary() throws Exception {
        try (LocalCluster c = ClusterSupport.startCluster("baton-it-quorum-",
                LocalCluster.Options.defaults().withHaproxy(false), 2)) {
            Node primary = ClusterSupport.primaryOf(c);
            List<Node> replicas = c.nodes().stream().filter(n -> n != primary).toList();
            Node r1 = replicas.get(0);
            Node r2 = replicas.get(1);

            // On a loaded machine one etcd write may time out (exit 1): edit-config is simply run again.
            StringWriter err = new StringWriter();
            awaitOrFail(c, "edit-config --set synchronous_mode=quorum succeeds", () -> Baton.commandLine(
                    new PrintWriter(new StringWriter(), true), new PrintWriter(err, true)).execute("edit-config",
                    "--set", "synchronous_mode=quorum", "--force", "--etcd", c.etcdEndpoint(), "--scope", c.scope()) == 0);
            assertTrue(ClusterSupport.view(c).dynamic().synchronousQuorum(), err.toString());

            awaitOrFail(c, "synchronous_standby_names on " + primary.name() + " is " + anyOne(r1, r2),
                    () -> anyOne(r1, r2).equals(show(c, primary, "synchronous_standby_names")));
            awaitOrFail(c, "the sync key lists both replicas as voters with quorum 1", () -> {
                SyncState s = sync(c);
                return primary.name().equals(s.leader()) && s.standbys().equals(Set.of(r1.name(), r2.name()))
                        && s.quorum() == 1;
            });
            awaitOrFail(c, "/quorum answers 200 on both replicas", () -> status(c, r1, "/quorum") == 200
                    && status(c, r2, "/quorum") == 200);
            assertEquals(503, status(c, r1, "/sync"), "a quorum standby is not a synchronous standby");
            assertEquals(503, status(c, r1, "/async"));
            assertEquals(200, status(c, primary, "/read-only-quorum"));
            assertEquals(200, status(c, r2, "/read-only-quorum"));
            assertEquals(503, status(c, primary, "/quorum"));

            ClusterSupport.exec(c, primary, "CREATE TABLE acked (id bigint PRIMARY KEY)");
            ConcurrentLinkedQueue<Long> acked = new ConcurrentLinkedQueue<>();
            AtomicBoolean writing = new AtomicBoolean(true);
            Thread w = writer(c, primary, acked, writing, 0);
            awaitOrFail(c, "some commits were acknowledged", () -> acked.size() > 100);

            // One replica dies: ANY 1 still commits on the other, and the leader drops it from both.
            r2.kill();
            int before = acked.size();
            awaitOrFail(c, "writes still commit with " + r2.name() + " gone", () -> acked.size() > before + 200);
            awaitOrFail(c, "synchronous_standby_names and the sync key keep only " + r1.name(), () -> {
                SyncState s = sync(c);
                return ("ANY 1 (\"" + r1.name() + "\")").equals(show(c, primary, "synchronous_standby_names"))
                        && s.standbys().equals(Set.of(r1.name())) && s.quorum() == 0;
            });
            awaitOrFail(c, "/quorum is 503 on nobody but " + r1.name(), () -> status(c, r1, "/quorum") == 200);

            // The primary dies while committing: the remaining voter promotes with every acknowledged row.
            int beforeKill = acked.size();
            awaitOrFail(c, "more commits", () -> acked.size() > beforeKill + 100);
            primary.kill();
            writing.set(false);
            w.join(30_000);
            awaitOrFail(c, r1.name() + " is the new primary", () -> c.primary().map(n -> n == r1).orElse(false));
            Set<Long> survived = ids(c, r1);
            List<Long> lost = acked.stream().filter(id -> !survived.contains(id)).toList();
            assertEquals(List.of(), lost, acked.size() + " commits acknowledged; these are missing on " + r1.name());
            assertTrue(acked.size() > 300, "acknowledged " + acked.size());
        }
    }

    /** baton drill --synchronous-mode quorum: one kill-node iteration, promised and kept: no lost acknowledged write. */
    @Test
    void theDrillRunsItsFaultsInQuorumModeAndLosesNothing(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        java.nio.file.Path out = tmp.resolve("drill");
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Baton.commandLine(new PrintWriter(o, true), new PrintWriter(e, true)).execute("drill", "--fault",
                "kill-node", "--iterations", "1", "--ttl", "5", "--synchronous-mode", "quorum", "--out", out.toString(),
                "--format", "json");
        String text = o + "\n--- stderr (progress)\n" + e;
        assertEquals(0, code, text);
        com.fasterxml.jackson.databind.JsonNode report = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(java.nio.file.Files.readString(out.resolve("drill.json")));
        com.fasterxml.jackson.databind.JsonNode it = report.path("iterations").get(0);
        assertTrue(it.path("no_loss_promised").asBoolean(), "quorum commit promises no loss: " + text);
        assertTrue(it.path("acknowledged_writes").asInt() > 0, text);
        assertEquals(0, it.path("lost_writes").asInt(-1), text);
        assertEquals(0, report.path("summary").path("kill-node").path("lost_writes_total").asLong(-1), text);
        assertTrue(java.nio.file.Files.readString(out.resolve("drill.txt"))
                .contains("synchronous_mode quorum promises no lost acknowledged write"), text);
    }
}
