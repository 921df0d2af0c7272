package dev.baton.cli.drill;

import static dev.baton.cli.drill.Traces.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DrillAnalysisTest {

    private static DrillAnalysis.Trace trace(Fault fault, List<DrillAnalysis.Ack> acks, String old, String next,
                                             Double leaderGone, Double promoted, Double heal, Double rejoined,
                                             Double whole, Set<Long> lost) {
        return new DrillAnalysis.Trace(fault, acks, Traces.FAULT, old, next, t(leaderGone), t(promoted), t(heal),
                t(rejoined), t(whole), lost);
    }

    private static Long t(Double seconds) {
        return seconds == null ? null : at(seconds);
    }

    /** A clean kill-node failover: node1 stops at the fault, node2 takes writes from 11.4 s. */
    private static List<DrillAnalysis.Ack> cleanFailover() {
        return new Traces().writes("node1", -3, 0.05, 10).writes("node2", 11.4, 20, 10).acks();
    }

    @Test
    void aCleanFailoverHasItsFiguresAndNoSplitBrain() {
        DrillAnalysis.Figures f = DrillAnalysis.analyze(trace(Fault.KILL_NODE, cleanFailover(), "node1", "node2",
                10.0, 11.2, 11.5, 18.0, 19.0, Set.of()));
        assertEquals(11.4, f.unavailableS(), 1e-6);
        assertEquals(10.0, f.detectionS(), 1e-6);
        assertEquals(11.2, f.promotionS(), 1e-6);
        assertEquals(0.2, f.lbS(), 1e-6);
        assertEquals(0.04, f.oldLastWriteS(), 1e-6);
        assertEquals(11.36, f.writeGapS(), 1e-6);
        assertEquals(6.5, f.rejoinS(), 1e-6);
        assertEquals(19.0, f.wholeS(), 1e-6);
        assertEquals(0, f.lostWrites());
        assertTrue(f.primaryChanged());
        assertFalse(f.noLossPromised(), "an asynchronous failover promises nothing");
        assertTrue(f.splitBrain().isEmpty());
        assertEquals(Traces.FAULT + 11_400_000_000L, f.restoredAt());
    }

    @Test
    void theOrderOfTheAcksInTheTraceDoesNotMatter() {
        List<DrillAnalysis.Ack> shuffled = new java.util.ArrayList<>(cleanFailover());
        Collections.shuffle(shuffled, new java.util.Random(7));
        DrillAnalysis.Figures f = DrillAnalysis.analyze(trace(Fault.KILL_NODE, shuffled, "node1", "node2",
                10.0, 11.2, 11.5, 18.0, 19.0, Set.of()));
        assertEquals(11.4, f.unavailableS(), 1e-6);
        assertTrue(f.splitBrain().isEmpty());
    }

    @Test
    void theOldPrimaryWritingOnAfterTheNewOneStartedIsSplitBrain() {
        // node1 keeps accepting writes until 13 s although node2 acknowledged its first at 11.4 s.
        List<DrillAnalysis.Ack> acks = new Traces().writes("node1", -3, 13, 10).writes("node2", 11.4, 20, 10).acks();
        DrillAnalysis.Figures f = DrillAnalysis.analyze(trace(Fault.PARTITION_PRIMARY, acks, "node1", "node2",
                10.0, 11.2, 30.0, 35.0, 36.0, Set.of()));
        assertTrue(f.splitBrain().isPresent(), "must flag the overlap");
        DrillAnalysis.SplitBrain b = f.splitBrain().get();
        assertEquals("node1", b.earlier());
        assertEquals("node2", b.later());
        assertEquals(at(11.4), b.laterFirstAck());
        assertEquals(12.99, (b.lastOverlapAck() - Traces.FAULT) / 1e9, 1e-6);
        assertEquals(1.59, b.overlapSeconds(), 1e-6);
        assertTrue(b.overlappingAcks() >= 158 && b.overlappingAcks() <= 160, "got " + b.overlappingAcks());
        assertTrue(b.firstOverlapSent() - at(11.4) > 0);
    }

    @Test
    void oneStrayWriteSentAfterTheNewPrimarysFirstAckIsSplitBrain() {
        List<DrillAnalysis.Ack> acks = new Traces().writes("node1", -3, 0, 10).writes("node2", 11.4, 20, 10)
                .ack("node1", 11.401, 11.404).acks();
        DrillAnalysis.SplitBrain b = DrillAnalysis.splitBrain(acks).orElseThrow();
        assertEquals(1, b.overlappingAcks());
        assertEquals("node1", b.earlier());
    }

    @Test
    void aWriteInFlightAcrossTheHandoverIsNotSplitBrain() {
        // Sent to node1 before node2's first acknowledgement, acknowledged after it: the commit may
        // well have happened before, so the order is unknown and it does not count.
        List<DrillAnalysis.Ack> acks = new Traces().writes("node1", -3, 0, 10).writes("node2", 11.4, 20, 10)
                .ack("node1", 11.39, 11.45).acks();
        assertTrue(DrillAnalysis.splitBrain(acks).isEmpty());
    }

    @Test
    void aSingleServerIsNeverSplitBrain() {
        assertTrue(DrillAnalysis.splitBrain(new Traces().writes("node1", -3, 20, 10).acks()).isEmpty());
        assertTrue(DrillAnalysis.splitBrain(List.of()).isEmpty());
    }

    @Test
    void whenThePrimaryStaysUnavailabilityEndsWithTheFirstWriteAfterTheGap() {
        // kill-postgres: postgres restarted in place; no writes from 0.02 s to 3.2 s.
        List<DrillAnalysis.Ack> acks = new Traces().writes("node1", -3, 0.03, 10).writes("node1", 3.2, 8, 10).acks();
        DrillAnalysis.Figures f = DrillAnalysis.analyze(trace(Fault.KILL_POSTGRES, acks, "node1", "node1",
                null, 3.1, null, null, 7.0, Set.of()));
        assertFalse(f.primaryChanged());
        assertEquals(3.2, f.unavailableS(), 1e-6);
        assertEquals(3.18, f.writeGapS(), 1e-6);
        assertNull(f.oldLastWriteS());
        assertNull(f.detectionS());
        assertEquals(3.1, f.promotionS(), 1e-6);
        assertEquals(0.1, f.lbS(), 1e-6);
        assertNull(f.rejoinS());
        assertTrue(f.noLossPromised(), "the primary stayed: nothing may be lost");
        assertTrue(f.splitBrain().isEmpty());
    }

    @Test
    void theFirstWriteMayComeAfterTheClusterLookedWhole() {
        // /primary answered 200 again at 2.60 s and the cluster looked whole from then on; the
        // load balancer routed the first write at 2.65 s.
        List<DrillAnalysis.Ack> acks = new Traces().writes("node2", -3, 0.01, 10).writes("node2", 2.65, 5, 10).acks();
        DrillAnalysis.Figures f = DrillAnalysis.analyze(trace(Fault.KILL_POSTGRES, acks, "node2", "node2",
                null, 2.60, null, null, 2.60, Set.of()));
        assertEquals(2.65, f.unavailableS(), 1e-6);
        assertEquals(0.05, f.lbS(), 1e-6);
        assertEquals(2.6, f.wholeS(), 1e-6);
    }

    @Test
    void whenWritesNeverStopUnavailabilityIsZero() {
        List<DrillAnalysis.Ack> acks = new Traces().writes("node1", -3, 2, 10).writes("node1", 2.3, 8, 10).acks();
        DrillAnalysis.Figures f = DrillAnalysis.analyze(trace(Fault.ETCD_DOWN, acks, "node1", "node1",
                null, null, 1.0, null, 7.0, Set.of()));
        assertEquals(0.0, f.unavailableS(), 1e-9, "a 0.3 s hiccup is below the threshold");
        assertEquals(0.0, f.writeGapS(), 1e-9);
        assertNull(f.promotionS());
        assertNull(f.lbS());
    }

    @Test
    void lostWritesBreakThePromiseOfASwitchoverButNotOfAFailover() {
        List<DrillAnalysis.Ack> acks = cleanFailover();
        DrillAnalysis.Figures sw = DrillAnalysis.analyze(trace(Fault.SWITCHOVER, acks, "node1", "node2",
                0.5, 1.0, null, 5.0, 6.0, Set.of(3L)));
        assertEquals(1, sw.lostWrites());
        assertTrue(sw.noLossPromised());
        assertTrue(sw.brokenPromise());
        DrillAnalysis.Figures kill = DrillAnalysis.analyze(trace(Fault.KILL_NODE, acks, "node1", "node2",
                10.0, 11.2, 11.5, 18.0, 19.0, Set.of(3L, 4L)));
        assertEquals(2, kill.lostWrites());
        assertFalse(kill.brokenPromise());
        DrillAnalysis.Figures stayed = DrillAnalysis.analyze(trace(Fault.KILL_NODE,
                new Traces().writes("node1", -3, 0, 10).writes("node1", 5, 9, 10).acks(), "node1", "node1",
                null, 4.9, 1.0, null, 8.0, Set.of(3L)));
        assertTrue(stayed.brokenPromise(), "the primary stayed, so its own WAL had every committed write");
    }

    @Test
    void aFirstWriteBeforeTheReportedPromotionMovesThePromotion() {
        // The poll saw /primary 200 only at 11.6 s, but node2 acknowledged a write at 11.4 s.
        DrillAnalysis.Figures f = DrillAnalysis.analyze(trace(Fault.KILL_NODE, cleanFailover(), "node1", "node2",
                10.0, 11.6, 11.5, 18.0, 19.0, Set.of()));
        assertEquals(11.4, f.promotionS(), 1e-6);
        assertEquals(0.0, f.lbS(), 1e-9);
        // Without any reported promotion, the first write stands for it.
        DrillAnalysis.Figures g = DrillAnalysis.analyze(trace(Fault.KILL_NODE, cleanFailover(), "node1", "node2",
                10.0, null, 11.5, 18.0, 19.0, Set.of()));
        assertEquals(11.4, g.promotionS(), 1e-6);
    }

    @Test
    void aClusterThatNeverHealedHasNoUnavailabilityAndPromisesNothing() {
        List<DrillAnalysis.Ack> acks = new Traces().writes("node1", -3, 0, 10).acks();
        DrillAnalysis.Figures f = DrillAnalysis.analyze(trace(Fault.KILL_POSTGRES, acks, "node1", null,
                null, null, null, null, null, Set.of()));
        assertNull(f.unavailableS());
        assertNull(f.wholeS());
        assertFalse(f.noLossPromised());
    }

    @Test
    void writesAreCountedPerBucketAndServer() {
        List<DrillAnalysis.Ack> acks = new Traces().writes("node1", -1, 0, 10).writes("node2", 0.5, 1, 50).acks();
        Map<String, int[]> b = DrillAnalysis.perBucket(acks, at(-1), at(1), 100_000_000L);
        assertEquals(20, b.get("node1").length);
        assertEquals(10, b.get("node1")[0]);
        assertEquals(0, b.get("node1")[15]);
        assertEquals(2, b.get("node2")[15]);
        int total = 0;
        for (int[] c : b.values()) {
            for (int x : c) {
                total += x;
            }
        }
        assertEquals(110, total);
    }
}
