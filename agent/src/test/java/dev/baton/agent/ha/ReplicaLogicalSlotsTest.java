package dev.baton.agent.ha;

import static dev.baton.agent.ha.CascadeTest.LEADER;
import static dev.baton.agent.ha.CascadeTest.replica;
import static dev.baton.agent.ha.CascadeTest.view;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.PostgresException;
import dev.baton.agent.postgres.ReplicationSlot;
import dev.baton.agent.postgres.SlotPosition;
import dev.baton.config.DynamicConfig;
import dev.baton.config.Tags;
import dev.baton.leader.model.ClusterView;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A replica's permanent logical slots: copied once with a restart, then advanced; a copy without its WAL waits. */
class ReplicaLogicalSlotsTest {
    private static final String STATUS = "{\"optime\":900,\"slots\":{\"cdc\":500}}";
    private final FakePostgres pg = new FakePostgres("7300000000000000001");
    private final LongActionSlot slot = new LongActionSlot(LongActionSlot.Runner.thread("test-logical"), () -> false,
            () -> { });
    private final DynamicConfig dynamic;
    private final ReplicaLogicalSlots logical;
    private final ClusterView view = view("node1", LEADER, replica("node2", null));

    ReplicaLogicalSlotsTest() throws Exception {
        dynamic = DynamicConfig.fromJson(
                "{\"slots\":{\"cdc\":{\"type\":\"logical\",\"database\":\"app\",\"plugin\":\"pgoutput\"}}}");
        logical = new ReplicaLogicalSlots(pg, slot, context(dynamic));
    }

    @AfterEach
    void close() {
        slot.close();
    }

    private void awaitIdle() throws InterruptedException {
        for (int i = 0; i < 500 && slot.running() != null; i++) {
            Thread.sleep(10);
        }
        assertEquals(null, slot.running());
    }

    /** A PostgreSQL 15 slot state file (little endian) with this restart_lsn. */
    static byte[] state(long restartLsn) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(200).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x1051CA1);
        b.putLong(96, restartLsn);
        return b.array();
    }

    private void loaded(long lsn) {
        pg.positions.put("cdc", new SlotPosition(ReplicationSlot.logical("cdc", "app", "pgoutput"), lsn, false));
    }

    @Test
    void aMissingSlotIsCopiedFromTheLeaderWithOneRestartThenAdvanced() throws Exception {
        pg.primarySlotStates.put("cdc", state(300));
        logical.run(view, STATUS, 150004, dynamic);
        awaitIdle();
        assertEquals(List.of("readSlotState 10.0.0.1:5432 cdc", "stop FAST", "installSlotState cdc", "start"),
                pg.takeCalls().stream().filter(c -> !c.startsWith("beforeStop")).toList());
        loaded(400); // the copy, loaded at the start, is behind the published 500
        logical.run(view, STATUS, 150004, dynamic);
        assertEquals(List.of("advanceSlot cdc app 500"), pg.takeCalls());
        logical.run(view, STATUS, 150004, dynamic);
        assertEquals(List.of(), pg.takeCalls(), "up to date: nothing to do");
    }

    @Test
    void nothingBeforeTheLeaderPublishesTheSlotNorOnPostgres17NorWithoutUseSlots() throws Exception {
        pg.primarySlotStates.put("cdc", state(300));
        logical.run(view, "{\"optime\":900}", 150004, dynamic);
        logical.run(view, STATUS, 170000, dynamic);
        logical.run(view, STATUS, 150004, DynamicConfig.fromJson("{\"postgresql\":{\"use_slots\":false},"
                + "\"slots\":{\"cdc\":{\"type\":\"logical\",\"database\":\"app\",\"plugin\":\"pgoutput\"}}}"));
        assertEquals(List.of(), pg.takeCalls());
    }

    @Test
    void aCopyWhoseWalIsGoneIsDroppedAndCopiedAgainOnlyOnceTheConsumerMoved() throws Exception {
        pg.primarySlotStates.put("cdc", state(300));
        logical.run(view, STATUS, 150004, dynamic);
        awaitIdle();
        pg.takeCalls();
        loaded(400);
        pg.advanceFailure = new PostgresException("advancing replication slot cdc: ERROR: requested WAL segment "
                + "pg_wal/000000010000000000000001 has already been removed", null);
        logical.run(view, STATUS, 150004, dynamic);
        assertEquals(List.of("advanceSlot cdc app 500", "drop slot cdc"), pg.takeCalls());
        pg.positions.clear();
        pg.advanceFailure = null;
        logical.run(view, STATUS, 150004, dynamic);
        assertEquals(List.of(), pg.takeCalls(), "the consumer has not moved: no copy, no restart");
        logical.run(view, "{\"optime\":900,\"slots\":{\"cdc\":600}}", 150004, dynamic);
        awaitIdle();
        assertTrue(pg.takeCalls().containsAll(List.of("readSlotState 10.0.0.1:5432 cdc", "installSlotState cdc")));
    }

    @Test
    void aSlotThatNeedsWalThisReplicaLacksIsNotCopiedUntilTheConsumerMoved() throws Exception {
        pg.oldestWal = 0x2000000;
        pg.primarySlotStates.put("cdc", state(0x1742688));
        logical.run(view, STATUS, 150004, dynamic);
        awaitIdle();
        assertEquals(List.of("readSlotState 10.0.0.1:5432 cdc"), pg.takeCalls(), "read, but no restart");
        logical.run(view, STATUS, 150004, dynamic);
        assertEquals(List.of(), pg.takeCalls(), "the consumer has not moved: not even read again");
        pg.primarySlotStates.put("cdc", state(0x2000100)); // a checkpoint moved the primary's slot on
        for (int cycle = 2; cycle < 10; cycle++) {
            logical.run(view, STATUS, 150004, dynamic);
        }
        assertEquals(List.of(), pg.takeCalls(), "not read again before ten cycles");
        logical.run(view, STATUS, 150004, dynamic);
        awaitIdle();
        assertEquals(List.of("readSlotState 10.0.0.1:5432 cdc", "stop FAST", "installSlotState cdc", "start"),
                pg.takeCalls().stream().filter(c -> !c.startsWith("beforeStop")).toList());
    }

    @Test
    void aStateFileThatIsNoneIsNotInstalled() throws Exception {
        pg.primarySlotStates.put("cdc", new byte[]{1});
        logical.run(view, STATUS, 150004, dynamic);
        awaitIdle();
        assertEquals(List.of("readSlotState 10.0.0.1:5432 cdc"), pg.takeCalls());
    }

    @Test
    void aFailedCopyIsNotRetriedWithARestartEveryCycle() throws Exception {
        pg.primarySlotStates.put("cdc", state(300));
        logical.run(view, STATUS, 150004, dynamic);
        awaitIdle();
        pg.takeCalls();
        logical.run(view, STATUS, 150004, dynamic); // the slot did not load
        assertEquals(List.of(), pg.takeCalls());
    }

    private static LoopContext context(DynamicConfig dynamic) {
        return new LoopContext() {
            @Override
            public DynamicConfig dynamic() {
                return dynamic;
            }

            @Override
            public HaListener listener() {
                return HaListener.NONE;
            }

            @Override
            public Tags tags() {
                return Tags.none();
            }

            @Override
            public void holdLock(long until) {
            }

            @Override
            public boolean holdsLock() {
                return false;
            }

            @Override
            public void dataDirChanged() {
            }

            @Override
            public void publishLocal() {
            }

            @Override
            public String now() {
                return "now";
            }

            @Override
            public void wakeUp() {
            }

            @Override
            public boolean shuttingDown() {
                return false;
            }

            @Override
            public <T> T exclusively(Supplier<T> action) {
                return action.get();
            }
        };
    }
}
