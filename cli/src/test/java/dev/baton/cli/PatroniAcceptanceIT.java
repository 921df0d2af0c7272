package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static dev.baton.cli.ClusterSupport.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.cli.local.Binaries;
import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.SyncState;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The situations of Patroni's own acceptance tests (features/patroni_api.feature,
 * basic_replication.feature, multi_sync_replication.feature) against one Baton cluster, driven
 * through the REST API and patronictl as those features drive Patroni. The cluster starts as a
 * stand-alone node and grows to three; the tests run in order, each starting from where the
 * previous one left the cluster (as the scenarios of a feature do). patronictl is used when it is
 * installed (Debian package patroni), otherwise {@code baton} in its grammar.
 *
 * <p>Already covered elsewhere: failover in synchronous mode (SynchronousModeIT), primary_start_timeout
 * 0 and rejoin with pg_rewind (FailoverIT), the scheduled switchover (SwitchoverRestIT), the
 * scheduled restart (ScheduledRestartIT).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PatroniAcceptanceIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private LocalCluster c;
    private Node node1;
    private Node node2;
    private Node node3;

    @BeforeAll
    void start() throws Exception {
        c = ClusterSupport.startCluster("baton-it-acceptance-",
                LocalCluster.Options.defaults().withNodes(1).withHaproxy(false), 0);
        node1 = c.nodes().get(0);
    }

    @AfterAll
    void stop() {
        if (c != null) {
            c.close();
        }
    }

    // ------------------------------------------------------------------ helpers

    private record Reply(int status, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }

    private Reply send(Node n, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.restPort() + path))
                .timeout(Duration.ofSeconds(90)).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    private Reply patchConfig(String body) throws Exception {
        Reply r = send(ClusterSupport.primaryOf(c), "PATCH", "/config", body);
        assertEquals(200, r.status(), r.body());
        return r;
    }

    private record Ctl(int code, String out) {
    }

    /**
     * patronictl (when installed, with a configuration naming this cluster's etcd) or else
     * {@code baton} with the first node's file: the same command line either way.
     */
    private Ctl ctl(String... args) throws Exception {
        Optional<Path> patronictl = Binaries.find("patronictl", "/usr/bin");
        if (patronictl.isPresent()) {
            Path cfg = c.dir().resolve("patronictl.yml");
            Files.writeString(cfg, "scope: " + c.scope() + "\nnamespace: /service/\netcd3:\n  hosts: "
                    + c.etcdEndpoint() + "\n");
            List<String> argv = new ArrayList<>(List.of(patronictl.get().toString(), "-c", cfg.toString()));
            argv.addAll(List.of(args));
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(180, TimeUnit.SECONDS), "patronictl did not finish: " + out);
            System.out.println("$ patronictl " + String.join(" ", args) + "\n" + out + "(exit " + p.exitValue() + ")");
            return new Ctl(p.exitValue(), out);
        }
        List<String> argv = new ArrayList<>(List.of("-c", node1.config().toString()));
        argv.addAll(List.of(args));
        StringWriter o = new StringWriter();
        int code = Baton.commandLine(new PrintWriter(o, true), new PrintWriter(o, true),
                new ByteArrayInputStream(new byte[0]), false).execute(argv.toArray(String[]::new));
        System.out.println("$ baton " + String.join(" ", argv) + "\n" + o + "(exit " + code + ")");
        return new Ctl(code, o.toString());
    }

    private static boolean patronictlInstalled() {
        return Binaries.find("patronictl", "/usr/bin").isPresent();
    }

    private MemberStatus member(Node n) {
        return ClusterSupport.view(c).members().get(n.name());
    }

    private SyncState sync() {
        return ClusterSupport.view(c).sync();
    }

    private String show(Node n, String setting) {
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SHOW " + setting)) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            return "error: " + e.getMessage();
        }
    }

    private boolean tableOn(Node n, String table) {
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement()) {
            st.executeQuery("SELECT 1 FROM " + table).close();
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    /** Patroni's "replication works from A to B": a new table on the primary shows up on the replica. */
    private void replicationWorks(Node from, Node to) throws Exception {
        String table = "test_" + System.nanoTime();
        ClusterSupport.exec(c, from, "CREATE TABLE " + table + "()");
        awaitOrFail(c, "table " + table + " is present on " + to.name(), () -> tableOn(to, table));
    }

    private boolean roleIs(Node n, String path, String role) {
        return c.get(n, path).map(r -> r.status() == 200 && role.equals(r.body().path("role").asText())).orElse(false);
    }

    private Node other(Node... not) {
        return c.nodes().stream().filter(n -> !List.of(not).contains(n)).findFirst().orElseThrow();
    }

    // ------------------------------------------------------------------ patroni_api.feature

    @Test
    @Order(1)
    void apiOnAStandAloneNode() throws Exception {
        awaitOrFail(c, "node1 is the leader", () -> c.get(node1, "/").map(r -> r.status() == 200).orElse(false));
        Reply root = send(node1, "GET", "/", null);
        assertEquals(200, root.status(), root.body());
        assertEquals("running", root.json().path("state").asText(), root.body());
        assertEquals("primary", root.json().path("role").asText(), root.body());
        assertEquals(503, status(c, node1, "/standby_leader"));
        assertEquals(200, status(c, node1, "/health"));
        assertEquals(200, status(c, node1, "/primary"));
        assertEquals(503, status(c, node1, "/replica"));

        Reply reinit = send(node1, "POST", "/reinitialize", "{\"force\": true}");
        assertEquals(503, reinit.status());
        assertEquals("I am the leader, can not reinitialize", reinit.body());

        if (patronictlInstalled()) {
            Ctl sw = ctl("switchover", c.scope(), "--leader", node1.name(), "--force");
            assertEquals(1, sw.code(), sw.out());
            assertTrue(sw.out().contains("Error: No candidates found to switchover to"), sw.out());
        }
        Reply alone = send(node1, "POST", "/switchover", "{\"leader\": \"" + node1.name() + "\"}");
        assertEquals(412, alone.status());
        assertEquals("switchover is not possible: cluster does not have members except leader", alone.body());

        assertEquals(400, send(node1, "POST", "/failover", null).status());
        Reply noCandidate = send(node1, "POST", "/failover", "{\"foo\": \"bar\"}");
        assertEquals(400, noCandidate.status());
        assertEquals("Failover could be performed only to a specific candidate", noCandidate.body());
        assertTrue(ClusterSupport.snapshot(c).failover() == null, "no request was written");
    }

    @Test
    @Order(2)
    void dynamicConfigurationThroughEtcd() throws Exception {
        Reply r = patchConfig("{\"ttl\": 20, \"postgresql\": {\"parameters\": {\"max_connections\": \"101\"}}}");
        assertEquals(20, r.json().path("ttl").asInt(), r.body());
        awaitOrFail(c, "/patroni of node1 shows pending_restart", () -> c.get(node1, "/patroni")
                .map(p -> p.body().path("pending_restart").asBoolean(false)).orElse(false));
        Reply config = send(node1, "GET", "/config", null);
        assertEquals(200, config.status());
        assertEquals(20, config.json().path("ttl").asInt(), config.body());
        assertEquals("101", config.json().path("postgresql").path("parameters").path("max_connections").asText());
    }

    // ------------------------------------------------------------------ basic_replication.feature

    @Test
    @Order(3)
    void replicationOfATableAndAParameterLiveOnEveryMember() throws Exception {
        node2 = c.addNode();
        node3 = c.addNode();
        node2.start();
        node3.start();
        awaitOrFail(c, "node2 and node3 stream from node1", () -> c.healthy(2));
        ClusterSupport.exec(c, node1, "CREATE TABLE foo()");
        awaitOrFail(c, "table foo is present on node2 and node3", () -> tableOn(node2, "foo") && tableOn(node3, "foo"));

        // A reloadable parameter through etcd becomes live on every member without a restart.
        patchConfig("{\"postgresql\": {\"parameters\": {\"work_mem\": \"7MB\"}}}");
        awaitOrFail(c, "work_mem is 7MB on every member",
                () -> c.nodes().stream().allMatch(n -> "7MB".equals(show(n, "work_mem"))));
        // The new members started with the restart-only value: only node1 waits for a restart.
        assertEquals("101", show(node2, "max_connections"));
        assertFalse("101".equals(show(node1, "max_connections")), "node1 runs with its old value until restarted");
    }

    // ------------------------------------------------------------------ patroni_api.feature, pause

    @Test
    @Order(4)
    void primaryReplicaPairInPause() throws Exception {
        Ctl pause = ctl("pause", c.scope(), "--wait");
        assertEquals(0, pause.code(), pause.out());
        awaitOrFail(c, "every member shows the pause", () -> c.nodes().stream().allMatch(n -> c.get(n, "/patroni")
                .map(r -> r.body().path("pause").asBoolean(false)).orElse(false)));

        // A postmaster killed in maintenance mode stays down: the agent reports it and does not start it.
        node2.killPostgresNow();
        awaitOrFail(c, "/replica of node2 answers 503", () -> status(c, node2, "/replica") == 503);
        awaitOrFail(c, "members/node2 has state stopped", () -> member(node2) != null
                && member(node2).state() == MemberState.STOPPED);
        ClusterSupport.awaitMoreCycles(c, node2, 3);
        assertEquals(-1, node2.postmasterPid(), "not started again while paused");
        assertEquals(MemberState.STOPPED, member(node2).state());

        Ctl restart = ctl("restart", c.scope(), node2.name(), "--force");
        assertEquals(0, restart.code(), restart.out());
        replicationWorks(node1, node2);
        awaitOrFail(c, "/replica of node2 answers 200 with state running, role replica",
                () -> c.get(node2, "/replica").map(r -> r.status() == 200
                        && "running".equals(r.body().path("state").asText())
                        && "replica".equals(r.body().path("role").asText())).orElse(false));

        Ctl reinit = ctl("reinit", c.scope(), node2.name(), "--force", "--wait");
        assertEquals(0, reinit.code(), reinit.out());
        if (patronictlInstalled()) {
            assertTrue(reinit.out().contains("Success: reinitialize for member " + node2.name()), reinit.out());
        }
        awaitOrFail(c, "node2 is a replica again", () -> roleIs(node2, "/replica", "replica"));
        replicationWorks(node1, node2);

        Ctl restartPrimary = ctl("restart", c.scope(), node1.name(), "--force");
        assertEquals(0, restartPrimary.code(), restartPrimary.out());
        if (patronictlInstalled()) {
            assertTrue(restartPrimary.out().contains("Success: restart on member " + node1.name()), restartPrimary.out());
        }
        awaitOrFail(c, "node1 is the primary, its restart no longer pending", () -> roleIs(node1, "/primary", "primary")
                && c.get(node1, "/patroni").map(r -> !r.body().path("pending_restart").asBoolean(false)).orElse(false));
        assertEquals("101", show(node1, "max_connections"));
        // Both replicas stream again from the restarted primary (a handover needs the candidate streaming).
        replicationWorks(node1, node2);
        replicationWorks(node1, node3);
    }

    @Test
    @Order(5)
    void switchoverThroughTheApiInPause() throws Exception {
        Reply anyone = send(node1, "POST", "/switchover", "{\"leader\": \"" + node1.name() + "\"}");
        assertEquals(400, anyone.status());
        assertEquals("Switchover is possible only to a specific candidate in a paused state", anyone.body());
        Reply scheduled = send(node1, "POST", "/switchover", "{\"leader\": \"" + node1.name() + "\", \"candidate\": \""
                + node2.name() + "\", \"scheduled_at\": \"2099-01-01T00:00:00+00:00\"}");
        assertEquals(400, scheduled.status());
        assertEquals("Can't schedule switchover in the paused state", scheduled.body());

        Reply sw = send(node1, "POST", "/switchover", "{\"leader\": \"" + node1.name() + "\", \"candidate\": \""
                + node2.name() + "\"}");
        assertEquals(200, sw.status(), sw.body());
        awaitOrFail(c, "node2 is the leader and the primary", () -> node2.name().equals(ClusterSupport.view(c).leader())
                && roleIs(node2, "/primary", "primary"));
        awaitOrFail(c, "node1 is a replica", () -> roleIs(node1, "/replica", "replica"));
        replicationWorks(node2, node1);
        awaitOrFail(c, "members/node1 has state running", () -> member(node1).state() == MemberState.RUNNING);
        assertEquals(503, status(c, node1, "/primary"));
        assertEquals(200, status(c, node1, "/replica"));
        assertEquals(200, status(c, node2, "/primary"));
        assertEquals(503, status(c, node2, "/replica"));

        Ctl resume = ctl("resume", c.scope(), "--wait");
        assertEquals(0, resume.code(), resume.out());
        awaitOrFail(c, "no member shows the pause", () -> c.nodes().stream().allMatch(n -> c.get(n, "/patroni")
                .map(r -> !r.body().path("pause").asBoolean(false)).orElse(false)));
        awaitOrFail(c, "the cluster is whole", () -> c.healthy(2));
    }

    // ------------------------------------------------------------------ synchronous replication

    @Test
    @Order(6)
    void severalSynchronousReplicas() throws Exception {
        Node primary = ClusterSupport.primaryOf(c);
        patchConfig("{\"synchronous_mode\": true}");
        awaitOrFail(c, "the sync key has leader " + primary.name() + " and one standby",
                () -> primary.name().equals(sync().leader()) && sync().standbys().size() == 1);

        patchConfig("{\"synchronous_node_count\": 2}");
        Set<String> both = Set.of(node1.name(), node3.name());
        awaitOrFail(c, "the sync key lists node1 and node3", () -> sync().standbys().equals(both));
        awaitOrFail(c, "/sync answers 200 on node1 and node3",
                () -> status(c, node1, "/sync") == 200 && status(c, node3, "/sync") == 200);
        String names = show(primary, "synchronous_standby_names");
        assertTrue(names.startsWith("FIRST 2 (") && names.contains("\"node1\"") && names.contains("\"node3\""), names);

        patchConfig("{\"synchronous_node_count\": 1}");
        awaitOrFail(c, "one synchronous standby again, the other answers /async", () -> sync().standbys().size() == 1
                && c.nodes().stream().filter(n -> n != primary).anyMatch(n -> status(c, n, "/async") == 200));
    }

    @Test
    @Order(7)
    void restartOfASynchronousReplica() throws Exception {
        Node primary = ClusterSupport.primaryOf(c);
        Node syncNode = c.node(sync().standbys().iterator().next());
        Node asyncNode = other(primary, syncNode);

        // The asynchronous replica going away changes nothing.
        asyncNode.stop(Duration.ofSeconds(60));
        ClusterSupport.awaitMoreCycles(c, primary, 3);
        assertEquals(Set.of(syncNode.name()), sync().standbys());
        asyncNode.start();
        awaitOrFail(c, "the cluster is whole", () -> c.healthy(2));

        // The synchronous one going away: the other replica takes over, and commits go on.
        syncNode.stop(Duration.ofSeconds(60));
        awaitOrFail(c, "the sync key names " + asyncNode.name(), () -> sync().standbys().equals(Set.of(asyncNode.name())));
        ClusterSupport.exec(c, primary, "CREATE TABLE after_sync_restart()");
        syncNode.start();
        awaitOrFail(c, "members/" + syncNode.name() + " has state running",
                () -> member(syncNode) != null && member(syncNode).state() == MemberState.RUNNING);
        awaitOrFail(c, "/sync on " + asyncNode.name() + " and /async on " + syncNode.name() + " answer 200",
                () -> status(c, asyncNode, "/sync") == 200 && status(c, syncNode, "/async") == 200);
        awaitOrFail(c, "the table written meanwhile is on " + syncNode.name(), () -> tableOn(syncNode, "after_sync_restart"));
    }

    @Test
    @Order(8)
    void aStuckSynchronousReplicaIsReplaced() throws Exception {
        patchConfig("{\"pause\": true, \"maximum_lag_on_syncnode\": 15000000, "
                + "\"postgresql\": {\"parameters\": {\"synchronous_commit\": \"remote_apply\"}}}");
        Node primary = ClusterSupport.primaryOf(c);
        awaitOrFail(c, "synchronous_commit is remote_apply on " + primary.name(),
                () -> "remote_apply".equals(show(primary, "synchronous_commit")));
        Node stuck = c.node(sync().standbys().iterator().next());
        Node healthy = other(primary, stuck);
        ClusterSupport.exec(c, primary, "CREATE TABLE mytest(id numeric)");
        awaitOrFail(c, "table mytest is on both replicas", () -> tableOn(stuck, "mytest") && tableOn(healthy, "mytest"));

        ClusterSupport.exec(c, stuck, "SELECT pg_wal_replay_pause()");
        // A commit under remote_apply waits for the synchronous standby's replay: it completes only
        // once the stuck standby was replaced.
        AtomicReference<Object> load = new AtomicReference<>();
        Thread loader = new Thread(() -> {
            try {
                ClusterSupport.exec(c, primary, "INSERT INTO mytest SELECT r::numeric FROM generate_series(1, 500000) r");
                load.set("done");
            } catch (SQLException e) {
                load.set(e);
            }
        }, "acceptance-load");
        loader.start();
        awaitOrFail(c, "the sync key names " + healthy.name() + " instead of the stuck " + stuck.name(),
                () -> sync().standbys().equals(Set.of(healthy.name())));
        awaitOrFail(c, "the load committed", () -> load.get() != null);
        assertEquals("done", load.get());
        String said = "replacing synchronous standby " + stuck.name();
        assertTrue(Files.readString(primary.agentLog()).contains(said), "the leader says: " + said);

        ClusterSupport.exec(c, stuck, "SELECT pg_wal_replay_resume()");
        awaitOrFail(c, "/sync on " + healthy.name() + " and /async on " + stuck.name() + " answer 200",
                () -> status(c, healthy, "/sync") == 200 && status(c, stuck, "/async") == 200);

        patchConfig("{\"pause\": null, \"maximum_lag_on_syncnode\": -1, "
                + "\"postgresql\": {\"parameters\": {\"synchronous_commit\": \"on\"}}}");
        ClusterSupport.exec(c, primary, "DROP TABLE mytest");
        assertFalse(ClusterSupport.view(c).dynamic().pause());
    }
}
