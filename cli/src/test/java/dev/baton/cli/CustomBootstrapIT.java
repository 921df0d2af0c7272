package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The bootstrap part of a Patroni YAML with real agents, PostgreSQL and etcd: {@code bootstrap.users}
 * and {@code post_bootstrap} on a new cluster, and a custom bootstrap method that clones another
 * running cluster with pg_basebackup (Patroni's acceptance test "custom bootstrap"), recovering with
 * {@code recovery_conf} and ending as a working primary with the source's data.
 */
class CustomBootstrapIT {
    /** A password with the characters that break naive quoting, in SQL and in the shell. */
    private static final String ADMIN_PASSWORD = "it's \\a \"pw\" $HOME;";

    /** Adds a member whose {@code bootstrap} section gets {@code bootstrapYaml} (two-space indented lines). */
    private static Node addNode(LocalCluster c, String bootstrapYaml) throws IOException {
        Node n = c.addNode();
        String yaml = Files.readString(n.config());
        assertTrue(yaml.contains("\nbootstrap:\n"), yaml);
        Files.writeString(n.config(), yaml.replace("\nbootstrap:\n", "\nbootstrap:\n" + bootstrapYaml));
        return n;
    }

    private static Path script(Path file, String body) throws IOException {
        Files.writeString(file, "#!/bin/sh\nset -e\n" + body);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        return file;
    }

    private static Connection connect(Node n, String user, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("connectTimeout", "5");
        return DriverManager.getConnection(n.jdbcUrl(), p);
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next(), sql);
            return rs.getString(1);
        }
    }

    @Test
    void bootstrapUsersAreCreatedAndPostBootstrapRunsOnce() throws Exception {
        LocalCluster.Options options = LocalCluster.Options.defaults().withHaproxy(false).withNodes(0)
                .withEnv(Map.of("PATRONI_reporter_PASSWORD", "rep0rter", "PATRONI_reporter_OPTIONS", "nologin"));
        try (LocalCluster c = LocalCluster.start(Files.createTempDirectory("baton-it-boot-"), options)) {
            Path marker = c.dir().resolve("post_bootstrap.log");
            Path post = script(c.dir().resolve("post.sh"), """
                    echo "args: $*" >> '%s'
                    echo "pgpassfile: ${PGPASSFILE:-none} pgpassword: ${PGPASSWORD:-none} pgoptions: $PGOPTIONS" >> '%s'
                    for url in "$@"; do :; done
                    psql "$url" -v ON_ERROR_STOP=1 -qc 'CREATE TABLE made_by_post_bootstrap AS SELECT current_user AS who'
                    """.formatted(marker, marker));
            Node n1 = addNode(c, "  post_bootstrap: " + post + " --flag\n"
                    + "  users:\n    admin:\n      password: '" + ADMIN_PASSWORD.replace("'", "''") + "'\n"
                    + "      options: [createdb, createrole]\n");
            n1.start();
            awaitOrFail(c, "node1 finished its bootstrap and leads", () -> bootstrapped(c, n1));
            Node p = n1;

            try (Connection admin = connect(p, "admin", ADMIN_PASSWORD)) {
                assertEquals("admin", one(admin, "SELECT current_user"));
                assertEquals("t f", one(admin, "SELECT rolcreatedb || ' ' || rolsuper FROM pg_roles "
                        + "WHERE rolname = current_user").replace("true", "t").replace("false", "f"));
                assertEquals("f", one(admin, "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'reporter'")
                        .replace("false", "f"), "PATRONI_reporter_OPTIONS: nologin");
            }
            try (Connection su = ClusterSupport.connect(c, p)) {
                assertEquals("postgres", one(su, "SELECT who FROM made_by_post_bootstrap"));
            }
            String log = Files.readString(marker);
            assertEquals(2, log.lines().count(), "post_bootstrap ran once: " + log);
            assertTrue(log.contains("args: --flag postgres://postgres@127.0.0.1:" + p.pgPort() + "/postgres"), log);
            assertTrue(log.contains("pgpassword: none pgoptions: -c synchronous_commit=local -c statement_timeout=0"),
                    log);
            assertFalse(log.contains("pgpassfile: none"), log);
            String agentLog = Files.readString(p.agentLog());
            assertFalse(agentLog.contains("it's \\a"), "the password is never logged");
            assertFalse(agentLog.contains("rep0rter"), "the password is never logged");
            assertTrue(agentLog.contains("bootstrap user admin created"), p.lastLogLines(40));

            // A second member clones: neither the script nor the users run again.
            Node n2 = addNode(c, "  post_bootstrap: " + post + "\n");
            n2.start();
            awaitOrFail(c, "node2 streams", () -> c.healthy(1));
            assertEquals(2, Files.readString(marker).lines().count());
        }
    }

    @Test
    void aCustomMethodClonesAnotherRunningClusterAndEndsAsAWorkingPrimary() throws Exception {
        LocalCluster.Options sourceOptions = LocalCluster.Options.defaults().withHaproxy(false).withNodes(1);
        try (LocalCluster source = ClusterSupport.startCluster("baton-it-clone-src-", sourceOptions, 0)) {
            Node from = ClusterSupport.primaryOf(source);
            ClusterSupport.exec(source, from, "CREATE TABLE cloned AS SELECT g AS id FROM generate_series(1, 1000) g");
            String replPassword = replicationPassword(from);
            Path dir = Files.createTempDirectory("baton-it-clone-");
            // The clone cluster takes the source's superuser and replication passwords: its data is the source's.
            try (LocalCluster clone = LocalCluster.startRestored(dir, LocalCluster.Options.defaults().withHaproxy(false)
                    .withNodes(0).withScope("cloned"), source)) {
                Path pgpass = dir.resolve("clone.pgpass");
                Files.writeString(pgpass, "127.0.0.1:" + from.pgPort() + ":*:replicator:" + replPassword + "\n");
                Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-------"));
                Path args = dir.resolve("clone.args");
                // Patroni's acceptance test clone script: pg_basebackup from the other cluster into --datadir.
                Path cloneScript = script(dir.resolve("clone.sh"), """
                        echo "$*" > '%s'
                        for a in "$@"; do case "$a" in --datadir=*) datadir="${a#--datadir=}";; esac; done
                        PGPASSFILE='%s' pg_basebackup -D "$datadir" -X stream -c fast -w \\
                            -d "host=127.0.0.1 port=%d user=replicator"
                        """.formatted(args, pgpass, from.pgPort()));
                Node node = addNode(clone, "  method: clone_with_pg_basebackup\n"
                        + "  clone_with_pg_basebackup:\n"
                        + "    command: " + cloneScript + " --source node1\n"
                        + "    recovery_conf:\n"
                        + "      restore_command: 'false'\n"
                        + "      recovery_target_action: promote\n"
                        + "      recovery_target_timeline: latest\n");
                node.start();
                awaitOrFail(clone, "the cloned cluster's node finished its bootstrap", () -> bootstrapped(clone, node));
                Node p = node;
                assertEquals("--source node1 --scope=cloned --datadir=" + p.dataDir(),
                        Files.readString(args).strip());
                try (Connection conn = ClusterSupport.connect(clone, p)) {
                    assertEquals("1000", one(conn, "SELECT count(*) FROM cloned"));
                    assertEquals("f", one(conn, "SELECT pg_is_in_recovery()").replace("false", "f"));
                    try (Statement st = conn.createStatement()) {
                        st.execute("INSERT INTO cloned VALUES (1001)");
                    }
                    assertTrue(Integer.parseInt(one(conn, "SELECT timeline_id FROM pg_control_checkpoint()")) >= 1);
                }
                String auto = Files.readString(p.dataDir().resolve("postgresql.auto.conf"));
                assertFalse(auto.contains("restore_command"), "the recovery settings went after the promotion: " + auto);
                assertFalse(Files.exists(p.dataDir().resolve("recovery.signal")));
                assertTrue(Files.readString(p.agentLog()).contains("custom bootstrap method clone_with_pg_basebackup"),
                        p.lastLogLines(40));

                // A replica of the cloned cluster streams from it.
                Node replica = clone.addNode();
                replica.start();
                awaitOrFail(clone, "the cloned cluster's replica streams", () -> clone.healthy(1));
            }
            try (Connection conn = ClusterSupport.connect(source, from)) {
                assertEquals("1000", one(conn, "SELECT count(*) FROM cloned"), "the source is untouched");
            }
        }
    }

    /** The node's last cycle is the leader's: the bootstrap (post_bootstrap, roles, keys) is over. */
    private static boolean bootstrapped(LocalCluster c, Node n) {
        return c.get(n, "/patroni").map(r -> r.body().path("baton").path("last_cycle").asText())
                .orElse("").equals("no action: I am the leader with the lock");
    }

    private static String replicationPassword(Node n) throws IOException {
        Matcher m = Pattern.compile("replication:\\n\\s+username: replicator\\n\\s+password: (\\S+)")
                .matcher(Files.readString(n.config()));
        assertTrue(m.find(), "the replication password in " + n.config());
        return m.group(1);
    }
}
