package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static dev.baton.cli.ClusterSupport.exec;
import static dev.baton.cli.ClusterSupport.primaryOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.leader.model.ClusterView;
import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Automatic failover with real agents, PostgreSQL and etcd. Each test builds its own small
 * cluster. Tests wait for conditions with generous deadlines; the speed of failover is measured by
 * the demo and the drill, not asserted here.
 */
class FailoverIT {

    private static LocalCluster start(LocalCluster.Options options, int replicas) throws Exception {
        return ClusterSupport.startCluster("baton-it-failover-", options.withHaproxy(false), replicas);
    }

    private static long count(LocalCluster c, Node n, String table) {
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            return -1;
        }
    }

    /** True if {@code n} accepts connections and is not in recovery. */
    private static boolean writable(LocalCluster c, Node n) {
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement()) {
            st.setQueryTimeout(2);
            try (ResultSet rs = st.executeQuery("SELECT NOT pg_is_in_recovery()")) {
                rs.next();
                return rs.getBoolean(1);
            }
        } catch (SQLException e) {
            return false;
        }
    }

    private static String lastCycle(LocalCluster c, Node n) {
        return c.get(n, "/patroni").map(r -> r.body().path("baton").path("last_cycle").asText()).orElse("");
    }

    @Test
    void aKilledPrimaryIsReplacedKeepsItsRowsAndRejoinsByRewind() throws Exception {
        try (LocalCluster c = start(LocalCluster.Options.defaults().withCallbacks(), 2)) {
            Node old = primaryOf(c);
            exec(c, old, "CREATE TABLE before_kill (id int PRIMARY KEY)");
            exec(c, old, "INSERT INTO before_kill SELECT generate_series(1, 1000)");
            for (Node n : c.nodes()) {
                if (n != old) {
                    awaitOrFail(c, n.name() + " has the rows", () -> count(c, n, "before_kill") == 1000);
                }
            }
            old.kill();
            awaitOrFail(c, "another node is primary", () -> c.primary().map(n -> n != old).orElse(false));
            Node now = c.primary().orElseThrow();
            assertEquals(1000, count(c, now, "before_kill"), "rows written before the kill survive");
            exec(c, now, "INSERT INTO before_kill VALUES (1001)");
            awaitOrFail(c, "on_role_change ran on " + now.name() + " with Patroni's arguments", () -> {
                try {
                    return Files.exists(now.callbackLog()) && Files.readAllLines(now.callbackLog())
                            .contains("on_role_change primary " + c.scope());
                } catch (java.io.IOException e) {
                    return false;
                }
            });
            // The history line is written after the promotion opened for writes and fired the
            // callback (slots first), so it may come a moment after the callback's line.
            awaitOrFail(c, "the promotion is recorded in the history key",
                    () -> !ClusterSupport.view(c).history().isEmpty());
            ClusterView view = ClusterSupport.view(c);
            assertEquals(now.name(), view.leader());
            assertEquals(now.name(), view.history().get(view.history().size() - 1).newLeader());

            old.start();
            awaitOrFail(c, old.name() + " streams again from " + now.name(),
                    () -> c.get(old, "/replica").map(r -> r.status() == 200).orElse(false));
            awaitOrFail(c, old.name() + " has the new row", () -> count(c, old, "before_kill") == 1001);
            assertEquals(now, c.primary().orElseThrow(), "the rejoining node did not take over");

            // A second failover right after the first: the replicas must know they follow the new
            // timeline although their control files still show the old one.
            awaitOrFail(c, "the cluster is whole", () -> c.healthy(2));
            now.kill();
            awaitOrFail(c, "a third node is primary after the second kill",
                    () -> c.primary().map(n -> n != now).orElse(false));
            Node third = c.primary().orElseThrow();
            assertEquals(1001, count(c, third, "before_kill"), "rows survive two failovers");
            now.start();
            awaitOrFail(c, "the cluster is whole again", () -> c.healthy(2));
        }
    }

    @Test
    void aPrimaryCutOffFromEtcdStopsWritingBeforeAnyoneElseIsPromoted() throws Exception {
        try (LocalCluster c = start(LocalCluster.Options.defaults().withEtcdProxies(), 2)) {
            Node old = primaryOf(c);
            List<Set<String>> samples = new ArrayList<>();
            AtomicBoolean sampling = new AtomicBoolean(true);
            java.util.concurrent.atomic.AtomicLong fencedAfterMs = new java.util.concurrent.atomic.AtomicLong(-1);
            long cutAt = System.nanoTime();
            old.etcdProxy().blackhole();
            Thread sampler = new Thread(() -> {
                while (sampling.get()) {
                    Set<String> w = new HashSet<>();
                    for (Node n : c.nodes()) {
                        if (writable(c, n)) {
                            w.add(n.name());
                        }
                    }
                    synchronized (samples) {
                        samples.add(w);
                    }
                    if (fencedAfterMs.get() < 0 && !w.contains(old.name())) {
                        fencedAfterMs.set(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt));
                    }
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            sampler.start();
            awaitOrFail(c, "another node is primary", () -> c.primary().map(n -> n != old).orElse(false));
            awaitOrFail(c, "the old primary is read-only", () -> !writable(c, old));
            sampling.set(false);
            sampler.join();
            synchronized (samples) {
                for (Set<String> s : samples) {
                    assertTrue(s.size() <= 1, "two writable primaries at one instant: " + s);
                }
            }
            System.out.printf("old primary stopped accepting writes %d ms after it was cut off from etcd%n",
                    fencedAfterMs.get());
            assertTrue(fencedAfterMs.get() >= 0, "the old primary stopped accepting writes");

            old.etcdProxy().heal();
            Node now = c.primary().orElseThrow();
            awaitOrFail(c, old.name() + " rejoins as a replica",
                    () -> c.get(old, "/replica").map(r -> r.status() == 200).orElse(false));
            assertEquals(now, c.primary().orElseThrow());
        }
    }

    @Test
    void sigtermOfThePrimaryAgentHandsOverWithoutLosingAcknowledgedWrites() throws Exception {
        try (LocalCluster c = start(LocalCluster.Options.defaults().withNodes(2), 1)) {
            Node old = primaryOf(c);
            exec(c, old, "CREATE TABLE acked (id int PRIMARY KEY)");
            Set<Integer> acked = new HashSet<>();
            AtomicBoolean writing = new AtomicBoolean(true);
            Thread writer = new Thread(() -> {
                int id = 0;
                try (Connection conn = ClusterSupport.connect(c, old); Statement st = conn.createStatement()) {
                    while (writing.get()) {
                        id++;
                        st.execute("INSERT INTO acked VALUES (" + id + ")");
                        synchronized (acked) {
                            acked.add(id);
                        }
                    }
                } catch (SQLException e) {
                    // the primary went away: the writes acknowledged so far are what counts
                }
            });
            writer.start();
            awaitOrFail(c, "some writes are acknowledged", () -> {
                synchronized (acked) {
                    return acked.size() > 200;
                }
            });
            assertEquals(0, old.stop(Duration.ofSeconds(60)));
            writing.set(false);
            writer.join();
            awaitOrFail(c, "the replica is primary", () -> c.primary().map(n -> n != old).orElse(false));
            Node now = c.primary().orElseThrow();
            Set<Integer> present = new HashSet<>();
            try (Connection conn = ClusterSupport.connect(c, now); Statement st = conn.createStatement();
                 ResultSet rs = st.executeQuery("SELECT id FROM acked")) {
                while (rs.next()) {
                    present.add(rs.getInt(1));
                }
            }
            Set<Integer> lost = new HashSet<>(acked);
            lost.removeAll(present);
            assertEquals(Set.of(), lost, "acknowledged writes lost in a graceful handover");
            assertTrue(Files.readString(old.agentLog()).contains("has received the shutdown checkpoint"),
                    "the old primary waited for the replica to have its shutdown checkpoint");
        }
    }

    @Test
    void postgresKilledUnderALiveAgentIsRestartedInPlace() throws Exception {
        try (LocalCluster c = start(LocalCluster.Options.defaults().withNodes(2), 1)) {
            Node p = primaryOf(c);
            int timeline = ClusterSupport.view(c).member(p.name()).orElseThrow().timeline();
            long pid = p.postmasterPid();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            awaitOrFail(c, "postgres runs again on " + p.name(),
                    () -> p.postmasterPid() > 0 && p.postmasterPid() != pid && writable(c, p));
            assertEquals(p, primaryOf(c), "the same node is still the primary");
            assertEquals(timeline, ClusterSupport.view(c).member(p.name()).orElseThrow().timeline(),
                    "no failover happened (same timeline)");
            awaitOrFail(c, "the replica streams", () -> c.healthy(1));
        }
    }

    @Test
    void withPrimaryStartTimeoutZeroADeadPostgresFailsOverAtOnce() throws Exception {
        try (LocalCluster c = start(LocalCluster.Options.defaults().withNodes(2).withDcs("primary_start_timeout: 0"), 1)) {
            Node old = primaryOf(c);
            ProcessHandle.of(old.postmasterPid()).orElseThrow().destroyForcibly();
            awaitOrFail(c, "the other node is primary", () -> c.primary().map(n -> n != old).orElse(false));
            assertTrue(Files.readString(old.agentLog()).contains("primary_start_timeout is 0"));
            awaitOrFail(c, old.name() + " follows the new primary",
                    () -> c.get(old, "/replica").map(r -> r.status() == 200).orElse(false));
        }
    }

    @Test
    void aReplicaLaggingBeyondTheLimitIsNotPromoted() throws Exception {
        try (LocalCluster c = start(LocalCluster.Options.defaults().withNodes(2)
                .withDcs("maximum_lag_on_failover: 1048576"), 1)) {
            Node primary = primaryOf(c);
            Node replica = c.nodes().stream().filter(n -> n != primary).findFirst().orElseThrow();
            long receiver;
            try (Connection conn = ClusterSupport.connect(c, replica); Statement st = conn.createStatement();
                 ResultSet rs = st.executeQuery("SELECT pid FROM pg_stat_wal_receiver")) {
                assertTrue(rs.next(), "the replica has a WAL receiver");
                receiver = rs.getLong(1);
            }
            // Freeze the replica's WAL receiver, then write well past the lag limit.
            new ProcessBuilder("kill", "-STOP", Long.toString(receiver)).start().waitFor();
            try {
                exec(c, primary, "CREATE TABLE bulk AS SELECT g, repeat('x', 1000) AS pad FROM generate_series(1, 20000) g");
                long written;
                try (Connection conn = ClusterSupport.connect(c, primary); Statement st = conn.createStatement();
                     ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
                    rs.next();
                    written = dev.baton.agent.postgres.Lsn.parse(rs.getString(1));
                }
                awaitOrFail(c, "the leader published its new position in status",
                        () -> ClusterSupport.view(c).lastLeaderLsn() >= written);
                primary.kill();
                awaitOrFail(c, "the replica refuses to take over", () -> lastCycle(c, replica)
                        .contains("maximum_lag_on_failover"));
                ClusterSupport.awaitMoreCycles(c, replica, 3);
                assertFalse(writable(c, replica), "the lagging replica was not promoted");
            } finally {
                new ProcessBuilder("kill", "-CONT", Long.toString(receiver)).start().waitFor();
            }
            primary.start();
            awaitOrFail(c, "the old primary leads again", () -> c.primary().map(n -> n == primary).orElse(false));
            awaitOrFail(c, "the replica catches up and streams", () -> c.healthy(1));
        }
    }

    @Test
    void aNofailoverReplicaIsNeverPromoted() throws Exception {
        try (LocalCluster c = start(LocalCluster.Options.defaults().withNodes(2)
                .withNodeYaml(Map.of("node2", "tags:\n  nofailover: true")), 1)) {
            Node primary = primaryOf(c);
            Node replica = c.node("node2");
            assertNotEquals(replica, primary, "a nofailover member does not bootstrap the cluster");
            primary.kill();
            awaitOrFail(c, "the replica says why it stays", () -> lastCycle(c, replica).contains("nofailover"));
            ClusterSupport.awaitMoreCycles(c, replica, 3);
            assertFalse(writable(c, replica), "the nofailover replica was not promoted");
            primary.start();
            awaitOrFail(c, "node1 leads again and node2 streams", () -> c.primary().map(n -> n == primary).orElse(false)
                    && c.healthy(1));
        }
    }
}
