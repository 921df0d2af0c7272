package dev.baton.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code baton backup create|list} against fake agents (in-process HTTP servers answering the
 * REST contract of docs/backup.md) and a fake etcd JSON gateway: node1 leads, node2 streams.
 */
class BackupCommandTest {
    private final List<HttpServer> servers = new ArrayList<>();
    /** "node METHOD path body" of every request the agents got. */
    private final List<String> seen = new CopyOnWriteArrayList<>();
    /** Scripted answers per "node METHOD path": each a status and body; the last one repeats. */
    private final Map<String, Queue<String[]>> script = new ConcurrentHashMap<>();

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
    }

    private void answer(String key, int status, String body) {
        script.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>()).add(new String[] {Integer.toString(status), body});
    }

    private String agent(String node) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), UTF_8);
            String key = node + " " + ex.getRequestMethod() + " " + ex.getRequestURI().getPath();
            seen.add(key + " " + body);
            Queue<String[]> q = script.get(key);
            String[] a = q == null ? new String[] {"404", "{\"error\":\"not found\"}"} : q.size() > 1 ? q.poll() : q.peek();
            reply(ex, Integer.parseInt(a[0]), a[1]);
        });
        s.start();
        servers.add(s);
        return "http://127.0.0.1:" + s.getAddress().getPort() + "/patroni";
    }

    private static void reply(HttpExchange ex, int code, String body) throws IOException {
        byte[] b = body.getBytes(UTF_8);
        ex.sendResponseHeaders(code, b.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(b);
        }
    }

    private static String kv(String k, String v) {
        Base64.Encoder b = Base64.getEncoder();
        return "{\"key\":\"" + b.encodeToString(k.getBytes(UTF_8)) + "\",\"create_revision\":\"7\",\"mod_revision\":\"9\","
                + "\"value\":\"" + b.encodeToString(v.getBytes(UTF_8)) + "\"}";
    }

    /** etcd's JSON gateway: cluster demo, node1 the leader (primary), node2 a streaming replica. */
    private String etcd() throws IOException {
        String m1 = "{\"conn_url\":\"postgres://127.0.0.1:5432/postgres\",\"api_url\":\"" + agent("node1")
                + "\",\"state\":\"running\",\"role\":\"primary\"}";
        String m2 = "{\"conn_url\":\"postgres://127.0.0.1:5433/postgres\",\"api_url\":\"" + agent("node2")
                + "\",\"state\":\"streaming\",\"role\":\"replica\"}";
        String range = "{\"header\":{\"revision\":\"9\"},\"kvs\":[" + kv("/service/demo/leader", "node1") + ","
                + kv("/service/demo/members/node1", m1) + "," + kv("/service/demo/members/node2", m2) + "]}";
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            reply(ex, 200, range);
        });
        s.start();
        servers.add(s);
        return "127.0.0.1:" + s.getAddress().getPort();
    }

    private record Run(int code, String out, String err) {
    }

    /** Runs baton with create's polling sped up (and its clock stepping 1 s per reading, so that rates show). */
    private Run baton(boolean terminal, String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        CommandLine cl = Baton.commandLine(new PrintWriter(o, true), new PrintWriter(e, true));
        BackupCreateCommand create = cl.getSubcommands().get("backup").getSubcommands().get("create").getCommand();
        create.pollInterval = Duration.ofMillis(10);
        create.logInterval = Duration.ofSeconds(2);
        create.terminal = terminal;
        AtomicLong clock = new AtomicLong();
        create.nanos = () -> clock.addAndGet(1_000_000_000L);
        int code = cl.execute(args);
        return new Run(code, o.toString(), e.toString());
    }

    private static String status(long id, String state, long done, long total, String label, String error) {
        return "{\"id\":" + id + ",\"state\":\"" + state + "\",\"type\":\"full\",\"started\":\"2026-12-04T10:00:00Z\","
                + "\"finished\":" + (state.equals("running") ? "null" : "\"2026-12-04T10:01:00Z\"") + ",\"done_bytes\":"
                + done + ",\"total_bytes\":" + total + ",\"label\":" + (label == null ? "null" : "\"" + label + "\"")
                + ",\"error\":" + (error == null ? "null" : "\"" + error + "\"") + "}";
    }

    @Test
    void createPostsToTheLeaderFollowsTheRunAndPrintsTheLabel() throws Exception {
        String etcd = etcd();
        answer("node1 POST /backup", 202, status(7, "running", 0, 0, null, null));
        answer("node1 GET /backup", 200, status(7, "running", 100 << 20, 400 << 20, null, null));
        answer("node1 GET /backup", 200, status(7, "running", 200 << 20, 400 << 20, null, null));
        answer("node1 GET /backup", 200, status(7, "running", 300 << 20, 400 << 20, null, null));
        answer("node1 GET /backup", 200, status(7, "running", 350 << 20, 400 << 20, null, null));
        answer("node1 GET /backup", 200, status(7, "succeeded", 400 << 20, 400 << 20, "20261204-100000F", null));
        Run r = baton(false, "backup", "create", "--etcd", etcd, "--scope", "demo");
        assertEquals(BaseCommand.EXIT_OK, r.code(), r::err);
        assertEquals("20261204-100000F\n", r.out());
        assertTrue(seen.contains("node1 POST /backup {\"type\":\"full\"}"), seen::toString);
        assertFalse(seen.stream().anyMatch(s -> s.startsWith("node2")), seen::toString);
        // Not a terminal: a progress line every 2 s of its (stepping) clock, never a carriage return.
        assertTrue(r.err().contains("baton: backup 7 on node1: 200.0 MiB of 400.0 MiB, 100.0 MiB/s, 2 s left\n"), r::err);
        assertTrue(r.err().contains("baton: backup 7 on node1: 350.0 MiB of 400.0 MiB, 83.3 MiB/s, 1 s left\n"), r::err);
        assertFalse(r.err().contains("\r"), r::err);
    }

    @Test
    void onATerminalTheProgressIsOneUpdatingLine() throws Exception {
        String etcd = etcd();
        answer("node1 POST /backup", 202, status(1, "running", 0, 0, null, null));
        answer("node1 GET /backup", 200, status(1, "running", 1 << 20, 4 << 20, null, null));
        answer("node1 GET /backup", 200, status(1, "running", 2 << 20, 4 << 20, null, null));
        answer("node1 GET /backup", 200, status(1, "succeeded", 4 << 20, 4 << 20, "L1", null));
        Run r = baton(true, "backup", "create", "--etcd", etcd, "--scope", "demo", "--type", "incr");
        assertEquals(BaseCommand.EXIT_OK, r.code(), r::err);
        assertTrue(r.err().contains("\r1.0 MiB of 4.0 MiB"), r::err);
        assertTrue(r.err().contains("\r2.0 MiB of 4.0 MiB, 1.0 MiB/s, 2 s left"), r::err);
        assertTrue(seen.contains("node1 POST /backup {\"type\":\"incr\"}"), seen::toString);
    }

    @Test
    void aFailedBackupIsExit1WithTheAgentsError() throws Exception {
        String etcd = etcd();
        answer("node1 POST /backup", 202, status(3, "running", 0, 0, null, null));
        answer("node1 GET /backup", 200, status(3, "failed", 10, 100, null, "pgbackrest backup exited 56: archive timeout"));
        Run r = baton(false, "backup", "create", "--etcd", etcd, "--scope", "demo");
        assertEquals(BaseCommand.EXIT_FAILED, r.code(), r::err);
        assertTrue(r.err().contains("backup 3 failed on node1: pgbackrest backup exited 56: archive timeout"), r::err);
        assertEquals("", r.out());
    }

    @Test
    void jsonPrintsTheFinalStatusObjectWithTheMember() throws Exception {
        String etcd = etcd();
        answer("node1 POST /backup", 202, status(4, "running", 0, 0, null, null));
        answer("node1 GET /backup", 200, status(4, "succeeded", 5, 5, "20261204-100000F", null));
        Run r = baton(false, "backup", "create", "--etcd", etcd, "--scope", "demo", "--format", "json");
        assertEquals(BaseCommand.EXIT_OK, r.code(), r::err);
        JsonNode n = Formats.JSON.readTree(r.out());
        assertEquals(4, n.get("id").asInt());
        assertEquals("succeeded", n.get("state").asText());
        assertEquals("20261204-100000F", n.get("label").asText());
        assertEquals("node1", n.get("member").asText());
        assertEquals(1, r.out().strip().lines().count(), r::out);
    }

    @Test
    void aBackupAlreadyRunningIsExit1() throws Exception {
        String etcd = etcd();
        answer("node1 POST /backup", 409, status(2, "running", 0, 0, null, null));
        Run r = baton(false, "backup", "create", "--etcd", etcd, "--scope", "demo");
        assertEquals(BaseCommand.EXIT_FAILED, r.code(), r::err);
        assertTrue(r.err().contains("a backup is already running on node1 (backup 2, full, started 2026-12-04T10:00:00Z)"),
                r::err);
        assertFalse(seen.stream().anyMatch(s -> s.startsWith("node1 GET")), seen::toString);
    }

    @Test
    void aBadTypeIsExit2BeforeAnythingIsAsked() throws Exception {
        String etcd = etcd();
        Run r = baton(false, "backup", "create", "--etcd", etcd, "--scope", "demo", "--type", "weekly");
        assertEquals(BaseCommand.EXIT_BAD_INPUT, r.code(), r::err);
        assertTrue(r.err().contains("--type: must be full, diff or incr, got \"weekly\""), r::err);
        assertTrue(seen.isEmpty(), seen::toString);
        Run f = baton(false, "backup", "create", "--etcd", etcd, "--scope", "demo", "--format", "yaml");
        assertEquals(BaseCommand.EXIT_BAD_INPUT, f.code(), f::err);
    }

    @Test
    void withoutARepositoryCreateAndListSaySo() throws Exception {
        String etcd = etcd();
        answer("node1 POST /backup", 404, "{\"error\":\"no backup repository\"}");
        answer("node1 GET /backups", 404, "{\"error\":\"no backup repository\"}");
        Run c = baton(false, "backup", "create", "--etcd", etcd, "--scope", "demo");
        assertEquals(BaseCommand.EXIT_FAILED, c.code(), c::err);
        assertTrue(c.err().contains("no backup repository configured (backup.repository)"), c::err);
        Run l = baton(false, "backup", "list", "--etcd", etcd, "--scope", "demo");
        assertEquals(BaseCommand.EXIT_FAILED, l.code(), l::err);
        assertTrue(l.err().contains("no backup repository configured (backup.repository)"), l::err);
    }

    @Test
    void fromReplicaTargetsTheStreamingReplicaAndReportsItsRefusal() throws Exception {
        String etcd = etcd();
        answer("node2 POST /backup", 503, "{\"error\":\"backups from a replica are not supported by this agent\"}");
        Run r = baton(false, "backup", "create", "--etcd", etcd, "--scope", "demo", "--from-replica");
        assertEquals(BaseCommand.EXIT_FAILED, r.code(), r::err);
        assertTrue(r.err().contains("node2 refused the backup: backups from a replica are not supported"), r::err);
        assertTrue(seen.contains("node2 POST /backup {\"type\":\"full\",\"from_replica\":true}"), seen::toString);
        assertFalse(seen.stream().anyMatch(s -> s.startsWith("node1")), seen::toString);
    }

    private static final String BACKUPS = "[{\"label\":\"20261204-100000F\",\"type\":\"full\",\"start\":\"2026-12-04T10:00:00Z\","
            + "\"stop\":\"2026-12-04T10:01:00Z\",\"wal_start\":\"000000010000000000000003\",\"wal_stop\":"
            + "\"000000010000000000000004\",\"size_bytes\":31457280,\"repo_size_bytes\":4000000,\"lsn_start\":\"0/3000028\","
            + "\"lsn_stop\":\"0/4000050\"}]";

    @Test
    void listShowsATableAndJsonFromTheLeader() throws Exception {
        String etcd = etcd();
        answer("node1 GET /backups", 200, BACKUPS);
        Run t = baton(false, "backup", "list", "--etcd", etcd, "--scope", "demo");
        assertEquals(BaseCommand.EXIT_OK, t.code(), t::err);
        assertTrue(t.out().contains("| Label            | Type | Start"), t::out);
        assertTrue(t.out().contains("| 20261204-100000F | full | 2026-12-04T10:00:00Z | 2026-12-04T10:01:00Z | "
                + "000000010000000000000003 | 000000010000000000000004 | 30.0 MiB |"), t::out);
        Run j = baton(false, "backup", "list", "--etcd", etcd, "--scope", "demo", "--format", "json");
        assertEquals(BaseCommand.EXIT_OK, j.code(), j::err);
        JsonNode a = Formats.JSON.readTree(j.out());
        assertTrue(a.isArray());
        assertEquals(1, a.size());
        for (String f : List.of("label", "type", "start", "stop", "wal_start", "wal_stop", "size_bytes")) {
            assertTrue(a.get(0).has(f), f);
        }
        assertEquals(31457280L, a.get(0).get("size_bytes").asLong());
        assertFalse(seen.stream().anyMatch(s -> s.startsWith("node2")), seen::toString);
    }

    @Test
    void listFallsBackToAnotherMemberWhenTheLeaderCannotList() throws Exception {
        String etcd = etcd();
        answer("node1 GET /backups", 503, "{\"error\":\"pgbackrest info failed\"}");
        answer("node2 GET /backups", 200, "[]");
        Run r = baton(false, "backup", "list", "--etcd", etcd, "--scope", "demo");
        assertEquals(BaseCommand.EXIT_OK, r.code(), r::err);
        assertTrue(r.out().contains("(no backup in the repository yet)"), r::out);
    }

    @Test
    void progressLines() {
        assertEquals("1.2 GiB of 3.4 GiB, 45.0 MiB/s, 49 s left",
                dev.baton.agent.backup.ProgressText.line(1338612122L, 3650722202L, 45 * 1048576.0));
        assertEquals("512 B", dev.baton.agent.backup.ProgressText.line(512, 0, 0));
        assertEquals("1.5 KiB of 10.0 KiB", dev.baton.agent.backup.ProgressText.line(1536, 10240, 0));
        assertEquals("0 B of 2.0 TiB, 1.0 GiB/s, 34 min 8 s left",
                dev.baton.agent.backup.ProgressText.line(0, 2L << 40, 1L << 30));
        assertEquals("1.0 MiB", dev.baton.agent.backup.ProgressText.size(1048575));
        assertEquals("2 h 0 min", dev.baton.agent.backup.ProgressText.duration(7200));
        dev.baton.agent.backup.ProgressText.Meter m = new dev.baton.agent.backup.ProgressText.Meter();
        assertEquals("0 B of 100.0 MiB", m.sample(0, 0, 100 << 20));
        assertEquals("50.0 MiB of 100.0 MiB, 10.0 MiB/s, 5 s left", m.sample(5_000_000_000L, 50 << 20, 100 << 20));
    }
}
