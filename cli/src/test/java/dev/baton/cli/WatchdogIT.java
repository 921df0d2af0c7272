package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static dev.baton.cli.ClusterSupport.exec;
import static dev.baton.cli.ClusterSupport.primaryOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.agent.watchdog.WatchdogScript;
import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.etcd.EtcdClusterStore;
import java.io.IOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The fencing watchdog with real agents, PostgreSQL and etcd: a primary whose agent is stopped
 * (SIGSTOP) or killed (SIGKILL) stops accepting writes before any replica is promoted; a graceful
 * shutdown and pause mode do not fence. Writes are sampled directly against each node's port,
 * not through a load balancer. Deadlines are generous: only the ordering is asserted.
 */
class WatchdogIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static LocalCluster start(LocalCluster.Options options) throws Exception {
        return ClusterSupport.startCluster("baton-it-watchdog-", options.withNodes(2).withHaproxy(false), 1);
    }

    private static Node other(LocalCluster c, Node n) {
        return c.nodes().stream().filter(x -> x != n).findFirst().orElseThrow();
    }

    private static void exec(LocalCluster c, Node n, String sql) throws SQLException {
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement()) {
            st.execute(sql);
        }
    }

    private static boolean hasTable(LocalCluster c, Node n) {
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT to_regclass('wd_probe') IS NOT NULL")) {
            return rs.next() && rs.getBoolean(1);
        } catch (SQLException e) {
            return false;
        }
    }

    private static Set<Long> idsOn(LocalCluster c, Node n, String writtenOn) throws SQLException {
        Set<Long> ids = new HashSet<>();
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT id FROM wd_probe WHERE node = '" + writtenOn + "'")) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    private static String log(Node n) {
        try {
            return Files.readString(n.agentLog());
        } catch (IOException e) {
            return "";
        }
    }

    private static void signal(String sig, long pid) throws Exception {
        Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).redirectErrorStream(true).start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "kill -" + sig + " " + pid);
    }

    /** A signal to every process of the process group {@code pgid} ({@code kill -SIG -- -PGID}). */
    private static void signalGroup(String sig, long pgid) throws Exception {
        Process p = new ProcessBuilder("kill", "-" + sig, "--", "-" + pgid).redirectErrorStream(true).start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "kill -" + sig + " -- -" + pgid);
    }

    /** The process group and session of {@code pid}, from /proc/PID/stat (fields 5 and 6). */
    private static long[] groupAndSession(long pid) throws IOException {
        String stat = Files.readString(java.nio.file.Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(f[2]), Long.parseLong(f[3])};
    }

    /** No live postmaster (a killed one that nobody has reaped yet is a zombie: dead). */
    private static boolean postgresGone(Node n) {
        long pid = n.postmasterPid();
        if (pid <= 0) {
            return true;
        }
        try {
            String stat = Files.readString(java.nio.file.Path.of("/proc", Long.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    /** The agent's watchdog child (started with the agent, armed while it is the primary). */
    private static Optional<ProcessHandle> watchdogOf(Node n) {
        Process agent = n.agentProcess();
        if (agent == null) {
            return Optional.empty();
        }
        return agent.descendants().filter(p -> commandLine(p).stream().anyMatch(a -> a.endsWith("/baton-watchdog.pl")
                || a.endsWith("/" + WatchdogScript.INSTALLED_NAME))).findFirst();
    }

    /** The process's arguments from /proc (ProcessHandle.Info leaves them out for a long command line). */
    private static List<String> commandLine(ProcessHandle p) {
        try {
            byte[] raw = Files.readAllBytes(java.nio.file.Path.of("/proc", Long.toString(p.pid()), "cmdline"));
            return List.of(new String(raw, java.nio.charset.StandardCharsets.UTF_8).split("\0"));
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * Writes to every node directly, about every 100 ms, each write a new id; records what each node
     * acknowledged and when, and which nodes accepted a write in each round.
     */
    static final class Prober implements AutoCloseable {
        record Ack(String node, long id, long atNanos) {
        }

        private final LocalCluster cluster;
        private final Map<String, Connection> connections = new HashMap<>();
        private final AtomicLong nextId = new AtomicLong();
        private final List<Ack> acks = new ArrayList<>();
        private final List<Set<String>> rounds = new ArrayList<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Prober(LocalCluster cluster) {
            this.cluster = cluster;
            this.thread = new Thread(this::loop, "prober");
            thread.start();
        }

        private void loop() {
            while (running.get()) {
                Set<String> accepted = new HashSet<>();
                for (Node n : cluster.nodes()) {
                    if (write(n)) {
                        accepted.add(n.name());
                    }
                }
                synchronized (this) {
                    rounds.add(accepted);
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
            connections.values().forEach(c -> {
                try {
                    c.close();
                } catch (SQLException e) {
                    // closing
                }
            });
        }

        private boolean write(Node n) {
            long id = nextId.incrementAndGet();
            try {
                Connection conn = connections.get(n.name());
                if (conn == null) {
                    Properties p = new Properties();
                    p.setProperty("user", "postgres");
                    p.setProperty("password", cluster.superuserPassword());
                    p.setProperty("connectTimeout", "1");
                    p.setProperty("loginTimeout", "2");
                    p.setProperty("socketTimeout", "2");
                    conn = DriverManager.getConnection(n.jdbcUrl(), p);
                    connections.put(n.name(), conn);
                }
                try (Statement st = conn.createStatement()) {
                    st.setQueryTimeout(2);
                    st.executeUpdate("INSERT INTO wd_probe (id, node) VALUES (" + id + ", '" + n.name() + "')");
                }
                synchronized (this) {
                    acks.add(new Ack(n.name(), id, System.nanoTime()));
                }
                return true;
            } catch (SQLException e) {
                if (!"25006".equals(e.getSQLState())) { // read-only: a replica, keep the connection
                    Connection conn = connections.remove(n.name());
                    if (conn != null) {
                        try {
                            conn.close();
                        } catch (SQLException ignored) {
                            // broken anyway
                        }
                    }
                }
                return false;
            }
        }

        synchronized long acked(String node) {
            return acks.stream().filter(a -> a.node().equals(node)).count();
        }

        synchronized Set<Long> ackedIds(String node) {
            Set<Long> ids = new HashSet<>();
            acks.stream().filter(a -> a.node().equals(node)).forEach(a -> ids.add(a.id()));
            return ids;
        }

        /** The last acknowledgement by {@code node}, or none. */
        synchronized Optional<Long> lastAck(String node) {
            return acks.stream().filter(a -> a.node().equals(node)).map(Ack::atNanos).reduce((a, b) -> b);
        }

        /** The first acknowledgement by {@code node} after {@code since}, or none. */
        synchronized Optional<Long> firstAckAfter(String node, long since) {
            return acks.stream().filter(a -> a.node().equals(node) && a.atNanos() - since > 0).map(Ack::atNanos)
                    .findFirst();
        }

        /** Rounds in which more than one node accepted a write. */
        synchronized List<Set<String>> splitBrainRounds() {
            return rounds.stream().filter(r -> r.size() > 1).toList();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(30_000);
        }
    }

    /**
     * Checks the ordering: after {@code since}, {@code old} acknowledged its last write before
     * {@code now} acknowledged its first, and no round saw two writable nodes.
     */
    private static void assertNoOverlap(Prober prober, Node old, Node now, long since) {
        long firstNew = prober.firstAckAfter(now.name(), since).orElseThrow(
                () -> new AssertionError(now.name() + " never accepted a write"));
        Optional<Long> lastOld = prober.lastAck(old.name());
        assertTrue(lastOld.isPresent(), old.name() + " accepted writes before");
        assertTrue(lastOld.get() - firstNew < 0, String.format("%s accepted a write %d ms after %s accepted its first",
                old.name(), TimeUnit.NANOSECONDS.toMillis(lastOld.get() - firstNew), now.name()));
        assertEquals(List.of(), prober.splitBrainRounds(), "rounds with two writable nodes");
        System.out.printf("%s: last write on %s %d ms after the fault, first write on %s %d ms after it%n",
                old.name(), old.name(), TimeUnit.NANOSECONDS.toMillis(lastOld.get() - since), now.name(),
                TimeUnit.NANOSECONDS.toMillis(firstNew - since));
    }

    private static void assertAckedWritesKept(LocalCluster c, Prober prober, Node primary, Node replica)
            throws Exception {
        Set<Long> acked = prober.ackedIds(primary.name());
        Set<Long> lost = new HashSet<>(acked);
        lost.removeAll(idsOn(c, primary, primary.name()));
        assertEquals(Set.of(), lost, "writes acknowledged by the new primary " + primary.name() + " are gone");
        awaitOrFail(c, replica.name() + " has every write acknowledged by " + primary.name(), () -> {
            try {
                return idsOn(c, replica, primary.name()).containsAll(acked);
            } catch (SQLException e) {
                return false;
            }
        });
    }

    private static Prober probe(LocalCluster c, Node primary) throws Exception {
        exec(c, primary, "CREATE TABLE IF NOT EXISTS wd_probe (id bigint PRIMARY KEY, node text NOT NULL)");
        for (Node n : c.nodes()) {
            awaitOrFail(c, n.name() + " has the probe table", () -> hasTable(c, n));
        }
        Prober prober = new Prober(c);
        awaitOrFail(c, primary.name() + " acknowledges writes", () -> prober.acked(primary.name()) > 20);
        return prober;
    }

    /**
     * SIGSTOP to the primary agent's whole process group (the agent and everything it started that
     * stayed in its group), as a debugger, a shell's job control or the operator does. The
     * watchdog has a session and process group of its own (setsid), so it is not stopped: it fences
     * postgres at its deadline, before the lease can expire and the replica be promoted.
     */
    @Test
    void aStoppedAgentsPostgresStopsWritingBeforeTheReplicaIsPromotedAndRejoinsAfterResume() throws Exception {
        try (LocalCluster c = start(LocalCluster.Options.defaults())) {
            Node old = primaryOf(c);
            Node next = other(c, old);
            int ttl = 10;
            try (Prober prober = probe(c, old)) {
                awaitOrFail(c, "the watchdog of " + old.name() + " runs", () -> watchdogOf(old).isPresent());
                long pid = old.agentProcess().pid();
                long[] agentGroup = groupAndSession(pid);
                assertEquals(pid, agentGroup[0], "LocalCluster starts the agent as the leader of its own process group");
                ProcessHandle watchdog = watchdogOf(old).orElseThrow();
                long[] watchdogGroup = groupAndSession(watchdog.pid());
                assertTrue(watchdogGroup[0] != agentGroup[0] && watchdogGroup[1] != agentGroup[1],
                        "the watchdog has a process group and session of its own: " + watchdogGroup[0] + "/"
                                + watchdogGroup[1] + " vs the agent's " + agentGroup[0] + "/" + agentGroup[1]);
                long stoppedAt = System.nanoTime();
                signalGroup("STOP", pid);
                try {
                    awaitOrFail(c, next.name() + " is promoted and accepts writes",
                            () -> prober.firstAckAfter(next.name(), stoppedAt).isPresent());
                    long left = stoppedAt + TimeUnit.SECONDS.toNanos(3L * ttl) - System.nanoTime();
                    if (left > 0) {
                        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(left));
                    }
                    assertTrue(postgresGone(old), "postgres of the stopped agent was fenced");
                    assertTrue(watchdog.isAlive(), "the watchdog outlived the stop of the agent's group");
                } finally {
                    signalGroup("CONT", pid);
                }
                String log = log(old);
                assertTrue(log.contains("no heartbeat from the agent") && log.contains(WatchdogScript.FENCING),
                        "the watchdog fenced on its deadline:\n" + old.lastLogLines(40));

                awaitOrFail(c, old.name() + " rejoins as a replica",
                        () -> c.get(old, "/replica").map(r -> r.status() == 200).orElse(false));
                long rejoined = System.nanoTime();
                awaitOrFail(c, "more writes on " + next.name(),
                        () -> prober.firstAckAfter(next.name(), rejoined + TimeUnit.SECONDS.toNanos(2)).isPresent());
                prober.close();
                // Over the whole run, resume and rejoin included.
                assertNoOverlap(prober, old, next, stoppedAt);
                assertEquals(next, primaryOf(c), "the resumed agent did not take the leadership back");
                assertAckedWritesKept(c, prober, next, old);
            }
        }
    }

    @Test
    void aKilledAgentsPostgresIsFencedAtOnceAndTheNodeRejoinsWhenTheAgentIsBack() throws Exception {
        try (LocalCluster c = start(LocalCluster.Options.defaults())) {
            Node old = primaryOf(c);
            Node next = other(c, old);
            try (Prober prober = probe(c, old)) {
                awaitOrFail(c, "the watchdog of " + old.name() + " runs", () -> watchdogOf(old).isPresent());
                ProcessHandle watchdog = watchdogOf(old).orElseThrow();
                long killedAt = System.nanoTime();
                old.killAgent();
                awaitOrFail(c, "postgres of " + old.name() + " is fenced", () -> postgresGone(old));
                long fencedAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
                awaitOrFail(c, "the watchdog exits", () -> !watchdog.isAlive());
                awaitOrFail(c, next.name() + " is promoted and accepts writes",
                        () -> prober.firstAckAfter(next.name(), killedAt).isPresent());
                System.out.printf("postgres of %s fenced within %d ms of its agent's SIGKILL%n", old.name(), fencedAfter);
                assertTrue(log(old).contains("my input ended while armed"), old.lastLogLines(40));

                old.start();
                awaitOrFail(c, old.name() + " rejoins as a replica",
                        () -> c.get(old, "/replica").map(r -> r.status() == 200).orElse(false));
                prober.close();
                assertNoOverlap(prober, old, next, killedAt);
                assertEquals(next, primaryOf(c));
                assertAckedWritesKept(c, prober, next, old);
            }
        }
    }

    /** A watchdog service (the script with {@code --listen}), in a session of its own, as its own unit would run it. */
    private static Process startService(java.nio.file.Path dir, String node, java.nio.file.Path socket) throws Exception {
        java.nio.file.Path script = WatchdogScript.extract(dir.resolve(".watchdog-script"), WatchdogScript.content());
        List<String> command = new ArrayList<>(List.of("setsid", "-w"));
        command.addAll(WatchdogScript.command(java.nio.file.Path.of("perl"), script, new WatchdogScript.Options(
                dir.resolve(node).resolve("data"), node, null, false, socket)));
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(node + "-watchdog.log").toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(socket)) {
            assertTrue(p.isAlive() && System.nanoTime() - deadline < 0, "the watchdog service of " + node + " listens");
            Thread.sleep(50);
        }
        return p;
    }

    private static String serviceLog(java.nio.file.Path dir, Node n) {
        try {
            return Files.readString(dir.resolve(n.name() + "-watchdog.log"));
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * watchdog.service_socket: the agents start no watchdog child; each connects to a watchdog
     * service of its own (here a process the test starts, in a session of its own, as
     * deploy/systemd/baton-watchdog.service would). A SIGKILLed primary agent closes its
     * connection: the service fences at once, as the child does, and keeps listening.
     */
    @Test
    void inServiceModeTheAgentFeedsTheWatchdogServiceOverItsSocket() throws Exception {
        java.nio.file.Path dir = Files.createTempDirectory("baton-it-watchdog-");
        Map<String, String> yaml = new HashMap<>();
        Map<String, Process> services = new HashMap<>();
        try {
            for (String node : List.of("node1", "node2")) {
                java.nio.file.Path socket = dir.resolve(node + ".sock");
                services.put(node, startService(dir, node, socket));
                yaml.put(node, "watchdog:\n  service_socket: " + socket);
            }
            try (LocalCluster c = LocalCluster.start(dir, LocalCluster.Options.defaults().withNodes(2)
                    .withHaproxy(false).withNodeYaml(yaml))) {
                awaitOrFail(c, "the cluster is up", () -> c.healthy(1));
                Node old = primaryOf(c);
                Node next = other(c, old);
                try (Prober prober = probe(c, old)) {
                    awaitOrFail(c, "the agent of " + old.name() + " armed its watchdog service",
                            () -> serviceLog(dir, old).contains("an agent connected")
                                    && serviceLog(dir, old).contains("armed: fencing postgres unless"));
                    assertTrue(log(old).contains("connected to the fencing watchdog service at " + dir.resolve(
                            old.name() + ".sock")), old.lastLogLines(40));
                    assertTrue(watchdogOf(old).isEmpty(), "no watchdog child in service mode");
                    Process service = services.get(old.name());

                    long killedAt = System.nanoTime();
                    old.killAgent();
                    awaitOrFail(c, "postgres of " + old.name() + " is fenced", () -> postgresGone(old));
                    long fencedAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
                    assertTrue(serviceLog(dir, old).contains("my input ended while armed"), serviceLog(dir, old));
                    awaitOrFail(c, next.name() + " is promoted and accepts writes",
                            () -> prober.firstAckAfter(next.name(), killedAt).isPresent());
                    System.out.printf("service mode: postgres of %s fenced within %d ms of its agent's SIGKILL%n",
                            old.name(), fencedAfter);
                    assertTrue(service.isAlive(), "the service waits for the next agent");
                    awaitOrFail(c, "the new primary's agent armed its own service",
                            () -> serviceLog(dir, next).contains("armed: fencing postgres unless"));

                    old.start();
                    awaitOrFail(c, old.name() + " rejoins as a replica",
                            () -> c.get(old, "/replica").map(r -> r.status() == 200).orElse(false));
                    prober.close();
                    assertNoOverlap(prober, old, next, killedAt);
                    assertEquals(next, primaryOf(c));
                    assertAckedWritesKept(c, prober, next, old);
                }
            }
        } finally {
            for (Process p : services.values()) {
                p.destroy(); // SIGTERM: no fence, the socket is removed
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
        assertFalse(Files.exists(dir.resolve("node1.sock")), "a terminated service removes its socket");
    }

    private static void setPause(LocalCluster c, boolean pause) throws Exception {
        try (EtcdClusterStore store = new EtcdClusterStore(List.of(c.etcdEndpoint()),
                new KeyLayout("/service/", c.scope()), "test-writer", 10, Duration.ofSeconds(5), System::nanoTime)) {
            for (int attempt = 0; attempt < 10; attempt++) {
                ClusterSnapshot s = store.read();
                ObjectNode config = s.config() == null ? JSON.createObjectNode()
                        : (ObjectNode) JSON.readTree(s.config().value());
                if (pause) {
                    config.put("pause", true);
                } else {
                    config.remove("pause");
                }
                if (store.casConfig(JSON.writeValueAsString(config), s.config() == null ? 0 : s.config().modRevision())) {
                    return;
                }
            }
            throw new AssertionError("could not write the config key");
        }
    }

    private static long count(String haystack, String needle) {
        long n = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void pauseModeAndAGracefulShutdownDoNotFenceAndARequiredMissingDeviceIsRefused() throws Exception {
        String device = "/nonexistent/baton-watchdog";
        try (LocalCluster c = start(LocalCluster.Options.defaults().withNodeYaml(Map.of("node3",
                "watchdog:\n  mode: required\n  device: " + device)))) {
            Node old = primaryOf(c);
            awaitOrFail(c, "the watchdog of " + old.name() + " runs", () -> watchdogOf(old).isPresent());

            // watchdog.mode required without the device: exit 2 at startup, naming the key.
            Node strict = c.addNode();
            strict.start();
            assertTrue(strict.agentProcess().waitFor(120, TimeUnit.SECONDS), "the agent stops by itself");
            assertEquals(2, strict.agentProcess().exitValue(), "bad input: exit code 2");
            assertTrue(log(strict).contains("watchdog.device " + device + " does not exist"), strict.lastLogLines(20));
            assertEquals(-1, strict.postmasterPid());

            // Pause: the watchdog is disarmed, so neither a stopped nor a killed agent fences.
            long disarmsBefore = count(log(old), "disarmed: the agent disarmed it");
            setPause(c, true);
            awaitOrFail(c, "the watchdog of " + old.name() + " is disarmed by the pause",
                    () -> count(log(old), "disarmed: the agent disarmed it") > disarmsBefore);
            long postmaster = old.postmasterPid();
            assertTrue(postmaster > 0);
            long pid = old.agentProcess().pid();
            signal("STOP", pid);
            try {
                Thread.sleep(6_000); // past sure-until (loop_wait + retry_timeout = 4 s), within ttl
            } finally {
                signal("CONT", pid);
            }
            assertEquals(postmaster, old.postmasterPid(), "paused: the stopped agent's postgres was not fenced");
            exec(c, old, "CREATE TABLE written_while_paused (id int)");
            old.killAgent();
            Thread.sleep(3_000);
            assertEquals(postmaster, old.postmasterPid(), "paused: the killed agent's postgres was not fenced");
            exec(c, old, "INSERT INTO written_while_paused VALUES (1)");
            old.start();
            awaitOrFail(c, old.name() + "'s new agent reports the pause",
                    () -> c.get(old, "/patroni").map(r -> r.body().path("pause").asBoolean(false)).orElse(false));
            setPause(c, false);
            awaitOrFail(c, "the cluster is healthy again after the resume", () -> c.healthy(1));
            assertFalse(log(old).contains(WatchdogScript.FENCING), "no fence in pause mode:\n" + old.lastLogLines(60));

            // Graceful shutdown of the primary: the watchdog is told to exit, nothing is fenced.
            Node primary = primaryOf(c);
            Node replica = other(c, primary);
            awaitOrFail(c, "the watchdog of " + primary.name() + " runs", () -> watchdogOf(primary).isPresent());
            ProcessHandle watchdog = watchdogOf(primary).orElseThrow();
            long exitsBefore = count(log(primary), "exiting: the agent asked for it");
            assertEquals(0, primary.stop(Duration.ofSeconds(60)), "clean exit on SIGTERM");
            awaitOrFail(c, "the watchdog exits", () -> !watchdog.isAlive());
            assertTrue(count(log(primary), "exiting: the agent asked for it") > exitsBefore, primary.lastLogLines(40));
            assertFalse(log(primary).contains(WatchdogScript.FENCING), "no fence on a graceful shutdown:\n"
                    + primary.lastLogLines(60));
            assertTrue(log(primary).contains("has received the shutdown checkpoint"), "a clean handover");
            awaitOrFail(c, replica.name() + " takes over", () -> c.primary().map(n -> n == replica).orElse(false));
        }
    }
}
