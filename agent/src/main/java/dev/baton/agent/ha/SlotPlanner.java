package dev.baton.agent.ha;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.agent.postgres.ReplicationSlot;
import dev.baton.config.SlotsConfig;
import dev.baton.config.SlotsConfig.PermanentSlot;
import dev.baton.leader.model.MemberStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The replication slots a node keeps, as a pure function (Patroni 4's rules, with one difference:
 * Baton never drops a slot it cannot tell is its own).
 * <ul>
 *   <li>One physical slot per other member that streams (Patroni's slot naming; a {@code nostream}
 *       member gets none).</li>
 *   <li>A member's slot outlives its member key by {@code member_slots_ttl}: the caller keeps, per
 *       member slot name, when its member was last seen ({@link Facts#lastSeen}); the plan returns
 *       the new memory. A slot is dropped only when it is in that memory (Baton made it for a
 *       member) and its member has been gone longer than the ttl (0: at the next cycle).</li>
 *   <li>Permanent slots ({@code slots:}) are created when missing and never dropped; a logical one
 *       whose name is a member's slot is refused ({@link Plan#conflicts}), as in Patroni.</li>
 *   <li>Slots matching {@code ignore_slots} are never touched, and so is every other slot Baton
 *       did not make (a barman or pg_receivewal slot).</li>
 * </ul>
 */
public final class SlotPlanner {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");

    private SlotPlanner() {
    }

    /**
     * What to change: physical slots to create, logical slots to create, slots to drop (each sorted),
     * the new memory of member slots (name to when its member was last seen) and the permanent
     * logical slots that were not created because a member's slot has their name.
     */
    public record Plan(Set<String> create, Set<String> drop, Map<String, PermanentSlot> createLogical,
                       Map<String, Instant> lastSeen, Set<String> conflicts) {
        public Plan {
            create = Collections.unmodifiableSortedSet(new TreeSet<>(create));
            drop = Collections.unmodifiableSortedSet(new TreeSet<>(drop));
            createLogical = Collections.unmodifiableSortedMap(new TreeMap<>(createLogical));
            lastSeen = Collections.unmodifiableSortedMap(new TreeMap<>(lastSeen));
            conflicts = Collections.unmodifiableSortedSet(new TreeSet<>(conflicts));
        }

        public Plan(Set<String> create, Set<String> drop) {
            this(create, drop, Map.of(), Map.of(), Set.of());
        }

        public boolean isEmpty() {
            return create.isEmpty() && drop.isEmpty() && createLogical.isEmpty();
        }

        /** The member slots to publish as the status key's {@code retain_slots} (Patroni 4), sorted. */
        public List<String> retainSlots() {
            return List.copyOf(new TreeSet<>(lastSeen.keySet()));
        }
    }

    /**
     * @param me       this member (its own name never gets a slot here)
     * @param members  the members that should stream from this node (the leader: all of them)
     * @param existing the slots postgres has
     * @param lastSeen member slot name to when its member was last seen (the previous plan's
     *                 {@link Plan#lastSeen}; at a new leadership, the status key's
     *                 {@code retain_slots} all at the takeover time, as Patroni does)
     * @param now      this cycle's time
     * @param slots    member_slots_ttl, the permanent slots (null: none, e.g. on a replica) and ignore_slots
     */
    public record Facts(String me, Collection<MemberStatus> members, Collection<ReplicationSlot> existing,
                        Map<String, Instant> lastSeen, Instant now, SlotsConfig slots) {
    }

    /** Patroni's slot naming: lower case, anything but [a-z0-9_] becomes '_'. */
    public static String slotName(String member) {
        return member.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    }

    /**
     * Without memory, ttl or permanent slots: the slots of {@code members} that stream are created;
     * nothing is dropped (Baton cannot tell which of the other slots it made).
     */
    public static Plan plan(String me, Collection<MemberStatus> members, Set<String> existing) {
        return plan(new Facts(me, members, existing.stream().map(ReplicationSlot::physical).toList(), Map.of(),
                Instant.EPOCH, new SlotsConfig(0, Map.of(), List.of())));
    }

    public static Plan plan(Facts f) {
        String mine = slotName(f.me());
        Duration ttl = Duration.ofSeconds(f.slots().memberSlotsTtl());
        Set<String> present = new TreeSet<>();
        for (MemberStatus m : f.members()) {
            if (!m.name().equals(f.me()) && !m.nostream()) {
                present.add(slotName(m.name()));
            }
        }
        present.remove(mine);
        Map<String, Instant> seen = new HashMap<>();
        f.lastSeen().forEach((name, at) -> {
            if (!name.equals(mine) && at.plus(ttl).isAfter(f.now())) {
                seen.put(name, at);
            }
        });
        present.forEach(name -> seen.put(name, f.now()));

        Map<String, ReplicationSlot> existing = new TreeMap<>();
        f.existing().forEach(s -> existing.put(s.name(), s));
        Map<String, PermanentSlot> permanent = f.slots().permanent();

        Set<String> wantedPhysical = new TreeSet<>(seen.keySet());
        Map<String, PermanentSlot> createLogical = new TreeMap<>();
        Set<String> conflicts = new TreeSet<>();
        permanent.forEach((name, slot) -> {
            if (!slot.isLogical()) {
                if (!name.equals(mine)) {
                    wantedPhysical.add(name);
                }
            } else if (seen.containsKey(name)) {
                conflicts.add(name);
            } else if (!existing.containsKey(name)) {
                createLogical.put(name, slot);
            }
        });
        Set<String> create = new TreeSet<>(wantedPhysical);
        create.removeAll(existing.keySet());

        Set<String> drop = new TreeSet<>();
        for (ReplicationSlot s : existing.values()) {
            boolean ours = f.lastSeen().containsKey(s.name());
            if (ours && s.isPhysical() && !wantedPhysical.contains(s.name()) && !permanent.containsKey(s.name())
                    && !f.slots().ignored(s.name(), s.type(), s.database(), s.plugin())) {
                drop.add(s.name());
            }
        }
        return new Plan(create, drop, createLogical, seen, conflicts);
    }

    /**
     * The member slot names in Patroni 4's status key ({@code {"optime": n, "retain_slots": [...]}});
     * anything that is not a valid slot name is left out, and an unreadable key gives none.
     */
    public static Set<String> retainSlots(String statusJson) {
        Set<String> out = new TreeSet<>();
        if (statusJson == null) {
            return out;
        }
        try {
            JsonNode n = JSON.readTree(statusJson);
            JsonNode list = n != null && n.isObject() ? n.get("retain_slots") : null;
            if (list != null && list.isTextual()) {
                list = JSON.readTree(list.textValue()); // Patroni tolerates a JSON string here
            }
            if (list != null && list.isArray()) {
                for (JsonNode item : list) {
                    if (item.isTextual() && SLOT_NAME.matcher(item.textValue()).matches()) {
                        out.add(item.textValue());
                    }
                }
            }
        } catch (Exception e) {
            return Set.of();
        }
        return out;
    }
}
