package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import dev.baton.leader.model.MemberStatus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Scheduled restarts end to end: {@code baton restart --scheduled} is shown in /patroni and the
 * member key and runs when due; {@code baton flush restart} (and patronictl's) cancels one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScheduledRestartIT {
    private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ssxxx");
    private LocalCluster cluster;

    private record Result(int code, String out, String err) {
    }

    @BeforeAll
    void start() throws Exception {
        cluster = ClusterSupport.startCluster("baton-it-scheduled-restart-",
                LocalCluster.Options.defaults().withNodes(2).withHaproxy(false), 1);
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private Result baton(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--etcd", cluster.etcdEndpoint()));
        int code = Baton.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(a.toArray(String[]::new));
        System.out.println("$ baton " + String.join(" ", args) + "\n" + out + err + "(exit " + code + ")\n");
        return new Result(code, out.toString(), err.toString());
    }

    private Node replica() throws InterruptedException {
        Node p = ClusterSupport.primaryOf(cluster);
        return cluster.nodes().stream().filter(n -> n != p).findFirst().orElseThrow();
    }

    private JsonNode patroni(Node n) {
        return cluster.get(n, "/patroni").map(LocalCluster.Response::body).orElse(null);
    }

    private MemberStatus key(Node n) {
        return ClusterSupport.snapshot(cluster).members().entrySet().stream()
                .filter(e -> e.getKey().equals(n.name()))
                .map(e -> MemberStatus.parse(e.getKey(), e.getValue().json())).findFirst().orElseThrow();
    }

    private static String in(int seconds) {
        return OffsetDateTime.now(ZoneOffset.UTC).plusSeconds(seconds).format(ISO);
    }

    @Test
    @Order(1)
    void aScheduledRestartRunsWhenDue() throws Exception {
        Node r = replica();
        String before = patroni(r).path("postmaster_start_time").asText();
        String at = in(8);
        Result s = baton("restart", cluster.scope(), r.name(), "--scheduled", at, "--force");
        assertEquals(0, s.code(), s.err());
        assertTrue(s.out().contains("Success: restart scheduled on member " + r.name()), s.out());
        JsonNode shown = patroni(r).path("scheduled_restart");
        assertEquals(OffsetDateTime.parse(at).toInstant(), OffsetDateTime.parse(shown.path("schedule").asText()).toInstant(),
                shown::toString);
        awaitOrFail(cluster, "the restart ran: a new postmaster start time", () -> {
            JsonNode n = patroni(r);
            return n != null && "running".equals(n.path("state").asText())
                    && !before.equals(n.path("postmaster_start_time").asText()) && !n.has("scheduled_restart");
        });
        awaitOrFail(cluster, "the member key no longer shows it", () -> key(r).scheduledRestart() == null);
        awaitOrFail(cluster, "the cluster is healthy", () -> cluster.healthy(1));
    }

    @Test
    @Order(2)
    void flushRestartCancelsIt() throws Exception {
        Node r = replica();
        String before = patroni(r).path("postmaster_start_time").asText();
        Result s = baton("restart", cluster.scope(), r.name(), "--scheduled", in(600), "--force");
        assertEquals(0, s.code(), s.err());
        Result again = baton("restart", cluster.scope(), r.name(), "--scheduled", in(700), "--force");
        assertTrue(again.out().contains("Success: restart scheduled on member " + r.name()), "--force replaces it: "
                + again.out());
        awaitOrFail(cluster, "the member key shows it", () -> key(r).scheduledRestart() != null);
        Result list = baton("list", cluster.scope(), "-e");
        assertTrue(list.out().contains(key(r).scheduledRestartText()), list.out());

        Result f = baton("flush", cluster.scope(), "restart", "--force");
        assertEquals(0, f.code(), f.err());
        assertTrue(f.out().contains("Success: flush scheduled restart for member " + r.name()), f.out());
        assertFalse(patroni(r).has("scheduled_restart"));
        awaitOrFail(cluster, "the member key no longer shows it", () -> key(r).scheduledRestart() == null);
        assertEquals(before, patroni(r).path("postmaster_start_time").asText(), "nothing restarted");
    }

    @Test
    @Order(3)
    void patronictlSchedulesAndFlushes() throws Exception {
        Optional<Path> patronictl = dev.baton.cli.local.Binaries.find("patronictl", "/usr/bin");
        org.junit.jupiter.api.Assumptions.assumeTrue(patronictl.isPresent(), "patronictl is not installed");
        Node r = replica();
        String before = patroni(r).path("postmaster_start_time").asText();
        String out = patronictl(patronictl.get(), "restart", cluster.scope(), r.name(), "--scheduled", in(600),
                "--pg-version", "99.1", "--force");
        assertTrue(out.contains("Success: restart scheduled on member " + r.name()), out);
        assertEquals("99.1", patroni(r).path("scheduled_restart").path("postgres_version").asText());
        awaitOrFail(cluster, "the member key shows it", () -> key(r).scheduledRestart() != null);
        String listed = patronictl(patronictl.get(), "list", cluster.scope(), "-e");
        assertTrue(listed.contains(" if version < 99.1"), listed);
        String flushed = patronictl(patronictl.get(), "flush", cluster.scope(), "restart", "--force");
        assertTrue(flushed.contains("Success: flush scheduled restart for member " + r.name()), flushed);
        assertFalse(patroni(r).has("scheduled_restart"));
        assertEquals(before, patroni(r).path("postmaster_start_time").asText(), "nothing restarted");
    }

    private String patronictl(Path bin, String... args) throws Exception {
        Path cfg = cluster.dir().resolve("patronictl.yml");
        Files.writeString(cfg, "scope: " + cluster.scope() + "\nnamespace: /service/\netcd3:\n  hosts: "
                + cluster.etcdEndpoint() + "\n");
        List<String> argv = new ArrayList<>(List.of(bin.toString(), "-c", cfg.toString()));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "patronictl did not finish: " + out);
        System.out.println("$ patronictl " + String.join(" ", args) + "\n" + out);
        assertEquals(0, p.exitValue(), "patronictl failed: " + out);
        assertFalse(out.contains("Failed"), out);
        return out;
    }
}
