package dev.baton.cli.drill;

import static dev.baton.cli.drill.Traces.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.agent.ha.PromotionReport;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** stop-agent-tree: the fault, and how the new primary's promotion report enters the figures, the verdict and the reports. */
class StopAgentTreeVerdictTest {
    private static final Instant WALL = Instant.parse("2026-12-04T12:00:00Z");

    private static PromotionReport report(String fence, String drain) {
        return new PromotionReport("2026-12-04T12:00:11.200Z", "node1", fence, "sql", 120, "0/3000060", drain, 30, 400);
    }

    /** node1 is stopped at 0 and takes no more writes; node2 takes writes from 11.4 s. */
    private static List<DrillAnalysis.Ack> clean() {
        return new Traces().writes("node1", -3, 0.05, 10).writes("node2", 11.4, 20, 10).acks();
    }

    /** node1's postgres goes on acknowledging writes sent to it until 14 s. */
    private static List<DrillAnalysis.Ack> split() {
        return new Traces().writes("node1", -3, 14, 10).writes("node2", 11.4, 20, 10).acks();
    }

    private static DrillAnalysis.Figures figures(List<DrillAnalysis.Ack> acks, Set<Long> lost, boolean sync,
                                                 PromotionReport p) {
        return DrillAnalysis.analyze(new DrillAnalysis.Trace(Fault.STOP_AGENT_TREE, acks, Traces.FAULT, "node1", "node2",
                at(10), at(11.2), at(30), at(33), at(34), lost, sync, p));
    }

    private static IterationResult result(int i, DrillAnalysis.Figures f, Set<Long> lost) {
        return new IterationResult(Fault.STOP_AGENT_TREE, i, 2, "SIGSTOP of node1's agent tree", "node1", "node2", WALL,
                Traces.FAULT, f, List.of(new IterationResult.Event(at(0), "fault", "stop")), at(-3), 100_000_000L,
                Map.of(), List.copyOf(lost), "history", null);
    }

    @Test
    void theFaultParsesAndLastsThreeTtls() {
        assertEquals(List.of(Fault.STOP_AGENT_TREE, Fault.STOP_AGENT), Fault.parseList("stop-agent-tree,stop-agent"));
        assertEquals(Fault.STOP_AGENT_TREE, Fault.parse(" STOP-AGENT-TREE "));
        assertEquals("stop-agent-tree", Fault.STOP_AGENT_TREE.flag());
        assertTrue(Fault.names().contains("stop-agent-tree"));
        assertTrue(Fault.STOP_AGENT_TREE.needsLocal() && Fault.STOP_AGENT_TREE.usesDuration()
                && Fault.STOP_AGENT_TREE.needsHeal());
        assertEquals(30, Fault.STOP_AGENT_TREE.defaultDurationSeconds(10));
        assertFalse(Fault.STOP_AGENT_TREE.restartsAgent() || Fault.STOP_AGENT_TREE.restartsOnceWritesFlow());
        assertTrue(Fault.STOP_AGENT_TREE.writesToEveryMember() && Fault.STOP_AGENT_TREE.trustsPromotionReport());
        for (Fault f : Fault.values()) {
            assertEquals(f == Fault.STOP_AGENT_TREE, f.writesToEveryMember(), f.flag());
        }
        // Without a promotion report it promises what any fault promises.
        assertFalse(Fault.STOP_AGENT_TREE.promisesNoLoss(true, false));
        assertTrue(Fault.STOP_AGENT_TREE.promisesNoLoss(true, true));
        assertTrue(Fault.STOP_AGENT_TREE.promisesNoLoss(false, false));
    }

    @Test
    void fencedAndDrainedPromisesNoLossEvenAsynchronously() {
        DrillAnalysis.Figures f = figures(clean(), Set.of(7L), false, report("fenced", "complete"));
        assertTrue(f.fencedAndDrained());
        assertTrue(f.noLossPromised());
        assertTrue(f.brokenPromise());
        assertEquals(120L, f.fenceMs());
        assertEquals(30L, f.drainMs());
        assertEquals(400L, f.promoteMs());
        assertEquals(0.0, f.splitBrainS());
        IterationResult r = result(1, f, Set.of(7L));
        assertTrue(r.failure().contains("node2's promotion report says node1 was fenced (fenced) and drained (complete)"),
                r.failure());
        assertTrue(r.summary().startsWith("FAILED"), r.summary());
        assertTrue(r.summary().contains("fence fenced via sql 120 ms, drain complete 30 ms, promote 400 ms"), r.summary());
    }

    @Test
    void withoutAFenceAnAsynchronousLossIsNoFailureButInSynchronousModeItIs() {
        for (PromotionReport p : new PromotionReport[] {null, report("unreachable", "not needed"),
            report("fenced", "timed out")}) {
            DrillAnalysis.Figures f = figures(clean(), Set.of(7L), false, p);
            assertFalse(f.noLossPromised(), String.valueOf(p));
            assertNull(result(1, f, Set.of(7L)).failure(), String.valueOf(p));
            DrillAnalysis.Figures sync = figures(clean(), Set.of(7L), true, p);
            assertTrue(sync.brokenPromise(), String.valueOf(p));
            assertTrue(result(1, sync, Set.of(7L)).failure().contains("in synchronous_mode promises none"),
                    result(1, sync, Set.of(7L)).failure());
        }
        DrillAnalysis.Figures none = figures(clean(), Set.of(), false, null);
        assertNull(none.fenceMs());
        assertTrue(result(1, none, Set.of()).summary().contains("no promotion report"));
        assertNull(result(1, none, Set.of()).failure());
    }

    @Test
    void twoMembersAcknowledgingAtOnceFailsWithItsSeconds() {
        DrillAnalysis.Figures f = figures(split(), Set.of(), false, report("fenced", "complete"));
        assertTrue(f.splitBrain().isPresent());
        assertEquals(2.6, f.splitBrainS(), 0.02);
        IterationResult r = result(1, f, Set.of());
        assertTrue(r.failure().startsWith("split brain: node1 acknowledged"), r.failure());
        assertTrue(r.summary().contains("split brain: YES (2.59 s)"), r.summary());
    }

    @Test
    void aReportOfAnEarlierPromotionOrAnotherOldPrimaryIsNotThisOne() {
        PromotionReport p = report("fenced", "complete");
        assertSame(p, DrillAnalysis.ofThisFailover(p, WALL, "node1"));
        assertSame(p, DrillAnalysis.ofThisFailover(p, WALL.plusMillis(11_700), "node1"), "a second of clock slack");
        assertNull(DrillAnalysis.ofThisFailover(p, WALL.plusSeconds(13), "node1"), "before the fault: an earlier one");
        assertNull(DrillAnalysis.ofThisFailover(p, WALL, "node3"));
        PromotionReport unknownOld = new PromotionReport("2026-12-04T12:00:11Z", null, "not attempted", "none", 0, null,
                "not needed", 0, 300);
        assertSame(unknownOld, DrillAnalysis.ofThisFailover(unknownOld, WALL, "node1"));
        PromotionReport garbled = new PromotionReport("yesterday", "node1", "fenced", "sql", 1, null, "complete", 1, 1);
        assertNull(DrillAnalysis.ofThisFailover(garbled, WALL, "node1"));
        assertNull(DrillAnalysis.ofThisFailover(null, WALL, "node1"));
    }

    @Test
    void aPrimaryThatStaysHasNoPromotionReport() {
        List<DrillAnalysis.Ack> stays = new Traces().writes("node1", -3, 0.05, 10).writes("node1", 31, 35, 10).acks();
        DrillAnalysis.Figures f = DrillAnalysis.analyze(new DrillAnalysis.Trace(Fault.STOP_AGENT_TREE, stays,
                Traces.FAULT, "node1", "node1", null, at(31), at(30), null, at(34), Set.of(), false,
                report("fenced", "complete")));
        assertNull(f.promotion());
        assertTrue(f.noLossPromised());
    }

    @Test
    void theReportsShowFenceDrainAndPromotePerIterationAndAsMedians() throws Exception {
        DrillAnalysis.Figures a = figures(clean(), Set.of(), false, report("fenced", "complete"));
        DrillAnalysis.Figures b = figures(split(), Set.of(9L), false,
                new PromotionReport("2026-12-04T12:00:11Z", "node1", "fenced", "rest", 300, null, "timed out", 3000, 500));
        List<IterationResult> rs = List.of(result(1, a, Set.of()), result(2, b, Set.of(9L)));
        DrillReport.Run run = new DrillReport.Run("test", List.of("drill"), "a local cluster",
                new ObjectMapper().createObjectNode().put("synchronous_mode", false), 4, 2, List.of(Fault.STOP_AGENT_TREE),
                Map.of(Fault.STOP_AGENT_TREE, 30), WALL, WALL.plusSeconds(90), 1000);

        JsonNode j = new ObjectMapper().readTree(DrillReport.json(run, rs, 1).toString());
        JsonNode first = j.path("iterations").get(0);
        assertEquals(120, first.path("fence_ms").asLong());
        assertTrue(first.path("fence_ms").isIntegralNumber());
        assertEquals(0.0, first.path("split_brain_s").asDouble());
        assertEquals("fenced", first.path("promotion").path("fence").asText());
        assertEquals("sql", first.path("promotion").path("channel").asText());
        assertEquals("complete", first.path("promotion").path("drain").asText());
        assertEquals(30, first.path("promotion").path("drain_ms").asLong());
        assertEquals(400, first.path("promotion").path("promote_ms").asLong());
        assertTrue(first.path("promotion").path("fenced_and_drained").asBoolean());
        assertTrue(first.path("no_loss_promised").asBoolean());
        JsonNode second = j.path("iterations").get(1);
        assertFalse(second.path("promotion").path("fenced_and_drained").asBoolean());
        assertEquals(2.6, second.path("split_brain_s").asDouble(), 0.02);
        JsonNode s = j.path("summary").path("stop-agent-tree");
        assertEquals(210.0, s.path("fence_ms").path("median").asDouble(), 1e-9);
        assertEquals(1515.0, s.path("drain_ms").path("median").asDouble(), 1e-9);
        assertEquals(450.0, s.path("promote_ms").path("median").asDouble(), 1e-9);
        assertEquals(2, s.path("promotion_reports").asInt());
        assertEquals(1, s.path("fenced_and_drained").asInt());
        assertEquals(1, s.path("split_brain").asInt());

        String t = DrillReport.table(run, rs);
        assertTrue(t.contains("fence the old primary (ms)"), t);
        assertTrue(t.contains("drain its WAL (ms)") && t.contains("promote (ms)"), t);
        assertTrue(t.contains("two members acknowledging (s)"), t);
        assertTrue(t.contains("|    210 |"), "milliseconds as whole numbers: " + t);
        assertTrue(t.contains("stop-agent-tree 1/2: node1 -> node2, fence fenced via sql 120 ms, drain complete 30 ms, "
                + "promote 400 ms; lost 0; split brain 0.00 s"), t);
        assertTrue(t.contains("stop-agent-tree 2/2: node1 -> node2, fence fenced via rest 300 ms, drain timed out 3000 ms"),
                t);
        assertTrue(t.contains("or when the new primary reports the old one fenced and drained"), t);
        assertTrue(t.contains("FAILED stop-agent-tree 2/2: split brain"), t);
    }

    @Test
    void otherFaultsTablesKeepTheirRowsWithoutAReport() {
        DrillAnalysis.Figures f = DrillAnalysis.analyze(new DrillAnalysis.Trace(Fault.KILL_NODE, clean(), Traces.FAULT,
                "node1", "node2", at(10), at(11.2), at(11.5), at(18), at(19), Set.of()));
        IterationResult r = new IterationResult(Fault.KILL_NODE, 1, 1, "m", "node1", "node2", WALL, Traces.FAULT, f,
                List.of(), at(-3), 100_000_000L, Map.of(), List.of(), "history", null);
        DrillReport.Run run = new DrillReport.Run("test", List.of("drill"), "a local cluster",
                new ObjectMapper().createObjectNode(), 4, 1, List.of(Fault.KILL_NODE), Map.of(), WALL, WALL.plusSeconds(9), 10);
        String t = DrillReport.table(run, List.of(r));
        assertFalse(t.contains("fence the old primary") || t.contains("two members acknowledging"), t);
        assertFalse(r.summary().contains("promotion report"), r.summary());
    }
}
