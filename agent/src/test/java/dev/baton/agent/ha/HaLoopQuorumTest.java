package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.PgStatus;
import dev.baton.config.DynamicConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cycle by cycle: quorum commit (synchronous_mode: quorum) on the leader and in the leader race. */
class HaLoopQuorumTest {

    static DynamicConfig quorum() {
        return HaLoopFailoverTest.synchronous().withQuorum(true);
    }

    static PgStatus.Replica row(String name, long flush) {
        return new PgStatus.Replica(name, "10.0.0.1", "streaming", "quorum", flush, flush, flush, 0.0);
    }

    @Test
    void theLeaderNamesAnyOneOfItsStandbysThenPublishesTheVotersOnceConfirmed() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.config(quorum());
        h.pg.replication.add(row("node1", 0));
        h.pg.replication.add(row("node3", 0));
        h.cycle();
        assertEquals("{\"leader\":\"node2\",\"sync_standby\":null,\"quorum\":0}", h.etcd.value("sync").orElseThrow(),
                "first the key with no voter: the names in effect are not known");
        h.calls();
        h.cycle();
        assertTrue(h.calls().contains("synchronous_standby_names 'ANY 1 (\"node1\",\"node3\")'"));
        h.cycle();
        assertEquals("{\"leader\":\"node2\",\"sync_standby\":null,\"quorum\":0}", h.etcd.value("sync").orElseThrow(),
                "no standby has reached the position taken after the change");
        h.pg.replication.set(0, row("node1", h.pg.wal));
        h.cycle();
        assertEquals("{\"leader\":\"node2\",\"sync_standby\":\"node1,node3\",\"quorum\":1}",
                h.etcd.value("sync").orElseThrow(), "one standby of ANY 1 confirmed: both vote, a candidate needs one other");
        // node3 stops streaming: synchronous_standby_names first, then the key once node1 confirms it.
        h.pg.replication.remove(1);
        h.cycle();
        assertTrue(h.calls().contains("synchronous_standby_names 'ANY 1 (\"node1\")'"));
        assertEquals("{\"leader\":\"node2\",\"sync_standby\":\"node1,node3\",\"quorum\":1}",
                h.etcd.value("sync").orElseThrow());
        h.pg.wal += 100;
        h.cycle();
        h.pg.replication.set(0, row("node1", h.pg.wal));
        h.cycle();
        assertEquals("{\"leader\":\"node2\",\"sync_standby\":\"node1\",\"quorum\":0}", h.etcd.value("sync").orElseThrow());
    }

    @Test
    void leavingQuorumCommitEmptiesTheKeyThenListsAStandbyOnlyOnceItHoldsEverything() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.config(quorum());
        h.pg.replication.add(row("node1", h.pg.wal));
        for (int i = 0; i < 4; i++) {
            h.cycle();
        }
        assertEquals("{\"leader\":\"node2\",\"sync_standby\":\"node1\",\"quorum\":0}", h.etcd.value("sync").orElseThrow());
        h.calls();
        h.config(HaLoopFailoverTest.synchronous());
        h.cycle();
        assertEquals("{\"leader\":\"node2\",\"sync_standby\":null}", h.etcd.value("sync").orElseThrow());
        h.cycle();
        assertEquals(List.of("synchronous_standby_names 'FIRST 1 (\"node1\")'"), h.calls());
        h.cycle();
        assertEquals("{\"leader\":\"node2\",\"sync_standby\":null}", h.etcd.value("sync").orElseThrow(),
                "postgres still shows node1 as a quorum standby: ANY 1 may still be in effect");
        h.pg.wal += 100;
        h.pg.replication.set(0, new PgStatus.Replica("node1", "10.0.0.1", "streaming", "sync", 0, h.pg.wal - 100,
                h.pg.wal - 100, 0.0));
        h.cycle();
        h.cycle();
        assertEquals("{\"leader\":\"node2\",\"sync_standby\":null}", h.etcd.value("sync").orElseThrow(),
                "node1 is synchronous but has not reached the position taken when FIRST took effect");
        h.pg.replication.set(0, new PgStatus.Replica("node1", "10.0.0.1", "streaming", "sync", 0, h.pg.wal, h.pg.wal, 0.0));
        h.cycle();
        assertEquals("{\"leader\":\"node2\",\"sync_standby\":\"node1\"}", h.etcd.value("sync").orElseThrow());
        assertEquals(List.of(), h.calls(), "synchronous_standby_names was never emptied on the way");
    }

    @Test
    void aVoterThatSeesTheQuorumTakesOver() {
        LoopHarness h = HaLoopFailoverTest.leaderless();
        h.config(quorum());
        h.etcd.put("sync", "{\"leader\":\"node1\",\"sync_standby\":\"node2,node3\",\"quorum\":1}");
        assertEquals(HaLoopFailoverTest.FENCING_NODE1, h.cycle(), "node3 is reachable and not ahead");
        h.runActions();
        assertEquals(List.of("synchronous_standby_names ''", "promote", "create slot node3"), h.calls());
    }

    @Test
    void aVoterThatCannotSeeTheQuorumWaits() {
        LoopHarness h = HaLoopFailoverTest.leaderless();
        h.config(quorum());
        h.etcd.put("sync", "{\"leader\":\"node1\",\"sync_standby\":\"node2,node3\",\"quorum\":1}");
        h.others.get("node3").reachable = false;
        assertEquals("not taking over: quorum commit: I see 0 of the 1 other voters I need to prove I hold every "
                + "acknowledged commit", h.cycle());
        assertNull(h.leader());
    }

    @Test
    void aMemberOutsideTheVotersWaits() {
        LoopHarness h = HaLoopFailoverTest.leaderless();
        h.config(quorum());
        h.etcd.put("sync", "{\"leader\":\"node1\",\"sync_standby\":\"node3\",\"quorum\":0}");
        assertEquals("no action: the cluster has no leader and I am not a synchronous standby "
                + "(synchronous_mode: only node1, node3 may take over)", h.cycle());
        assertNull(h.leader());
    }
}
