package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static dev.baton.cli.ClusterSupport.primaryOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * Patroni's replica creation with real agents, PostgreSQL and etcd: a replica made by a custom
 * {@code create_replica_method} (a script that runs pg_basebackup with the connstring it is given,
 * after a method that fails), and one made by pg_basebackup with {@code postgresql.basebackup}
 * options; both stream from the leader afterwards.
 */
class ReplicaMethodsIT {

    private static boolean streaming(LocalCluster c, Node primary, String name) {
        try (Connection conn = ClusterSupport.connect(c, primary); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_replication WHERE application_name = '"
                     + name + "' AND state = 'streaming'")) {
            rs.next();
            return rs.getLong(1) == 1;
        } catch (SQLException e) {
            return false;
        }
    }

    private static boolean logContains(Node n, String text) {
        try {
            return Files.readString(n.agentLog()).contains(text);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Puts {@code lines} into the node's postgresql section. */
    private static void addToPostgresql(Node n, String lines) throws Exception {
        String yaml = Files.readString(n.config());
        assertTrue(yaml.contains("\npostgresql:\n"), yaml);
        Files.writeString(n.config(), yaml.replace("\npostgresql:\n", "\npostgresql:\n" + lines));
    }

    private static Path script(Path dir, String name, String body) throws Exception {
        Path s = dir.resolve(name);
        Files.writeString(s, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(s, PosixFilePermissions.fromString("rwx------"));
        return s;
    }

    @Test
    void replicasMadeByACustomMethodAndByPgBasebackupWithOptionsStream() throws Exception {
        LocalCluster.Options options = LocalCluster.Options.defaults().withHaproxy(false).withNodes(1);
        try (LocalCluster c = ClusterSupport.startCluster("baton-it-replica-methods-", options, 0)) {
            Node primary = primaryOf(c);
            Path args = c.dir().resolve("clone.args");
            Path broken = script(c.dir(), "broken.sh", "echo 'no snapshot today' >&2\nexit 3\n");
            // A clone the way Patroni's documentation writes one: the arguments it is given, and
            // pg_basebackup with the connstring (the password comes from PGPASSFILE).
            Path clone = script(c.dir(), "clone.sh", """
                    echo "$@" > '%s'
                    echo "PGPASSFILE=$PGPASSFILE" >> '%s'
                    for a in "$@"; do
                      case "$a" in
                        --datadir=*) DATADIR="${a#--datadir=}" ;;
                        --connstring=*) CONN="${a#--connstring=}" ;;
                      esac
                    done
                    BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
                    exec "$BIN/pg_basebackup" -D "$DATADIR" -X stream -c fast -d "$CONN" -w
                    """.formatted(args, args));

            Node node2 = c.addNode();
            addToPostgresql(node2, """
                      create_replica_methods: [broken, clone]
                      broken: {command: %s, no_params: true}
                      clone:
                        command: %s
                        flavour: quick
                    """.formatted(broken, clone));
            node2.start();
            awaitOrFail(c, "node2 streams from " + primary.name(), () -> streaming(c, primary, "node2"));
            awaitOrFail(c, "node2 logs the method that made it", () -> logContains(node2,
                    "replica data directory made by create_replica_method clone from node1"));
            String log = Files.readString(node2.agentLog());
            assertTrue(log.contains("creating the replica by broken failed, trying the next create_replica_method"),
                    node2.lastLogLines(40));
            String given = Files.readString(args);
            assertTrue(given.startsWith("--flavour=quick --scope=" + c.options().scope() + " --role=replica --datadir="
                    + node2.dataDir()), given);
            assertTrue(given.contains("--connstring=host="), given);
            assertTrue(given.contains("PGPASSFILE=/"), given);
            assertFalse(given.contains("password="), "no password on the command line: " + given);

            Node node3 = c.addNode();
            addToPostgresql(node3, """
                      basebackup:
                        - verbose
                        - label: baton-it-label
                        - max-rate: 100M
                    """);
            node3.start();
            awaitOrFail(c, "node3 streams from " + primary.name(), () -> streaming(c, primary, "node3"));
            Path label = node3.dataDir().resolve("backup_label");
            Path old = node3.dataDir().resolve("backup_label.old");
            String labelText = Files.exists(label) ? Files.readString(label) : Files.readString(old);
            assertTrue(labelText.contains("LABEL: baton-it-label"), labelText);
        }
    }
}
