package dev.baton.cli.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The lose-cluster figures in the drill's reports: restore time, lost writes, the RPO reached. */
class LoseClusterReportTest {
    private static final Instant T = Instant.parse("2026-12-04T10:00:00Z");

    private static DrillReport.Run run() {
        return new DrillReport.Run("test", List.of("--fault", "lose-cluster"), "a local cluster (3 members)",
                new ObjectMapper().createObjectNode().put("mode", "local"), 4, 2, List.of(Fault.LOSE_CLUSTER),
                Map.of(Fault.LOSE_CLUSTER, 30), T, T.plusSeconds(200), 3000);
    }

    private static final List<LoseCluster.Result> RESULTS = List.of(
            new LoseCluster.Result(1, 2, "demo", "demo-r1", "20261204-100000F", 4.2, T.plusSeconds(40), 21.5, 1500, 0,
                    List.of(), 0.0, null),
            new LoseCluster.Result(2, 2, "demo-r1", "demo-r2", "20261204-100200F", 3.9, T.plusSeconds(140), 25.5, 1500, 12,
                    List.of(1490L, 1491L), 3.25, null));

    @Test
    void theJsonHasTheFiguresPerIterationAndTheirSummary() {
        JsonNode j = DrillReport.loseClusterJson(run(), RESULTS, 0);
        assertEquals("lose-cluster", j.path("faults").get(0).asText());
        JsonNode s = j.path("summary").path("lose-cluster");
        assertEquals(23.5, s.path("restore_s").path("median").asDouble());
        assertEquals(12, s.path("lost_writes_total").asLong());
        assertEquals(1, s.path("iterations_with_loss").asInt());
        JsonNode second = j.path("iterations").get(1);
        assertEquals("demo-r2", second.path("restored_scope").asText());
        assertEquals(25.5, second.path("restore_s").asDouble());
        assertEquals(12, second.path("lost_writes").asInt());
        assertEquals(3.25, second.path("rpo_s").asDouble());
        assertEquals(2, second.path("lost_ids").size());
        assertEquals(0, j.path("failures").size());
    }

    @Test
    void theTableHasARowPerIterationAndAFailedOneSaysWhy() {
        String t = DrillReport.loseClusterTable(run(), RESULTS);
        assertTrue(t.contains("| lose-cluster 2/2 | 20261204-100200F |     3.90 |     25.50 |         1500 |   12 |  3.25 |"), t);
        assertTrue(t.contains("lost writes: 12 of 3000 acknowledged in 1 iteration(s)"), t);
        LoseCluster.Result bad = new LoseCluster.Result(1, 1, "demo", "demo-r1", null, null, null, null, 0, 0, List.of(),
                null, "the backup failed: no backup repository");
        assertEquals(List.of("lose-cluster 1/1: the backup failed: no backup repository"),
                DrillReport.loseClusterFailures(List.of(bad)));
        assertTrue(DrillReport.loseClusterTable(run(), List.of(bad)).contains("FAILED lose-cluster 1/1: the backup failed"));
        assertTrue(bad.summary().startsWith("FAILED: backup n/a in n/a, restore n/a"), bad.summary());
    }

    @Test
    void restoredScopesAreNamedAfterTheFirst() {
        assertEquals("demo", LoseCluster.baseScope("demo-r3"));
        assertEquals("demo", LoseCluster.baseScope("demo"));
    }
}
