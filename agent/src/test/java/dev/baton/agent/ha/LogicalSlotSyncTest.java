package dev.baton.agent.ha;

import static dev.baton.agent.ha.CascadeTest.LEADER;
import static dev.baton.agent.ha.CascadeTest.replica;
import static dev.baton.agent.ha.CascadeTest.view;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.ReplicationSlot;
import dev.baton.agent.postgres.SlotPosition;
import dev.baton.config.SlotsConfig.PermanentSlot;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Permanent logical slots kept on replicas, and the leader's advance of cascading members' slots. */
class LogicalSlotSyncTest {

    private static final Map<String, PermanentSlot> PERMANENT = Map.of(
            "cdc", PermanentSlot.logical("app", "pgoutput"),
            "audit", PermanentSlot.logical("postgres", "test_decoding"),
            "phys", PermanentSlot.physical());

    private static SlotPosition logical(String name, String db, String plugin, long lsn) {
        return new SlotPosition(ReplicationSlot.logical(name, db, plugin), lsn, false);
    }

    private static SlotPosition physical(String name, long lsn, boolean active) {
        return new SlotPosition(ReplicationSlot.physical(name), lsn, active);
    }

    @Test
    void theLeaderPublishesItsPermanentLogicalSlotsAtTheirConfirmedPosition() {
        Map<String, Long> out = LogicalSlotSync.toPublish(PERMANENT, List.of(
                logical("cdc", "app", "pgoutput", 100),
                logical("audit", "other_db", "test_decoding", 50), // not the configured database: not ours
                logical("foreign", "app", "pgoutput", 70),          // not permanent
                physical("phys", 90, false),
                physical("node2", 80, true)));
        assertEquals(Map.of("cdc", 100L), out);
        assertEquals(Map.of(), LogicalSlotSync.toPublish(PERMANENT, List.of(logical("cdc", "app", "pgoutput", 0))),
                "a slot without a confirmed position yet is not published");
    }

    @Test
    void thePublishedPositionsAreReadFromPatronisStatusKeyAndCheckedAsUntrusted() {
        assertEquals(Map.of("cdc", 100L, "audit", 7L), LogicalSlotSync.published(
                "{\"optime\":123,\"slots\":{\"cdc\":100,\"audit\":7},\"retain_slots\":[\"node2\"]}"));
        assertEquals(Map.of("cdc", 1L), LogicalSlotSync.published(
                "{\"optime\":1,\"slots\":{\"cdc\":1,\"../x\":5,\"Upper\":5,\"neg\":-1,\"txt\":\"0/1\",\"f\":1.5}}"));
        assertEquals(Map.of(), LogicalSlotSync.published("123"));
        assertEquals(Map.of(), LogicalSlotSync.published("{\"optime\":1}"));
        assertEquals(Map.of(), LogicalSlotSync.published("{\"slots\":[1]}"));
        assertEquals(Map.of(), LogicalSlotSync.published("not json"));
        assertEquals(Map.of(), LogicalSlotSync.published(null));
    }

    @Test
    void aReplicaCopiesWhatItLacksAndAdvancesWhatIsBehind() {
        LogicalSlotSync.Plan p = LogicalSlotSync.replica(PERMANENT,
                List.of(logical("audit", "postgres", "test_decoding", 40), physical("phys", 10, false)),
                Map.of("cdc", 100L, "audit", 50L), Set.of());
        assertEquals(Set.of("cdc"), p.copy());
        assertEquals(Map.of("audit", 50L), p.advance());
        assertEquals(Set.of(), p.drop());
        assertEquals(Set.of(), p.conflicts());
    }

    @Test
    void nothingIsCopiedBeforeTheLeaderPublishesItAndNothingMovesBack() {
        LogicalSlotSync.Plan p = LogicalSlotSync.replica(PERMANENT,
                List.of(logical("audit", "postgres", "test_decoding", 60)), Map.of("audit", 50L), Set.of());
        assertTrue(p.isEmpty(), p.toString());
        p = LogicalSlotSync.replica(PERMANENT, List.of(), Map.of(), Set.of());
        assertTrue(p.isEmpty(), "the primary has not got the slot yet: " + p);
    }

    @Test
    void aSlotOfTheSameNameThatBatonDidNotCopyIsNeverTouched() {
        LogicalSlotSync.Plan p = LogicalSlotSync.replica(PERMANENT,
                List.of(logical("cdc", "other", "wal2json", 5), physical("audit", 5, false)),
                Map.of("cdc", 100L, "audit", 50L), Set.of());
        assertEquals(Set.of("audit", "cdc"), p.conflicts());
        assertTrue(p.isEmpty(), p.toString());
    }

    @Test
    void onlyTheSlotsItCopiedAreDroppedWhenTheyStopBeingPermanent() {
        LogicalSlotSync.Plan p = LogicalSlotSync.replica(Map.of("cdc", PermanentSlot.logical("app", "wal2json")),
                List.of(logical("cdc", "app", "pgoutput", 5), logical("old", "app", "pgoutput", 5),
                        logical("theirs", "app", "pgoutput", 5)),
                Map.of("cdc", 100L), Set.of("cdc", "old"));
        assertEquals(Set.of("cdc", "old"), p.drop(), "cdc changed plugin: dropped, copied again next cycle");
        assertEquals(Set.of(), p.copy());
        assertEquals(Set.of(), p.conflicts());
    }

    @Test
    void aCopyWhoseWalIsGoneWaitsUntilTheConsumerMoves() {
        Set<String> copy = Set.of("cdc", "audit");
        assertEquals(Set.of("audit", "cdc"), LogicalSlotSync.copyNow(copy, Map.of("cdc", 100L, "audit", 5L), Map.of()));
        assertEquals(Set.of("audit"), LogicalSlotSync.copyNow(copy, Map.of("cdc", 100L, "audit", 5L),
                Map.of("cdc", 100L)), "the consumer has not moved: not copied again");
        assertEquals(Set.of("audit", "cdc"), LogicalSlotSync.copyNow(copy, Map.of("cdc", 101L, "audit", 5L),
                Map.of("cdc", 100L)));
    }

    @Test
    void theLeaderAdvancesTheIdleSlotsOfCascadingMembersToTheirPublishedPosition() {
        // node3 streams from node2 (xlog_location 9 in its member key); node2 from the leader.
        var v = view("node1", LEADER, replica("node2", null), replica("node3", "node2"));
        assertEquals(Map.of("node3", 9L), LogicalSlotSync.cascadedMemberSlots("node1", v,
                List.of(physical("node2", 5, false), physical("node3", 5, false))));
        assertEquals(Map.of(), LogicalSlotSync.cascadedMemberSlots("node1", v, List.of(physical("node3", 5, true))),
                "in use: postgres moves it");
        assertEquals(Map.of(), LogicalSlotSync.cascadedMemberSlots("node1", v, List.of(physical("node3", 9, false))),
                "not behind");
        assertEquals(Map.of(), LogicalSlotSync.cascadedMemberSlots("node1", v, List.of(physical("node3", 0, false))),
                "a slot that never reserved WAL cannot be advanced");
        // Its upstream stopped: node3 falls back to the leader and uses its slot there.
        MemberStatus stopped = CascadeTest.m("node2", "stopped", Role.REPLICA, null);
        assertEquals(Map.of(), LogicalSlotSync.cascadedMemberSlots("node1",
                view("node1", LEADER, stopped, replica("node3", "node2")), List.of(physical("node3", 5, false))));
        assertEquals(MemberState.STOPPED, stopped.state());
    }

    @Test
    void replicasNeedHotStandbyFeedbackOnlyWithLogicalPermanentSlots() {
        assertTrue(LogicalSlotSync.anyLogical(PERMANENT));
        assertEquals(false, LogicalSlotSync.anyLogical(Map.of("phys", PermanentSlot.physical())));
    }
}
