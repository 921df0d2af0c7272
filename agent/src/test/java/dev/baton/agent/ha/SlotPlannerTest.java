package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.ReplicationSlot;
import dev.baton.config.SlotsConfig;
import dev.baton.config.SlotsConfig.IgnoreSlot;
import dev.baton.config.SlotsConfig.PermanentSlot;
import dev.baton.leader.model.MemberStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SlotPlannerTest {

    private static final Instant T0 = Instant.parse("2026-12-04T10:00:00Z");
    private static final SlotsConfig TTL_30MIN = SlotsConfig.DEFAULT;

    private static Collection<MemberStatus> members(String... names) {
        return SyncPlannerTest.members(names).values();
    }

    private static List<ReplicationSlot> physical(String... names) {
        List<ReplicationSlot> out = new ArrayList<>();
        for (String n : names) {
            out.add(ReplicationSlot.physical(n));
        }
        return out;
    }

    private static SlotPlanner.Plan plan(Collection<MemberStatus> members, List<ReplicationSlot> existing,
                                         Map<String, Instant> lastSeen, Instant now, SlotsConfig slots) {
        return SlotPlanner.plan(new SlotPlanner.Facts("node1", members, existing, lastSeen, now, slots));
    }

    @Test
    void foreignSlotsAreNeverDropped() {
        // A barman and a pg_receivewal slot, a logical CDC slot: Baton did not make them.
        List<ReplicationSlot> existing = new ArrayList<>(physical("barman", "receivewal", "node2"));
        existing.add(ReplicationSlot.logical("cdc", "app", "pgoutput"));
        SlotPlanner.Plan p = plan(members("node1", "node2", "node3"), existing, Map.of(), T0, TTL_30MIN);
        assertEquals(Set.of("node3"), p.create());
        assertEquals(Set.of(), p.drop());
        assertEquals(List.of("node2", "node3"), p.retainSlots());
        // Even with ttl 0 and a slot named like a member that was never one of the cluster's.
        p = plan(members("node1"), physical("node9"), Map.of(), T0, new SlotsConfig(0, Map.of(), List.of()));
        assertEquals(Set.of(), p.drop());
    }

    @Test
    void aGoneMembersSlotIsKeptForMemberSlotsTtlThenDropped() {
        // The fake clock: node3 was seen at T0, then its member key expired.
        SlotPlanner.Plan seen = plan(members("node1", "node2", "node3"), physical("node2", "node3"), Map.of(), T0,
                TTL_30MIN);
        assertEquals(Map.of("node2", T0, "node3", T0), seen.lastSeen());
        SlotPlanner.Plan p = plan(members("node1", "node2"), physical("node2", "node3"), seen.lastSeen(),
                T0.plus(Duration.ofMinutes(29)), TTL_30MIN);
        assertEquals(Set.of(), p.drop(), "gone 29 min < member_slots_ttl");
        assertEquals(List.of("node2", "node3"), p.retainSlots(), "still in retain_slots");
        assertEquals(T0, p.lastSeen().get("node3"), "its last-seen time does not move");
        p = plan(members("node1", "node2"), physical("node2", "node3"), p.lastSeen(),
                T0.plus(Duration.ofMinutes(30)), TTL_30MIN);
        assertEquals(Set.of("node3"), p.drop());
        assertEquals(List.of("node2"), p.retainSlots());
    }

    @Test
    void aMemberThatComesBackInTimeKeepsItsSlot() {
        Map<String, Instant> memory = Map.of("node3", T0);
        SlotPlanner.Plan p = plan(members("node1", "node3"), physical("node3"), memory, T0.plus(Duration.ofMinutes(20)),
                TTL_30MIN);
        assertEquals(Set.of(), p.drop());
        assertEquals(T0.plus(Duration.ofMinutes(20)), p.lastSeen().get("node3"));
    }

    @Test
    void aMissingRetainedSlotIsCreated() {
        // A new leader learns node3 from retain_slots: it makes the slot, so node3 finds it on return.
        SlotPlanner.Plan p = plan(members("node1", "node2"), physical(), Map.of("node3", T0), T0, TTL_30MIN);
        assertEquals(Set.of("node2", "node3"), p.create());
    }

    @Test
    void ttlZeroDropsAtTheNextCycleAsBefore() {
        SlotsConfig zero = new SlotsConfig(0, Map.of(), List.of());
        SlotPlanner.Plan seen = plan(members("node1", "node2", "node3"), physical("node2", "node3"), Map.of(), T0, zero);
        SlotPlanner.Plan p = plan(members("node1", "node2"), physical("node2", "node3"), seen.lastSeen(),
                T0.plusSeconds(1), zero);
        assertEquals(Set.of("node3"), p.drop());
    }

    @Test
    void aNostreamMembersSlotExpiresLikeAGoneMembers() {
        var all = SyncPlannerTest.members("node1", "node2", "node3");
        SlotPlanner.Plan seen = plan(all.values(), physical("node2", "node3"), Map.of(), T0, TTL_30MIN);
        all.put("node3", SyncPlannerTest.tagged(all.get("node3"), Map.of("nostream", true)));
        SlotPlanner.Plan p = plan(all.values(), physical("node2", "node3"), seen.lastSeen(),
                T0.plus(Duration.ofMinutes(5)), TTL_30MIN);
        assertEquals(Set.of(), p.create());
        assertEquals(Set.of(), p.drop());
        p = plan(all.values(), physical("node2", "node3"), seen.lastSeen(), T0.plus(Duration.ofMinutes(31)), TTL_30MIN);
        assertEquals(Set.of("node3"), p.drop());
    }

    @Test
    void myOwnNameIsNeverRetainedAndItsOldSlotGoes() {
        // After a failover retain_slots names the new leader itself.
        SlotPlanner.Plan p = plan(members("node1", "node2"), physical("node1", "node2"),
                Map.of("node1", T0, "node2", T0), T0, TTL_30MIN);
        assertEquals(Set.of("node1"), p.drop());
        assertEquals(List.of("node2"), p.retainSlots());
    }

    @Test
    void permanentSlotsAreCreatedAndNeverDropped() {
        SlotsConfig config = new SlotsConfig(0, Map.of("archiver", PermanentSlot.physical(),
                "cdc", PermanentSlot.logical("postgres", "test_decoding"), "node1", PermanentSlot.physical()), List.of());
        SlotPlanner.Plan p = plan(members("node1", "node2"), physical(), Map.of(), T0, config);
        assertEquals(Set.of("archiver", "node2"), p.create(), "not a permanent slot named after me, on me");
        assertEquals(Map.of("cdc", PermanentSlot.logical("postgres", "test_decoding")), p.createLogical());
        // Existing: nothing to create; a permanent slot that is also a gone member's stays.
        List<ReplicationSlot> existing = new ArrayList<>(physical("archiver", "node2"));
        existing.add(ReplicationSlot.logical("cdc", "postgres", "test_decoding"));
        p = plan(members("node1"), existing, Map.of("archiver", T0, "node2", T0), T0.plusSeconds(5), config);
        assertTrue(p.isEmpty() || p.drop().equals(Set.of("node2")), p.toString());
        assertEquals(Set.of("node2"), p.drop(), "archiver is permanent, node2 is a gone member with ttl 0");
        assertEquals(Map.of(), p.createLogical());
        assertEquals(List.of(), p.retainSlots());
    }

    @Test
    void aPermanentLogicalSlotNamedLikeAMemberSlotIsRefused() {
        SlotsConfig config = new SlotsConfig(1800, Map.of("node2", PermanentSlot.logical("postgres", "pgoutput")),
                List.of());
        SlotPlanner.Plan p = plan(members("node1", "node2"), physical(), Map.of(), T0, config);
        assertEquals(Set.of("node2"), p.conflicts());
        assertEquals(Map.of(), p.createLogical());
        assertEquals(Set.of("node2"), p.create());
    }

    @Test
    void ignoredSlotsAreNeverDropped() {
        SlotsConfig config = new SlotsConfig(0, Map.of(), List.of(new IgnoreSlot("node3", null, null, null),
                new IgnoreSlot(null, "physical", null, null)));
        SlotPlanner.Plan p = plan(members("node1"), physical("node3", "node4"), Map.of("node3", T0, "node4", T0),
                T0.plusSeconds(60), config);
        assertEquals(Set.of(), p.drop());
        config = new SlotsConfig(0, Map.of(), List.of(new IgnoreSlot("node3", null, null, null)));
        p = plan(members("node1"), physical("node3", "node4"), Map.of("node3", T0, "node4", T0), T0.plusSeconds(60),
                config);
        assertEquals(Set.of("node4"), p.drop());
    }

    @Test
    void theShortPlanCreatesAndNeverDrops() {
        SlotPlanner.Plan p = SlotPlanner.plan("node2", members("node1", "node2", "Node-3"), Set.of("node1", "old"));
        assertEquals(Set.of("node_3"), p.create());
        assertEquals(Set.of(), p.drop(), "old may be anyone's slot");
        assertTrue(SlotPlanner.plan("a", members("a"), Set.of()).isEmpty());
    }

    @Test
    void retainSlotsFromTheStatusKey() {
        assertEquals(Set.of("node2", "node3"),
                SlotPlanner.retainSlots("{\"optime\":5,\"retain_slots\":[\"node3\",\"node2\",\"Bad\",7]}"));
        assertEquals(Set.of("node2"), SlotPlanner.retainSlots("{\"optime\":5,\"retain_slots\":\"[\\\"node2\\\"]\"}"));
        assertEquals(Set.of(), SlotPlanner.retainSlots("{\"optime\":5}"));
        assertEquals(Set.of(), SlotPlanner.retainSlots("12"));
        assertEquals(Set.of(), SlotPlanner.retainSlots("{oops"));
        assertEquals(Set.of(), SlotPlanner.retainSlots(null));
    }
}
