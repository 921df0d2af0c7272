package dev.baton.agent.ha;

import static dev.baton.agent.ha.LoopHarness.ME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.DynamicConfig;
import dev.baton.leader.model.ClusterView;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Cycle by cycle: garbage in each etcd key (issue 14). The leader keeps its lock, pause and
 * synchronous mode stay on, and no node acts on a value it cannot read.
 */
class HaLoopEtcdGarbageTest {

    /** This member leads a paused cluster in synchronous mode, node3 its synchronous standby. */
    static LoopHarness leadingPausedAndSynchronous() {
        LoopHarness h = HaLoopLeaderTest.leading();
        DynamicConfig d = DynamicConfig.defaults();
        h.config(new DynamicConfig(d.ttl(), d.loopWait(), d.retryTimeout(), d.maximumLagOnFailover(),
                d.primaryStartTimeout(), true, true, Map.of(), true, true));
        assertEquals("no action: I am the leader with the lock", h.cycle());
        assertSafe(h);
        h.calls();
        h.advanceSeconds(1);
        return h;
    }

    /** Still the leader, still paused and synchronous, and postgres untouched. */
    private static void assertSafe(LoopHarness h) {
        assertEquals(ME, h.leader());
        assertTrue(h.holdsLock());
        ClusterView seen = h.state().cluster();
        assertTrue(seen.dynamic().pause(), "pause stays on");
        assertTrue(seen.dynamic().synchronousMode(), "synchronous mode stays on");
        assertTrue(h.pg.takeCalls().stream().noneMatch(c -> c.startsWith("stop") || c.equals("promote")));
    }

    @Test
    void anUnparsableConfigKeyKeepsTheLastGoodConfiguration() {
        // Before issue 14: bootstrap.dcs applied, pause and synchronous mode silently off.
        LoopHarness h = leadingPausedAndSynchronous();
        h.etcd.put("config", "garbage{");
        assertEquals("no action: I am the leader with the lock", h.cycle());
        assertSafe(h);
        assertEquals(1, h.state().cluster().configProblems().size(), h.state().cluster().configProblems().toString());
    }

    @Test
    void patroni4QuorumAndInvalidValuesKeepPauseAndSynchronousModeOn() {
        LoopHarness h = leadingPausedAndSynchronous();
        h.etcd.put("config", "{\"ttl\": 10, \"loop_wait\": 1, \"retry_timeout\": 3, \"synchronous_mode\": \"quorum\","
                + " \"pause\": \"sometimes\"}");
        assertEquals("no action: I am the leader with the lock", h.cycle());
        assertSafe(h);
        List<String> problems = h.state().cluster().configProblems();
        // Quorum commit is valid (issue 18): only the pause value is a problem, and it stays on.
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("config.pause"), problems.get(0));
    }

    @Test
    void aMalformedFailoverKeyIsRemovedNotExecuted() {
        // Before issue 14 each of these made the leader hand over at once, and the key stayed.
        for (String garbage : List.of("garbage{", "{\"leader\":\"node2\",\"scheduled_at\":\"2026-12-01 12:00:00\"}",
                "{\"leader\":\"node2\",\"scheduled_at\":\"2026-12-01T12:00:00\"}", "[1]")) {
            LoopHarness h = leadingPausedAndSynchronous();
            h.etcd.put("failover", garbage);
            String sentence = h.cycle();
            assertTrue(sentence.startsWith("removing an invalid failover key: "), garbage + " -> " + sentence);
            assertTrue(h.etcd.value("failover").isEmpty(), "removed: " + garbage);
            assertSafe(h);
            assertEquals(List.of(), h.takeEvents(), garbage);
        }
    }

    @Test
    void aScheduledAtWithASpaceAndAnOffsetIsAValidScheduledSwitchover() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.etcd.put("failover", "{\"leader\":\"node2\",\"member\":\"node3\",\"scheduled_at\":\"2026-12-02 12:00:00+00:00\"}");
        assertEquals("no action: I am the leader with the lock; switchover to node3 scheduled at 2026-12-02T12:00Z",
                h.cycle());
        assertTrue(h.etcd.value("failover").isPresent());
    }

    @Test
    void patronisLegacyFailoverFormIsCarriedOut() {
        LoopHarness h = HaLoopLeaderTest.leading();
        h.etcd.put("failover", "node2:node3");
        assertEquals("switching over to node3: demoting self gracefully", h.cycle());
    }

    @Test
    void aReplicaIgnoresAnInvalidFailoverKey() {
        LoopHarness h = HaLoopFailoverTest.leaderless();
        h.etcd.put("failover", "{\"member\":\"node3\",\"scheduled_at\":\"soon\"}");
        h.others.get("node3").wal(0x2000000L);
        assertEquals(HaLoopFailoverTest.FENCING_NODE1, h.cycle(),
                "no wait for node3: the request is invalid, the race goes on as usual");
    }

    @Test
    void aGarbageSyncKeyLetsNoReplicaTakeOver() {
        LoopHarness h = HaLoopFailoverTest.leaderless();
        h.config(HaLoopFailoverTest.synchronous());
        h.etcd.put("sync", "{\"leader\": [\"node1\"], \"sync_standby\": \"node2\"}");
        assertEquals("no action: the cluster has no leader and I am not a synchronous standby "
                + "(synchronous_mode: the sync key lists no member, so no one may take over)", h.cycle());
        assertNull(h.leader());
    }

    @Test
    void theLeaderRewritesAGarbageSyncKey() {
        LoopHarness h = leadingPausedAndSynchronous();
        h.etcd.put("sync", "}{");
        assertEquals("no action: I am the leader with the lock", h.cycle());
        assertSafe(h);
        assertTrue(h.etcd.value("sync").orElseThrow().startsWith("{\"leader\":\"node2\""), h.etcd.value("sync").orElseThrow());
    }

    @Test
    void garbageMembersHistoryStatusAndInitializeChangeNothing() {
        LoopHarness h = leadingPausedAndSynchronous();
        h.etcd.put("members/evil", "{\"state\":\"running\",\"role\":\"replica\",\"xlog_location\":-1,\"timeline\":\"x\"}");
        h.etcd.put("members/junk", "not json at all");
        h.etcd.put("history", "[[1,-1,\"x\"],\"garbage\"]");
        h.etcd.put("status", "{\"optime\": \"soon\"}");
        h.etcd.put("initialize", "not-a-system-id");
        assertEquals("no action: I am the leader with the lock", h.cycle(),
                "before issue 14 the initialize key made every agent stop (\"refusing to start\")");
        assertSafe(h);
        assertEquals(List.of(), h.takeEvents());
    }

    @Test
    void aReplicaDoesNotRewindOnAGarbageHistoryLine() {
        LoopHarness h = new LoopHarness().initialized().replicaData("10.0.0.1:5432");
        h.member("node1").timeline = 2;
        h.others.get("node1").lead();
        h.etcd.put("history", "[[1,-1,\"garbage\"]]");
        assertEquals("no action: I am a secondary and I am following a leader node1", h.cycle());
        assertFalse(h.pg.takeCalls().stream().anyMatch(c -> c.startsWith("stop")), "no stop to rewind");
    }

    @Test
    void aGarbageMemberNeverWinsOrVetoesTheRace() {
        LoopHarness h = HaLoopFailoverTest.leaderless();
        h.etcd.put("members/evil", "{\"state\":\"running\",\"role\":\"replica\",\"xlog_location\":\"99999999999999999999\"}");
        h.etcd.put("members/junk", "[\"garbage\"]");
        assertEquals(HaLoopFailoverTest.FENCING_NODE1, h.cycle());
    }

    @Test
    void aReplicaDoesNotTakeAGarbageLeaderKey() {
        LoopHarness h = HaLoopFailoverTest.leaderless();
        h.etcd.put("leader", "garbage\n{");
        String sentence = h.cycle();
        assertTrue(sentence.startsWith("no action: I am a secondary"), sentence);
        assertEquals("garbage\n{", h.leader(), "the key is not taken over while it exists");
    }
}
