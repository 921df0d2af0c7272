package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Patroni's hooks of {@code postgresql} on a real two-node cluster whose agents reach their
 * PostgreSQL through its Unix socket ({@code use_unix_socket}): {@code on_reload} and
 * {@code on_restart} fire with Patroni's arguments, {@code before_stop} runs before a restart's
 * stop, and a failing {@code pre_promote} keeps a replica from promoting until it succeeds.
 */
class HooksIT {

    /** Each node's hooks: a script that logs its name and exits with what {@code pre_promote.rc} says. */
    private static String nodeYaml(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path script = dir.resolve("hook.sh");
        Files.writeString(script, "#!/bin/sh\necho \"$1\" >> '" + dir.resolve("hooks.log") + "'\n"
                + "if [ \"$1\" = pre_promote ] && [ -f '" + dir.resolve("pre_promote.rc") + "' ]; then\n"
                + "  exit $(cat '" + dir.resolve("pre_promote.rc") + "')\nfi\nexit 0\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return "  pre_promote: " + script + " pre_promote\n"
                + "  before_stop: " + script + " before_stop\n"
                + "  pg_ctl_timeout: 45\n"
                + "  use_unix_socket: true\n"
                + "  use_unix_socket_repl: true\n";
    }

    private static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static int baton(LocalCluster c, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--etcd", c.etcdEndpoint()));
        int code = Baton.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(a.toArray(String[]::new));
        System.out.println("$ baton " + String.join(" ", args) + "\n" + out + err + "(exit " + code + ")\n");
        return code;
    }

    private static String lastCycle(LocalCluster c, Node n) {
        return c.get(n, "/patroni").map(r -> r.body().path("baton").path("last_cycle").asText()).orElse("");
    }

    @Test
    void callbacksBeforeStopAndAFailingPrePromote() throws Exception {
        Path hooks = Files.createTempDirectory("baton-it-hooks-scripts-");
        Files.setPosixFilePermissions(hooks, PosixFilePermissions.fromString("rwx------"));
        Map<String, String> yaml = new LinkedHashMap<>();
        for (String name : List.of("node1", "node2")) {
            yaml.put(name, nodeYaml(hooks.resolve(name)));
        }
        LocalCluster.Options options = LocalCluster.Options.defaults().withNodes(2).withHaproxy(false).withCallbacks()
                .withNodeYaml(yaml);
        try (LocalCluster c = ClusterSupport.startCluster("baton-it-hooks-", options, 1)) {
            Node primary = ClusterSupport.primaryOf(c);
            Node replica = c.nodes().stream().filter(n -> n != primary).findFirst().orElseThrow();
            Path replicaHooks = hooks.resolve(replica.name());

            // use_unix_socket: the agents' own sessions come through the socket (no client address).
            try (Connection conn = ClusterSupport.connect(c, primary); Statement st = conn.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FILTER (WHERE client_addr IS NULL), "
                         + "count(*) FILTER (WHERE client_addr IS NOT NULL) FROM pg_stat_activity "
                         + "WHERE application_name = 'baton'")) {
                rs.next();
                assertTrue(rs.getInt(1) >= 1, "the agent is connected through the Unix socket");
                assertEquals(0, rs.getInt(2), "and not over TCP");
            }

            // on_reload: baton reload reloads PostgreSQL, and the callback gets Patroni's arguments.
            assertEquals(0, baton(c, "reload", c.scope(), primary.name(), "--force"));
            awaitOrFail(c, "on_reload ran on " + primary.name(),
                    () -> lines(primary.callbackLog()).contains("on_reload primary " + c.scope()));

            // on_restart (not on_stop/on_start) after a restart, and before_stop before its stop.
            long startsBefore = lines(replica.callbackLog()).stream().filter(l -> l.startsWith("on_start")).count();
            assertEquals(0, baton(c, "restart", c.scope(), replica.name(), "--force"));
            awaitOrFail(c, "on_restart ran on " + replica.name(),
                    () -> lines(replica.callbackLog()).contains("on_restart replica " + c.scope()));
            assertEquals(startsBefore, lines(replica.callbackLog()).stream().filter(l -> l.startsWith("on_start")).count(),
                    "a restart fires on_restart only, as Patroni");
            assertTrue(lines(replicaHooks.resolve("hooks.log")).contains("before_stop"),
                    "before_stop ran before the restart's stop");
            awaitOrFail(c, "the replica streams again", () -> c.healthy(1));

            // pre_promote fails on the replica: the primary dies, the replica wins the key, runs the
            // script, releases the key and backs off for a ttl; then tries again.
            Files.writeString(replicaHooks.resolve("pre_promote.rc"), "1\n");
            primary.kill();
            awaitOrFail(c, "pre_promote ran twice on " + replica.name() + " (failed, backed off, tried again)",
                    () -> lines(replicaHooks.resolve("hooks.log")).stream().filter("pre_promote"::equals).count() >= 2);
            assertNotEquals(200, ClusterSupport.status(c, replica, "/primary"), "no promotion while pre_promote fails");
            assertTrue(c.get(replica, "/patroni").map(r -> r.body().path("role").asText()).orElse("")
                    .equals("replica"), "still a replica");

            // Once the script succeeds, the replica promotes.
            Files.writeString(replicaHooks.resolve("pre_promote.rc"), "0\n");
            awaitOrFail(c, replica.name() + " is primary after a successful pre_promote",
                    () -> c.primary().map(n -> n == replica).orElse(false));
            awaitOrFail(c, "on_role_change ran on " + replica.name(),
                    () -> lines(replica.callbackLog()).contains("on_role_change primary " + c.scope()));
            System.out.println("last cycle of " + replica.name() + ": " + lastCycle(c, replica));
        } finally {
            try (var files = Files.walk(hooks)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
