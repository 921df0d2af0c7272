package dev.baton.cli.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatsAndFaultTest {

    @Test
    void medianP95AndMax() {
        List<Double> v = new ArrayList<>();
        for (int i = 20; i >= 1; i--) {
            v.add((double) i);
        }
        Stats s = Stats.of(v);
        assertEquals(20, s.n());
        assertEquals(10.5, s.median());
        assertEquals(19.0, s.p95(), "nearest rank: the 19th of 20");
        assertEquals(20.0, s.max());
        assertEquals(1.0, s.min());
        assertEquals(10.5, s.mean());
    }

    @Test
    void oddCountsNullsAndNothing() {
        Stats s = Stats.of(Arrays.asList(3.0, null, 1.0, 2.0));
        assertEquals(3, s.n());
        assertEquals(2.0, s.median());
        assertEquals(3.0, s.p95());
        Stats one = Stats.of(List.of(7));
        assertEquals(7.0, one.median());
        assertEquals(7.0, one.p95());
        Stats none = Stats.of(Arrays.asList((Double) null));
        assertEquals(0, none.n());
        assertNull(none.median());
        assertNull(none.max());
    }

    @Test
    void faultsParseInOrderWithoutRepeats() {
        assertEquals(List.of(Fault.KILL_NODE, Fault.SWITCHOVER), Fault.parseList("kill-node, switchover,kill-node"));
        assertEquals(List.of(Fault.ETCD_DOWN), Fault.parseList("ETCD-DOWN"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Fault.parseList("kill-node,boom"));
        assertTrue(e.getMessage().contains("\"boom\"") && e.getMessage().contains("partition-primary"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Fault.parseList("kill-node,"));
    }

    @Test
    void whatEachFaultPromises() {
        assertTrue(Fault.SWITCHOVER.promisesNoLoss(true, false));
        assertFalse(Fault.KILL_NODE.promisesNoLoss(true, false));
        assertFalse(Fault.PARTITION_PRIMARY.promisesNoLoss(true, false));
        assertFalse(Fault.ETCD_DOWN.promisesNoLoss(true, false));
        assertTrue(Fault.ETCD_DOWN.promisesNoLoss(false, false));
        assertTrue(Fault.KILL_POSTGRES.promisesNoLoss(false, false));
        // synchronous_mode: every failover promises no loss.
        assertTrue(Fault.KILL_NODE.promisesNoLoss(true, true));
        assertTrue(Fault.STOP_AGENT.promisesNoLoss(true, true));
        assertTrue(Fault.KILL_AGENT.promisesNoLoss(true, true));
        assertFalse(Fault.SWITCHOVER.needsLocal());
        for (Fault f : Fault.values()) {
            assertEquals(f != Fault.SWITCHOVER, f.needsLocal(), f.flag());
        }
        assertEquals(30, Fault.STOP_AGENT.defaultDurationSeconds(10));
        assertEquals(5, Fault.KILL_AGENT.defaultDurationSeconds(10));
    }
}
