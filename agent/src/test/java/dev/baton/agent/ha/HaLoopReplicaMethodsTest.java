package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.baton.config.PostgresConfig.ReplicaMethod;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Cycle by cycle: replicas made by custom create_replica_methods, in order, falling through, and without a leader. */
class HaLoopReplicaMethodsTest {
    private static final String SNAP = "create_replica_methods: [snap, basebackup], snap: {command: /bin/snap}";
    private static final String RESTORE = "create_replica_methods: [restore, basebackup], "
            + "restore: {command: /bin/restore, no_leader: true}";

    private static LoopHarness withLeader(String settings) {
        LoopHarness h = new LoopHarness("", settings).initialized();
        h.member("node1").lead();
        return h;
    }

    @Test
    void theFirstMethodThatSucceedsMakesTheReplica() {
        LoopHarness h = withLeader(SNAP);
        assertEquals("cloning a replica from leader node1 (create_replica_methods: snap, basebackup)", h.cycle());
        h.runActions();
        assertEquals(List.of("replica method snap 10.0.0.1:5432", "configure replica of 10.0.0.1:5432", "start"),
                h.calls());
        assertEquals(List.of("started replica"), h.takeEvents());
    }

    @Test
    void aFailingMethodFallsThroughToTheNext() {
        LoopHarness h = withLeader(SNAP);
        h.pg.failOn("replica method snap");
        h.cycle();
        h.runActions();
        assertEquals(List.of("replica method snap 10.0.0.1:5432", "basebackup 10.0.0.1:5432",
                "configure replica of 10.0.0.1:5432", "start"), h.calls());
    }

    @Test
    void whenEveryMethodFailsTheCloneIsTriedAgain() {
        LoopHarness h = withLeader(SNAP);
        h.pg.failOn("replica method snap").failOn("basebackup");
        h.cycle();
        h.runActions();
        assertEquals(List.of("replica method snap 10.0.0.1:5432", "basebackup 10.0.0.1:5432"), h.calls());
        assertEquals(List.of(), h.takeEvents());
        h.advanceSeconds(1);
        assertEquals("cloning a replica from leader node1 (create_replica_methods: snap, basebackup)", h.cycle());
    }

    @Test
    void withoutALeaderOnlyANoLeaderMethodRuns() {
        LoopHarness h = new LoopHarness("", RESTORE).initialized();
        assertEquals("cloning a replica without a leader (create_replica_method restore works without one) "
                + "(create_replica_methods: restore, basebackup)", h.cycle());
        h.runActions();
        assertEquals(List.of("replica method restore without a leader", "configure replica of null", "start"),
                h.calls());
    }

    @Test
    void withoutANoLeaderMethodAMemberWithoutDataWaitsForALeader() {
        LoopHarness h = new LoopHarness("", SNAP).initialized();
        assertEquals("waiting for a leader to clone from: the cluster has no leader", h.cycle());
    }

    @Test
    void usableMethodsArePure() {
        ReplicaMethod snap = ReplicaMethod.custom("snap", "/bin/snap", false, false, false, Map.of());
        ReplicaMethod restore = ReplicaMethod.custom("restore", "/bin/restore", true, false, false, Map.of());
        List<ReplicaMethod> all = List.of(ReplicaMethod.BACKUP, snap, restore, ReplicaMethod.BASEBACKUP);
        assertEquals(all, RepositoryActions.usable(all, true));
        assertEquals(List.of(restore), RepositoryActions.usable(all, false));
        assertEquals(restore, RepositoryActions.withoutLeader(all));
        assertNull(RepositoryActions.withoutLeader(List.of(snap, ReplicaMethod.BASEBACKUP)));
    }
}
