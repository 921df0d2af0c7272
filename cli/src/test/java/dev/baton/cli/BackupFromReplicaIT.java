package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static dev.baton.cli.ClusterSupport.primaryOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.cli.BackupIT.Run;
import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;

/**
 * Backups from a replica on a 2-node cluster with real etcd, agents, PostgreSQL and pgBackRest:
 * every agent runs pgBackRest's TLS server ({@code backup.server}); with the leader's
 * {@code backup.from_replica} the scheduled full backup is claimed and taken by the replica, and
 * {@code baton backup create --from-replica} takes one there too; the leader takes none.
 */
class BackupFromReplicaIT {

    @Test
    void theReplicaTakesTheScheduledBackupAndOneOnRequest() throws Exception {
        // A point far enough ahead for the cluster to be up with a streaming replica first.
        ZonedDateTime point = ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(90).truncatedTo(ChronoUnit.MINUTES)
                .plusMinutes(1);
        String cron = point.getMinute() + " " + point.getHour() + " * * *";
        LocalCluster.Options options = LocalCluster.Options.defaults().withNodes(2).withHaproxy(false).withScope("fromreplica")
                .withBackup(null, 5).withBackupsFromReplica(cron);
        try (LocalCluster c = ClusterSupport.startCluster("baton-it-from-replica-", options, 1)) {
            Node leader = primaryOf(c);
            Node replica = c.nodes().stream().filter(n -> n != leader).findFirst().orElseThrow();
            awaitOrFail(c, replica.name() + " streams", () -> "1".equals(BackupIT.query(c, leader,
                    "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")));
            String leaderKey = ClusterSupport.snapshot(c).members().get(leader.name()).json();
            assertTrue(leaderKey.contains("\"pgbackrest\":{\"host\":\"localhost\"")
                    && leaderKey.contains("\"from_replica\":true"), leaderKey);
            assertTrue(Instant.now().isBefore(point.toInstant()), "the cluster came up after the scheduled point "
                    + point + ": the leader may have taken it");

            // The point is up to 150 s ahead: wait for it, so that the deadline counts from it.
            Thread.sleep(Math.max(0, java.time.Duration.between(Instant.now(), point.toInstant()).toMillis()));
            awaitOrFail(c, "the scheduled backup of " + point + " succeeded on " + replica.name(),
                    () -> "succeeded".equals(backupState(c, replica)));
            assertEquals("none", backupState(c, leader), "the leader took no backup");
            assertTrue(replica.lastLogLines(400).contains("from this replica"), replica.lastLogLines(80));

            Run created = BackupIT.baton("backup", "create", "-c", leader.config().toString(), "--from-replica",
                    "--type", "incr", "--format", "json");
            assertEquals(0, created.code(), () -> created.err() + "\n" + replica.lastLogLines(60));
            JsonNode status = Formats.JSON.readTree(created.out());
            assertEquals(replica.name(), status.path("member").asText(), created.out());
            assertEquals("succeeded", status.path("state").asText(), created.out());
            assertEquals("none", backupState(c, leader), "still none on the leader");

            Run list = BackupIT.baton("backup", "list", "-c", leader.config().toString(), "--format", "json");
            assertEquals(0, list.code(), list::err);
            JsonNode backups = Formats.JSON.readTree(list.out());
            assertEquals(2, backups.size(), list.out());
            assertEquals("full", backups.get(0).path("type").asText());
            assertEquals("incr", backups.get(1).path("type").asText());
        }
    }

    private static String backupState(LocalCluster c, Node n) {
        return c.get(n, "/backup").map(r -> r.body() == null ? "unreadable" : r.body().path("state").asText())
                .orElse("no answer");
    }
}
