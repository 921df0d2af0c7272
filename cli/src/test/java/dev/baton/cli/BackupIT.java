package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static dev.baton.cli.ClusterSupport.exec;
import static dev.baton.cli.ClusterSupport.primaryOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 15's "Done when", with real etcd, agents, PostgreSQL and pgBackRest (a posix repository):
 * on a 3-node cluster a full backup, writes (batch A), a time T, writes (B), a failover, more
 * writes on the new leader (C); {@code baton backup list} shows the backup; a new cluster restored
 * to T holds exactly A; one restored to latest holds A, B and C (both timelines); a replica added
 * with {@code create_replica_methods: [backup, basebackup]} is made from the backup and streams.
 */
class BackupIT {
    private static final int ARCHIVE_TIMEOUT = 5;
    private static final Duration LONG = Duration.ofSeconds(180);

    record Run(int code, String out, String err) {
    }

    static Run baton(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Baton.commandLine(new PrintWriter(o, true), new PrintWriter(e, true)).execute(args);
        return new Run(code, o.toString(), e.toString());
    }

    private static List<Long> ids(LocalCluster c, Node n) {
        List<Long> out = new ArrayList<>();
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT id FROM batches ORDER BY id")) {
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
            return out;
        } catch (SQLException e) {
            return null;
        }
    }

    private static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(i);
        }
        return out;
    }

    private static void insert(LocalCluster c, Node n, String batch, long from, long to) throws SQLException {
        exec(c, n, "INSERT INTO batches SELECT i, '" + batch + "' FROM generate_series(" + from + ", " + to + ") i");
    }

    static String query(LocalCluster c, Node n, String sql) {
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            return null;
        }
    }

    /** Switches WAL on {@code n} and waits until that segment is archived (so every row committed before is archived). */
    private static void archiveEverything(LocalCluster c, Node n) throws Exception {
        String segment = query(c, n, "SELECT pg_walfile_name(pg_switch_wal())");
        assertTrue(segment != null, "pg_switch_wal on " + n.name());
        awaitOrFail(c, "segment " + segment + " is archived by " + n.name(), () -> {
            String last = query(c, n, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
            return last != null && last.length() == 24 && last.compareTo(segment) >= 0;
        });
    }

    private static boolean writablePrimary(LocalCluster c) {
        return c.primary().map(p -> "false".equals(query(c, p, "SELECT pg_is_in_recovery()::text"))).orElse(false);
    }

    /** A one-node cluster of scope {@code scope} restored from {@code src}'s repository. */
    private static LocalCluster restored(LocalCluster src, String scope, LocalCluster.Restore restore) throws Exception {
        LocalCluster.Options o = LocalCluster.Options.defaults().withNodes(1).withHaproxy(false).withScope(scope)
                .withBackup(src.repository(), ARCHIVE_TIMEOUT).withRestore(restore);
        LocalCluster c = LocalCluster.startRestored(Files.createTempDirectory("baton-it-restore-"), o, src);
        try {
            if (!LocalCluster.await(LONG, () -> writablePrimary(c))) {
                c.keepFiles();
                throw new AssertionError("the cluster restored to " + restore + " has no writable primary; files kept in "
                        + c.dir() + "\n" + c.nodes().get(0).lastLogLines(60));
            }
            return c;
        } catch (AssertionError | Exception e) {
            c.close();
            throw e;
        }
    }

    @Test
    void backupFailoverPointInTimeRecoveryAndAReplicaFromTheBackup() throws Exception {
        LocalCluster.Options options = LocalCluster.Options.defaults().withHaproxy(false).withScope("source")
                .withBackup(null, ARCHIVE_TIMEOUT).withCreateReplicaMethods("backup", "basebackup");
        try (LocalCluster c = ClusterSupport.startCluster("baton-it-backup-", options, 2)) {
            Node first = primaryOf(c);
            exec(c, first, "CREATE TABLE batches (id bigint PRIMARY KEY, batch text NOT NULL)");
            archiveEverything(c, first);

            Run created = baton("backup", "create", "-c", first.config().toString(), "--type", "full");
            assertEquals(0, created.code(), () -> created.err() + "\n" + first.lastLogLines(60));
            String label = created.out().strip();
            assertTrue(label.matches("\\d{8}-\\d{6}F"), "a full backup's label: " + label);

            insert(c, first, "A", 1, 100);
            Thread.sleep(1500);
            Instant t = Instant.now();
            Thread.sleep(1500);
            insert(c, first, "B", 101, 200);
            for (Node n : c.nodes()) {
                if (n != first) {
                    awaitOrFail(c, n.name() + " has batches A and B", () -> range(1, 200).equals(ids(c, n)));
                }
            }

            first.kill();
            awaitOrFail(c, "another node is primary", () -> c.primary().map(n -> n != first).orElse(false));
            Node second = c.primary().orElseThrow();
            awaitOrFail(c, second.name() + " accepts writes", () -> writablePrimary(c));
            insert(c, second, "C", 201, 300);
            archiveEverything(c, second);

            Run list = baton("backup", "list", "-c", second.config().toString(), "--format", "json");
            assertEquals(0, list.code(), list::err);
            JsonNode backups = Formats.JSON.readTree(list.out());
            boolean found = false;
            for (JsonNode b : backups) {
                if (label.equals(b.path("label").asText())) {
                    found = true;
                    assertEquals("full", b.path("type").asText());
                    assertTrue(b.hasNonNull("start") && b.hasNonNull("stop") && b.hasNonNull("wal_start")
                            && b.hasNonNull("wal_stop") && b.path("size_bytes").asLong() > 0, b::toString);
                    assertTrue(Instant.parse(b.path("stop").asText()).isBefore(t), b::toString);
                }
            }
            assertTrue(found, "baton backup list shows " + label + ": " + list.out());
            Run table = baton("backup", "list", "-c", second.config().toString());
            assertEquals(0, table.code(), table::err);
            assertTrue(table.out().contains(label), table::out);

            try (LocalCluster pitr = restored(c, "pitr", LocalCluster.Restore.toTime("source", t))) {
                Node p = pitr.nodes().get(0);
                assertEquals(range(1, 100), ids(pitr, p), "restored to " + t + ": exactly batch A");
                assertEquals("false", query(pitr, p, "SELECT pg_is_in_recovery()::text"));
            }
            try (LocalCluster latest = restored(c, "latest", LocalCluster.Restore.latest("source"))) {
                Node p = latest.nodes().get(0);
                assertEquals(range(1, 300), ids(latest, p), "restored to latest: A, B and C (timelines 1 and 2)");
            }

            Node added = c.addNode();
            added.start();
            awaitOrFail(c, added.name() + " streams from " + second.name(), () -> "1".equals(query(c, second,
                    "SELECT count(*) FROM pg_stat_replication WHERE application_name = '" + added.name()
                            + "' AND state = 'streaming'")));
            awaitOrFail(c, added.name() + " has every batch", () -> range(1, 300).equals(ids(c, added)));
            assertTrue(madeFromBackup(added), added.name() + "'s log says it was made from the backup:\n"
                    + added.lastLogLines(80));
        }
    }

    /**
     * The agent's log tells the replica was restored from the repository ("restored the latest
     * backup from the backup repository"), never cloned with pg_basebackup ("pg_basebackup from").
     */
    private static boolean madeFromBackup(Node n) throws IOException {
        boolean backup = false;
        for (String line : Files.readAllLines(n.agentLog())) {
            if (line.contains("pg_basebackup from")) {
                return false;
            }
            backup |= line.contains("restored the latest backup from the backup repository");
        }
        return backup;
    }
}
