package dev.baton.cli;

import dev.baton.leader.model.FailoverRequest;
import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.leader.model.ClusterView;
import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import dev.baton.leader.ClusterSnapshot;
import java.io.ByteArrayInputStream;
import picocli.CommandLine;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The operator commands against one real 3-node cluster (etcd, three agents, PostgreSQL), run
 * in-process through {@link Baton#commandLine}. The tests run in order and share the cluster; each
 * finds the current primary itself. {@code remove} runs last.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorCliIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private LocalCluster c;

    @BeforeAll
    void startCluster() throws Exception {
        c = LocalCluster.start(Files.createTempDirectory("baton-it-ops-"), LocalCluster.Options.defaults()
                .withHaproxy(false));
        awaitOrFail(c, "one primary and two streaming replicas", () -> c.healthy(2));
    }

    @AfterAll
    void stopCluster() {
        if (c != null) {
            c.close();
        }
    }

    // ------------------------------------------------------------------ helpers

    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    /** Runs {@code baton ARGS --etcd E --scope S} with no terminal (as under CI). */
    private Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Baton.commandLine(new PrintWriter(out, true), new PrintWriter(err, true));
        ((Baton) cl.getCommand()).editor = NO_EDITOR;
        int code = cl.execute(withCluster(args));
        return log(args, "", new Result(code, out.toString(), err.toString()));
    }

    /** The transcript goes to the test's output (the samples in docs/operations.md come from it). */
    private static Result log(String[] args, String input, Result r) {
        synchronized (OperatorCliIT.class) {
            System.out.println("$ baton " + String.join(" ", args) + (input.isEmpty() ? "" : "    # answered: "
                    + input.strip()) + "\n" + r.out() + r.err() + "(exit " + r.code() + ")\n");
        }
        return r;
    }

    /** No EDITOR and no editor on the PATH: the CI's environment must not decide what edit-config does. */
    private static final EditorSession NO_EDITOR = new EditorSession(java.util.Map.of(),
            name -> java.util.Optional.empty(), command -> {
                throw new AssertionError("no editor may run here: " + command);
            });

    /** Runs it with {@code input} as an interactive standard input (the operator's answers). */
    private Result runWithInput(String input, String... args) {
        return runWithInput(input, NO_EDITOR, args);
    }

    /** As above, with {@code editor} as the editor {@code edit-config} opens. */
    private Result runWithInput(String input, EditorSession editor, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Baton.commandLine(new PrintWriter(out, true), new PrintWriter(err, true),
                new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        ((Baton) cl.getCommand()).editor = editor;
        int code = cl.execute(withCluster(args));
        return log(args, input, new Result(code, out.toString(), err.toString()));
    }

    private String[] withCluster(String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--etcd", c.etcdEndpoint(), "--scope", c.scope()));
        return a.toArray(String[]::new);
    }

    private Node primary() throws InterruptedException {
        awaitOrFail(c, "there is one primary", () -> c.primary().isPresent());
        return c.primary().orElseThrow();
    }

    private List<Node> replicas(Node primary) {
        return c.nodes().stream().filter(n -> n != primary).toList();
    }

    /** One primary and two streaming replicas, for 5 s in a row (replicas may still settle after a switchover). */
    private void awaitHealthy() throws InterruptedException {
        awaitOrFail(c, "one primary and two streaming replicas for 5 s in a row", () -> {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (System.nanoTime() - until < 0) {
                if (!c.healthy(2)) {
                    return false;
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        });
    }

    private long configRevision() {
        return ClusterSupport.snapshot(c).config().modRevision();
    }

    private JsonNode configKey() throws Exception {
        return JSON.readTree(ClusterSupport.snapshot(c).config().value());
    }

    private String show(Node n, String parameter) {
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SHOW " + parameter)) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            return "(" + e.getMessage() + ")";
        }
    }

    private void exec(Node n, String sql) throws SQLException {
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement()) {
            st.execute(sql);
        }
    }

    private Set<Integer> ids(Node n, String table) throws SQLException {
        Set<Integer> ids = new HashSet<>();
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT id FROM " + table)) {
            while (rs.next()) {
                ids.add(rs.getInt(1));
            }
        }
        return ids;
    }

    /** Writes to {@code primary} one row at a time until stopped or the primary goes away; records what was acknowledged. */
    private final class AckedWriter implements AutoCloseable {
        final Set<Integer> acked = new HashSet<>();
        private final AtomicBoolean writing = new AtomicBoolean(true);
        private final Thread thread;

        AckedWriter(Node primary, String table, int firstId) {
            thread = new Thread(() -> {
                int id = firstId;
                try (Connection conn = ClusterSupport.connect(c, primary); Statement st = conn.createStatement()) {
                    while (writing.get()) {
                        st.execute("INSERT INTO " + table + " VALUES (" + id + ")");
                        synchronized (acked) {
                            acked.add(id);
                        }
                        id++;
                    }
                } catch (SQLException e) {
                    // the primary stopped accepting writes: what was acknowledged so far counts
                }
            }, "acked-writer");
            thread.start();
        }

        int count() {
            synchronized (acked) {
                return acked.size();
            }
        }

        @Override
        public void close() throws InterruptedException {
            writing.set(false);
            thread.join(30_000);
        }
    }

    private void assertNoAckedWriteLost(AckedWriter w, Node now, String table) throws Exception {
        Set<Integer> present = ids(now, table);
        Set<Integer> lost;
        synchronized (w.acked) {
            lost = new HashSet<>(w.acked);
        }
        lost.removeAll(present);
        assertEquals(Set.of(), lost, "acknowledged writes lost in a switchover");
    }

    // ------------------------------------------------------------------ read-only commands

    @Test
    @Order(1)
    void a1_listTopologyHistoryAndShowConfig() throws Exception {
        Node p = primary();
        Result list = run("list", "--format", "json");
        assertEquals(0, list.code(), list.toString());
        JsonNode rows = JSON.readTree(list.out());
        assertEquals(3, rows.size(), list.toString());

        Result yaml = run("list", "-f", "yaml");
        assertEquals(0, yaml.code(), yaml.toString());
        assertEquals(rows, Formats.yamlMapper().readTree(yaml.out()), yaml.toString());

        Result table = run("list");
        assertEquals(0, table.code(), table.toString());
        assertTrue(table.out().contains(" Cluster: demo ("), table.out());
        assertTrue(table.out().contains("| " + p.name() + " "), table.out());
        assertFalse(table.out().contains("Maintenance mode"), table.out());

        Result topo = run("topology");
        assertEquals(0, topo.code(), topo.toString());
        List<String> lines = topo.out().lines().filter(l -> l.startsWith("| node") || l.startsWith("| + node")).toList();
        assertEquals(3, lines.size(), topo.out());
        assertTrue(lines.get(0).startsWith("| " + p.name() + " "), "the leader comes first: " + topo.out());
        for (Node r : replicas(p)) {
            assertTrue(topo.out().contains("| + " + r.name() + " "), "replicas are indented under the leader: "
                    + topo.out());
        }
        Result topoJson = run("topology", "-f", "json");
        assertEquals(0, topoJson.code(), topoJson.toString());
        JsonNode tree = JSON.readTree(topoJson.out());
        assertEquals(1, tree.size(), topoJson.out());
        assertEquals(p.name(), tree.get(0).path("Member").asText());
        assertEquals(2, tree.get(0).path("Replicas").size(), topoJson.out());
        assertTrue(tree.get(0).path("Replicas").get(0).has("Lag in MB"), topoJson.out());

        Result history = run("history");
        assertEquals(0, history.code(), history.toString());
        assertTrue(history.out().contains("| TL | LSN | Reason | Timestamp | New Leader |"), history.out());
        Result historyJson = run("history", "-f", "json");
        assertEquals(0, historyJson.code(), historyJson.toString());
        assertTrue(JSON.readTree(historyJson.out()).isArray(), historyJson.out());

        Result config = run("show-config");
        assertEquals(0, config.code(), config.toString());
        assertTrue(config.out().contains("ttl: 10\n"), config.out());
        assertTrue(config.out().contains("  parameters:\n"), config.out());
        assertEquals(configKey(), Formats.yamlMapper().readTree(config.out()), "show-config prints the config key as YAML");
        Result configJson = run("show-config", "--format", "json");
        assertEquals(0, configJson.code(), configJson.toString());
        assertEquals(configKey(), JSON.readTree(configJson.out()));
    }

    @Test
    @Order(2)
    void a2_badArgumentsExit2AndChangeNothing() throws Exception {
        Node p = primary();
        Node r = replicas(p).get(0);
        Node other = replicas(p).get(1);
        ClusterSnapshot before = ClusterSupport.snapshot(c);
        long configRevision = before.config().modRevision();
        String in = Instant.now().plusSeconds(3600).toString();

        List<List<String>> bad = List.of(
                List.of("switchover", "--candidate", "nosuch", "--force"),
                List.of("switchover", "--candidate", p.name(), "--force"),
                List.of("switchover", "--candidate", r.name(), "--scheduled", "next tuesday", "--force"),
                List.of("switchover", "--candidate", r.name(), "--scheduled", "2001-01-01T00:00:00Z", "--force"),
                List.of("switchover", "--leader", r.name(), "--candidate", other.name(), "--force"),
                List.of("switchover", "--leader", "nosuch", "--force"),
                List.of("switchover", "--candidate", r.name(), "--scheduled", in),   // no terminal, no --force
                List.of("failover", "--candidate", "nosuch", "--force"),
                List.of("failover", "--candidate", p.name(), "--force"),
                List.of("failover", "--force"),
                List.of("edit-config", "--set", "ttl=abc", "--force"),
                List.of("edit-config", "--set", "ttl=5", "--force"),                // loop_wait + 2*retry_timeout > ttl
                List.of("edit-config", "--set", "loop_wait=0", "--force"),
                List.of("edit-config", "--pg", "Bad-Name=1", "--force"),
                List.of("edit-config", "--pg", "work_mem=\"\"", "--force"),
                List.of("edit-config", "--pg", "work_mem=lots", "--force"),           // postgres would refuse these
                List.of("edit-config", "--pg", "max_connections=0", "--force"),
                List.of("edit-config", "--pg", "no_such_parameter=1", "--force"),
                List.of("edit-config", "--pg", "port=5433", "--force"),              // Baton's own
                List.of("edit-config", "--set", "ttl=2147483647", "--force"),
                List.of("edit-config", "--set", "ttl=20"),                           // no terminal, no --force
                List.of("edit-config", "--force"),
                List.of("restart", c.scope(), "nosuch", "--force"),
                List.of("restart", "nosuch", "--force"),                             // not the cluster's name
                List.of("restart", "--role", "king", "--force"),
                List.of("reinit", c.scope(), "nosuch", "--force"),
                List.of("reinit", c.scope(), "--force"),                              // no member named
                List.of("reload", c.scope(), "nosuch", "--force"),
                List.of("list", "batman"),                                            // not the cluster's name
                List.of("list", "--format", "xml"),
                List.of("remove", c.scope()),                                         // no terminal, no --force
                List.of("flush", "everything"));
        for (List<String> args : bad) {
            Result res = run(args.toArray(String[]::new));
            assertEquals(2, res.code(), String.join(" ", args) + " → " + res);
            assertFalse(res.err().isBlank(), "an error is explained: " + args);
            assertTrue(res.err().strip().lines().count() <= 3, "errors are short: " + res);
        }
        Result leaderReinit = run("reinit", c.scope(), p.name(), "--force");
        assertEquals(1, leaderReinit.code(), leaderReinit.toString());
        assertTrue(leaderReinit.err().contains("is the leader"), leaderReinit.toString());

        Result declined = runWithInput("n\n", "edit-config", "--set", "ttl=20");
        assertEquals(1, declined.code(), declined.toString());
        assertTrue(declined.out().contains("Apply these changes? [y/N]"), declined.toString());

        ClusterSnapshot after = ClusterSupport.snapshot(c);
        assertEquals(configRevision, after.config().modRevision(), "the config key was not written");
        assertNull(after.failover(), "no switchover was requested");
        assertEquals(before.leader().name(), after.leader().name());
        assertEquals(p, primary());
    }

    // ------------------------------------------------------------------ dynamic configuration

    @Test
    @Order(3)
    void b1_editConfigShowsTheDiffWritesAndTheAgentsApplyIt() throws Exception {
        Result r = runWithInput("y\n", "edit-config", "--pg", "work_mem=8MB");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("--- before\n+++ after\n"), r.out());
        assertTrue(r.out().contains("\n+    work_mem: 8MB\n"), r.out());
        assertTrue(r.out().contains("Configuration changed."), r.out());
        assertEquals("8MB", configKey().path("postgresql").path("parameters").path("work_mem").asText());

        Result again = run("edit-config", "--pg", "work_mem=8MB", "--force");
        assertEquals(0, again.code(), again.toString());
        assertTrue(again.out().contains("Not changed"), again.toString());

        // patronictl's editor session: the saved text replaces the config, after the diff and a "y"
        EditorSession editor = new EditorSession(java.util.Map.of("EDITOR", "test-editor"),
                name -> java.util.Optional.empty(), command -> {
                    java.nio.file.Path f = java.nio.file.Path.of(command.get(command.size() - 1));
                    String text = java.nio.file.Files.readString(f);
                    assertTrue(text.contains("work_mem: 8MB"), text);
                    java.nio.file.Files.writeString(f, text.replace("work_mem: 8MB", "work_mem: 6MB"));
                    return 0;
                });
        Result edited = runWithInput("y\n", editor, "edit-config");
        assertEquals(0, edited.code(), edited.toString());
        assertTrue(edited.out().contains("\n+    work_mem: 6MB\n"), edited.out());
        assertEquals("6MB", configKey().path("postgresql").path("parameters").path("work_mem").asText());
        Result back = run("edit-config", "--pg", "work_mem=8MB", "--force");
        assertEquals(0, back.code(), back.toString());

        for (Node n : c.nodes()) {
            awaitOrFail(c, n.name() + " runs with work_mem 8MB", () -> show(n, "work_mem").equals("8MB"));
        }

        Path patch = c.dir().resolve("patch.yml");
        Files.writeString(patch, "maximum_lag_on_failover: 2097152\npostgresql:\n  parameters:\n    "
                + "log_min_duration_statement: 500\n");
        Result file = run("edit-config", "--apply", patch.toString(), "--force");
        assertEquals(0, file.code(), file.toString());
        Result stdin = runWithInput("postgresql: {parameters: {log_min_duration_statement: null}}\n"
                + "maximum_lag_on_failover: 1048576\n", "edit-config", "--apply", "-", "--force");
        assertEquals(0, stdin.code(), stdin.toString());
        assertTrue(stdin.out().contains("-    log_min_duration_statement: 500\n"), stdin.out());
        JsonNode config = configKey();
        assertEquals(1048576, config.path("maximum_lag_on_failover").asLong(), config.toString());
        assertFalse(config.path("postgresql").path("parameters").has("log_min_duration_statement"), config.toString());
        assertEquals("8MB", config.path("postgresql").path("parameters").path("work_mem").asText());
    }

    @Test
    @Order(4)
    void b2_concurrentEditConfigCallsLoseNothing() throws Exception {
        List<String[]> keys = List.of(
                new String[] {"--pg", "lock_timeout"},
                new String[] {"--pg", "idle_in_transaction_session_timeout"},
                new String[] {"--set", "maximum_lag_on_failover"},
                new String[] {"--set", "primary_start_timeout"});
        int rounds = 3;
        CyclicBarrier start = new CyclicBarrier(keys.size());
        ExecutorService pool = Executors.newFixedThreadPool(keys.size());
        try {
            List<Future<List<Result>>> futures = new ArrayList<>();
            for (int k = 0; k < keys.size(); k++) {
                String[] key = keys.get(k);
                futures.add(pool.submit(() -> {
                    List<Result> results = new ArrayList<>();
                    start.await();
                    for (int round = 1; round <= rounds; round++) {
                        results.add(run("edit-config", key[0], key[1] + "=" + (10_000 * round + 1), "--force"));
                    }
                    return results;
                }));
            }
            boolean raced = false;
            for (Future<List<Result>> f : futures) {
                for (Result res : f.get(180, TimeUnit.SECONDS)) {
                    assertEquals(0, res.code(), res.toString());
                    raced |= res.err().contains("changed meanwhile");
                }
            }
            System.out.println("concurrent edit-config: a compare-and-set race was lost and retried: " + raced);
        } finally {
            pool.shutdownNow();
        }
        JsonNode config = configKey();
        String last = Integer.toString(10_000 * rounds + 1);
        assertEquals(last, config.path("postgresql").path("parameters").path("lock_timeout").asText(), config.toString());
        assertEquals(last, config.path("postgresql").path("parameters").path("idle_in_transaction_session_timeout")
                .asText(), config.toString());
        assertEquals(last, config.path("maximum_lag_on_failover").asText(), config.toString());
        assertEquals(last, config.path("primary_start_timeout").asText(), config.toString());
        assertEquals("8MB", config.path("postgresql").path("parameters").path("work_mem").asText(),
                "the earlier edit is still there");
        // Back to the test timings (primary_start_timeout 30001 s would slow later tests down).
        Result reset = run("edit-config", "--set", "primary_start_timeout=10", "--set", "maximum_lag_on_failover=1048576",
                "--pg", "lock_timeout=", "--pg", "idle_in_transaction_session_timeout=", "--force");
        assertEquals(0, reset.code(), reset.toString());
    }

    @Test
    @Order(5)
    void b3_pauseAndResume() throws Exception {
        Result pause = run("pause", "--wait");
        assertEquals(0, pause.code(), pause.toString());
        assertTrue(configKey().path("pause").asBoolean(), "pause is in the config key");
        for (var m : ClusterSupport.view(c).members().values()) {
            assertTrue(m.paused(), m.name() + " shows the pause in its member key");
        }
        Result list = run("list");
        assertTrue(list.out().contains("[paused]"), list.out());
        assertTrue(list.out().contains("\nMaintenance mode: on\n"), list.out());
        Result again = run("pause");
        assertEquals(1, again.code(), again.toString());
        assertTrue(again.err().contains("already paused"), again.toString());

        Result resume = run("resume", "--wait");
        assertEquals(0, resume.code(), resume.toString());
        assertFalse(configKey().has("pause"), "resume removes pause from the config key");
        for (var m : ClusterSupport.view(c).members().values()) {
            assertFalse(m.paused(), m.name() + " no longer shows the pause");
        }
        assertFalse(run("list").out().contains("Maintenance mode"));
        assertEquals(1, run("resume").code(), "not paused");
    }

    // ------------------------------------------------------------------ REST actions

    @Test
    @Order(10)
    void c1_switchoverToANamedCandidateLosesNoAcknowledgedWrite() throws Exception {
        awaitHealthy();
        Node old = primary();
        Node candidate = replicas(old).get(1);
        exec(old, "CREATE TABLE so_named (id int PRIMARY KEY)");
        Result r;
        try (AckedWriter w = new AckedWriter(old, "so_named", 1)) {
            awaitOrFail(c, "writes are acknowledged", () -> w.count() > 100);
            r = runWithInput("y\n", "switchover", "--leader", old.name(), "--candidate", candidate.name());
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("Are you sure you want to switchover cluster demo, demoting current leader "
                    + old.name() + "? [y/N]"), r.out());
            w.close();
            awaitOrFail(c, candidate.name() + " is the primary", () -> c.primary().map(n -> n == candidate).orElse(false));
            assertNoAckedWriteLost(w, candidate, "so_named");
        }
        assertTrue(r.out().contains("| " + candidate.name() + " "), "the cluster table follows: " + r.out());
        assertEquals(candidate.name(), ClusterSupport.view(c).leader());
        awaitOrFail(c, old.name() + " streams from the new primary",
                () -> c.get(old, "/replica").map(x -> x.status() == 200).orElse(false));
    }

    @Test
    @Order(11)
    void c2_switchoverToTheBestCandidate() throws Exception {
        awaitHealthy();
        Node old = primary();
        exec(old, "CREATE TABLE so_best (id int PRIMARY KEY)");
        try (AckedWriter w = new AckedWriter(old, "so_best", 1)) {
            awaitOrFail(c, "writes are acknowledged", () -> w.count() > 100);
            Result r = run("switchover", "--force");
            assertEquals(0, r.code(), r.toString());
            w.close();
            awaitOrFail(c, "another member is the primary", () -> c.primary().map(n -> n != old).orElse(false));
            assertNoAckedWriteLost(w, primary(), "so_best");
        }
        Result history = run("history", "-f", "json");
        assertEquals(0, history.code(), history.toString());
        JsonNode h = JSON.readTree(history.out());
        assertTrue(h.size() >= 2, "both switchovers are in the history: " + history.out());
        assertEquals(primary().name(), h.get(h.size() - 1).path("New Leader").asText(), history.out());
        Result table = run("history");
        assertTrue(table.out().matches("(?s).*\\| +\\d+ \\| +[0-9A-F]+/[0-9A-F]+ \\|.*"), "LSN as X/Y: " + table.out());
    }

    @Test
    @Order(12)
    void c3_aScheduledSwitchoverFiresAtItsTime() throws Exception {
        awaitHealthy();
        Node old = primary();
        Node candidate = replicas(old).get(0);
        Instant at = Instant.now().plusSeconds(12);
        Result r = run("switchover", "--candidate", candidate.name(), "--scheduled", at.toString(), "--force");
        assertEquals(0, r.code(), r.toString());
        ClusterView view = ClusterSupport.view(c);
        FailoverRequest f = view.failover().orElseThrow(() -> new AssertionError("no failover key: " + r));
        assertEquals(candidate.name(), f.candidate());
        assertNotNull(f.scheduledAt());
        assertTrue(Math.abs(f.scheduledAt().toInstant().getEpochSecond() - at.getEpochSecond()) <= 1, f.toString());
        assertTrue(run("list").out().contains("Switchover scheduled at:"), "list shows the schedule");
        Result twice = run("switchover", "--candidate", candidate.name(), "--force");
        assertEquals(1, twice.code(), "a second switchover is refused while one is scheduled: " + twice);

        while (Instant.now().isBefore(at.minusSeconds(2))) {
            assertEquals(old.name(), ClusterSupport.view(c).leader(), "nothing happens before the scheduled time");
            Thread.sleep(500);
        }
        awaitOrFail(c, candidate.name() + " is the primary", () -> c.primary().map(n -> n == candidate).orElse(false));
        // The leader acts on a scheduled switchover in its first cycle within loop_wait (1 s) of the time.
        assertFalse(Instant.now().isBefore(at.minusSeconds(1)), "the switchover happened at its time, not before");
        awaitOrFail(c, "the failover key is gone", () -> ClusterSupport.snapshot(c).failover() == null);
    }

    @Test
    @Order(13)
    void c4_aScheduledSwitchoverCanBeCancelled() throws Exception {
        awaitHealthy();
        Node p = primary();
        Node candidate = replicas(p).get(0);
        Instant at = Instant.now().plusSeconds(15);
        Result r = run("switchover", "--candidate", candidate.name(), "--scheduled", at.toString(), "--force");
        assertEquals(0, r.code(), r.toString());
        assertNotNull(ClusterSupport.snapshot(c).failover(), "the request waits in the failover key");
        Result flush = run("flush", "switchover");
        assertEquals(0, flush.code(), flush.toString());
        assertNull(ClusterSupport.snapshot(c).failover(), "flush deleted the failover key");
        Result none = run("flush", "switchover");
        assertEquals(1, none.code(), none.toString());
        assertTrue(none.err().contains("no switchover is scheduled"), none.toString());
        ClusterSupport.awaitCyclesPast(c, p, at.plusSeconds(3));
        assertEquals(p, primary(), "the cancelled switchover did not happen");
    }

    @Test
    @Order(14)
    void c5_failoverToANamedReplica() throws Exception {
        awaitHealthy();
        Node old = primary();
        Node candidate = replicas(old).get(1);
        Result r = run("failover", "--candidate", candidate.name(), "--force");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("Warning"), "failover warns about asynchronous replicas: " + r);
        awaitOrFail(c, candidate.name() + " is the primary", () -> c.primary().map(n -> n == candidate).orElse(false));
    }

    @Test
    @Order(20)
    void d1_restartOfAReplica() throws Exception {
        awaitHealthy();
        Node p = primary();
        Node r = replicas(p).get(0);
        long pid = r.postmasterPid();
        Result res = run("restart", c.scope(), r.name(), "--force");
        assertEquals(0, res.code(), res.toString());
        assertNotEquals(pid, r.postmasterPid(), "postgres was restarted");
        assertEquals("running", c.get(r, "/patroni").orElseThrow().body().path("state").asText());
        awaitOrFail(c, r.name() + " streams again", () -> c.get(r, "/replica").map(x -> x.status() == 200).orElse(false));
        assertEquals(p, primary(), "restarting a replica does not move the leader");

        long pid2 = r.postmasterPid();
        Result pending = run("restart", c.scope(), r.name(), "--pending", "--force");
        assertEquals(0, pending.code(), pending.toString());
        assertTrue(pending.out().contains("skipped"), "nothing is pending: " + pending);
        assertEquals(pid2, r.postmasterPid(), "not restarted");
    }

    @Test
    @Order(21)
    void d2_aParameterThatNeedsARestartIsPendingUntilRestartPending() throws Exception {
        awaitHealthy();
        Node p = primary();
        Result edit = run("edit-config", "--pg", "max_connections=60", "--force");
        assertEquals(0, edit.code(), edit.toString());
        awaitOrFail(c, "every member reports a pending restart", () -> ClusterSupport.view(c).members().values()
                .stream().allMatch(m -> m.pendingRestart()));
        Result list = run("list");
        assertTrue(list.out().contains("Pending restart"), list.out());
        Result restart = run("restart", "--pending", "--force");
        assertEquals(0, restart.code(), restart.toString());
        assertTrue(restart.out().contains("Restarted 3 member(s)."), restart.out());
        List<String> order = restart.out().lines().filter(l -> l.startsWith("node")).map(l -> l.substring(0, 5)).toList();
        assertEquals(p.name(), order.get(order.size() - 1), "the primary restarts last: " + restart.out());
        for (Node n : c.nodes()) {
            assertEquals("60", show(n, "max_connections"), n.name());
        }
        assertEquals(p, primary(), "a rolling restart keeps the leader");
        awaitOrFail(c, "no member reports a pending restart", () -> ClusterSupport.view(c).members().values()
                .stream().noneMatch(m -> m.pendingRestart()));
    }

    @Test
    @Order(22)
    void d3_reloadEveryMember() throws Exception {
        awaitHealthy();
        Result res = run("reload", "--force");
        assertEquals(0, res.code(), res.toString());
        for (Node n : c.nodes()) {
            assertTrue(res.out().contains(n.name() + ": "), res.out());
        }
    }

    @Test
    @Order(23)
    void d4_reinitOfAReplica() throws Exception {
        awaitHealthy();
        Node p = primary();
        Node r = replicas(p).get(1);
        exec(p, "CREATE TABLE before_reinit AS SELECT g AS id FROM generate_series(1, 500) g");
        Path marker = r.dataDir().resolve("baton-test-marker");
        Files.writeString(marker, "wiped by reinit");
        Result res = run("reinit", c.scope(), r.name(), "--force", "--wait");
        assertEquals(0, res.code(), res.toString());
        assertFalse(Files.exists(marker), "the data directory was cloned again");
        assertEquals(500, ids(r, "before_reinit").size());
        awaitHealthy();
    }

    // ------------------------------------------------------------------ remove (last: it ends the cluster)

    @Test
    @Order(100)
    void z1_removeAsksForTheNameAndDeletesEveryKey() throws Exception {
        Result running = runWithInput(c.scope() + "\n", "remove", c.scope());
        assertEquals(1, running.code(), running.toString());
        assertTrue(running.err().contains("still running"), running.toString());

        for (Node n : c.nodes()) {
            n.stop(Duration.ofSeconds(60));
        }
        awaitOrFail(c, "no member is running", () -> ClusterSupport.view(c).members().values().stream()
                .noneMatch(m -> m.isRunning()));
        ClusterSnapshot before = ClusterSupport.snapshot(c);
        assertNotNull(before.config());

        Result wrong = runWithInput("dmeo\n", "remove", c.scope());
        assertEquals(1, wrong.code(), wrong.toString());
        assertTrue(wrong.out().contains("Please confirm the cluster name to remove:"), wrong.toString());
        ClusterSnapshot still = ClusterSupport.snapshot(c);
        assertNotNull(still.config(), "nothing was removed");
        assertNotNull(still.initialize());

        Result right = runWithInput(c.scope() + "\n", "remove", c.scope());
        assertEquals(0, right.code(), right.toString());
        ClusterSnapshot gone = ClusterSupport.snapshot(c);
        assertNull(gone.config());
        assertNull(gone.initialize());
        assertNull(gone.history());
        assertNull(gone.leader());
        assertTrue(gone.members().isEmpty(), gone.members().toString());
        assertEquals(1, run("remove", c.scope(), "--force").code(), "nothing left to remove");
    }
}
