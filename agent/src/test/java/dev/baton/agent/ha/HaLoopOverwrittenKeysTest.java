package dev.baton.agent.ha;

import static dev.baton.agent.ha.LoopHarness.ME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.leader.model.Role;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Cycle by cycle: keys whose values someone overwrote while their leases live on. The agent
 * whose lease keeps a key writes what it means back; it never loses the lock over it.
 */
class HaLoopOverwrittenKeysTest {

    @Test
    void theLeaderRepairsItsLeaderKeyWhenTheValueWasOverwrittenOnItsLease() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.cycle();
        h.calls();
        for (String garbage : List.of("garbage{", "", "node1\u0000")) {
            h.etcd.overwrite("leader", garbage);
            assertEquals("repairing my leader key: it named \"" + HaDecider.printable(garbage)
                    + "\", but only I can hold it", h.cycle(), garbage);
            assertEquals(ME, h.leader());
            assertTrue(h.holdsLock(), "the lock is held through the repair");
            assertEquals(List.of(), h.calls(), "postgres is left alone");
            h.advanceSeconds(1);
            assertEquals("no action: I am the leader with the lock", h.cycle());
        }
    }

    @Test
    void theLeaderRepairsItsLeaderKeyWhenAnOverwriteTookTheLeaseAway() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.cycle();
        h.calls();
        h.etcd.put("leader", "garbage{");
        assertEquals(0, h.etcd.leaderLease());
        assertEquals("repairing my leader key: it named \"garbage{\", but only I can hold it", h.cycle());
        assertEquals(ME, h.leader());
        assertTrue(h.holdsLock());
        assertTrue(h.etcd.leaderLease() != 0, "bound to my lease again: it expires if I die");
        assertEquals(List.of(), h.calls(), "postgres is left alone");
    }

    @Test
    void aReplicaDoesNotRepairAKeyWithoutLease() {
        LoopHarness h = HaLoopReplicaTest.following();
        h.etcd.put("leader", "garbage{");
        String sentence = h.cycle();
        assertTrue(!sentence.startsWith("repairing") && !h.holdsLock(), sentence);
    }

    @Test
    void aReplicaDoesNotTakeAKeyThatNamesAnotherMemberOnTheLeadersLease() {
        LoopHarness h = HaLoopReplicaTest.following();
        h.etcd.overwrite("leader", ME);
        String sentence = h.cycle();
        assertTrue(!sentence.startsWith("repairing") && !h.holdsLock(), sentence);
    }

    @Test
    void aMemberKeyOverwrittenOnItsLeaseIsWrittenAgainOnTheNextCycle() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.cycle();
        String mine = h.etcd.value("members/" + ME).orElseThrow();
        h.etcd.overwrite("members/" + ME, "garbage{");
        h.cycle();
        assertEquals(mine, h.etcd.value("members/" + ME).orElseThrow());
        assertEquals(Role.PRIMARY, h.myKey().role());
    }
}
