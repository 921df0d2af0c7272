package dev.baton.agent.ha;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.agent.postgres.SlotPosition;
import dev.baton.config.SlotsConfig.PermanentSlot;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Permanent logical slots that survive a failover, as Patroni keeps them on PostgreSQL 11-16
 * (pure functions; {@link ReplicaLogicalSlots} and {@link LeaderDuties} carry them out):
 * <ul>
 *   <li>the leader publishes each permanent slot's position in the status key
 *       ({@code {"optime": n, "slots": {name: lsn}}}: a logical slot's confirmed_flush_lsn);</li>
 *   <li>a replica that lacks a permanent logical slot the leader published copies it from the
 *       primary (its state file) and restarts once to load it;</li>
 *   <li>a replica that has it advances it (pg_replication_slot_advance) to the published position,
 *       so that after a failover the new primary's slot is not behind what consumers confirmed;</li>
 *   <li>the leader advances the (idle) physical slots it keeps for members that cascade from another
 *       member to the position those members publish, so that they do not hold WAL.</li>
 * </ul>
 */
public final class LogicalSlotSync {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");

    private LogicalSlotSync() {
    }

    /**
     * What a replica does with its logical slots this cycle: slots to copy from the primary (then a
     * restart), slots to advance (name to position), slots to drop (those it copied itself and are no
     * longer permanent) and permanent slots it cannot keep because another slot has their name.
     */
    public record Plan(Set<String> copy, Map<String, Long> advance, Set<String> drop, Set<String> conflicts) {
        public Plan {
            copy = Collections.unmodifiableSortedSet(new TreeSet<>(copy));
            advance = Collections.unmodifiableSortedMap(new TreeMap<>(advance));
            drop = Collections.unmodifiableSortedSet(new TreeSet<>(drop));
            conflicts = Collections.unmodifiableSortedSet(new TreeSet<>(conflicts));
        }

        public boolean isEmpty() {
            return copy.isEmpty() && advance.isEmpty() && drop.isEmpty();
        }
    }

    /** Whether any permanent slot is logical (replicas then need hot_standby_feedback, as Patroni forces). */
    public static boolean anyLogical(Map<String, PermanentSlot> permanent) {
        return permanent.values().stream().anyMatch(PermanentSlot::isLogical);
    }

    /**
     * What the leader publishes as the status key's {@code slots}: each permanent logical slot it
     * has, of the configured database and plugin, at its confirmed_flush_lsn (none at 0).
     */
    public static Map<String, Long> toPublish(Map<String, PermanentSlot> permanent, Collection<SlotPosition> existing) {
        Map<String, Long> out = new TreeMap<>();
        for (SlotPosition s : existing) {
            PermanentSlot p = permanent.get(s.name());
            if (p != null && p.isLogical() && matches(p, s) && s.lsn() > 0) {
                out.put(s.name(), s.lsn());
            }
        }
        return out;
    }

    /**
     * The status key's {@code slots} (Patroni's shape: slot name to an integer LSN); entries that are
     * not a slot name with a non-negative integer are left out, and an unreadable key gives none.
     */
    public static Map<String, Long> published(String statusJson) {
        Map<String, Long> out = new TreeMap<>();
        if (statusJson == null) {
            return out;
        }
        try {
            JsonNode n = JSON.readTree(statusJson);
            JsonNode slots = n != null && n.isObject() ? n.get("slots") : null;
            if (slots == null || !slots.isObject()) {
                return out;
            }
            slots.fields().forEachRemaining(e -> {
                JsonNode v = e.getValue();
                if (SLOT_NAME.matcher(e.getKey()).matches() && v.isIntegralNumber() && v.canConvertToLong()
                        && v.longValue() >= 0) {
                    out.put(e.getKey(), v.longValue());
                }
            });
        } catch (Exception e) {
            return new TreeMap<>();
        }
        return out;
    }

    /**
     * A replica's plan.
     *
     * @param permanent the configured permanent slots
     * @param existing  the replica's slots with their positions
     * @param published the leader's published slot positions ({@link #published})
     * @param copied    the slots this agent copied to this replica (and so may drop again)
     */
    public static Plan replica(Map<String, PermanentSlot> permanent, Collection<SlotPosition> existing,
                               Map<String, Long> published, Set<String> copied) {
        Map<String, SlotPosition> have = new TreeMap<>();
        existing.forEach(s -> have.put(s.name(), s));
        Set<String> copy = new TreeSet<>();
        Map<String, Long> advance = new TreeMap<>();
        Set<String> drop = new TreeSet<>();
        Set<String> conflicts = new TreeSet<>();
        permanent.forEach((name, p) -> {
            Long lsn = published.get(name);
            if (!p.isLogical() || lsn == null) {
                return; // not logical, or the primary does not have it (yet)
            }
            SlotPosition s = have.get(name);
            if (s == null) {
                copy.add(name);
            } else if (!s.isLogical() || !matches(p, s)) {
                if (copied.contains(name) && s.isLogical()) {
                    drop.add(name); // ours, from an earlier configuration: copied again next cycle
                } else {
                    conflicts.add(name);
                }
            } else if (lsn > s.lsn() && !s.active()) {
                advance.put(name, lsn);
            }
        });
        for (String name : copied) {
            PermanentSlot p = permanent.get(name);
            if (have.containsKey(name) && have.get(name).isLogical() && (p == null || !p.isLogical())) {
                drop.add(name);
            }
        }
        return new Plan(copy, advance, drop, conflicts);
    }

    /**
     * The slots to copy now: those of {@code copy} that are not waiting, and those waiting whose
     * published position moved past the one they wait at. A copy whose WAL the replica no longer has
     * (its restart_lsn is older than the replica's oldest WAL: the consumer has not moved since long
     * before the replica's base backup) cannot be advanced; it is dropped and waits until the consumer
     * confirms more, which moves the primary's restart_lsn forward (Patroni copies such a slot again).
     */
    public static Set<String> copyNow(Set<String> copy, Map<String, Long> published, Map<String, Long> waiting) {
        Set<String> out = new TreeSet<>();
        for (String name : copy) {
            Long at = waiting.get(name);
            if (at == null || published.getOrDefault(name, 0L) > at) {
                out.add(name);
            }
        }
        return out;
    }

    /**
     * The leader's physical slots to advance: for each member that cascades from another member
     * ({@link Cascade}), its slot here, when idle, to the position the member publishes
     * (xlog_location) if that is ahead of the slot's restart_lsn.
     */
    public static Map<String, Long> cascadedMemberSlots(String me, ClusterView view, Collection<SlotPosition> existing) {
        Map<String, SlotPosition> have = new TreeMap<>();
        existing.forEach(s -> have.put(s.name(), s));
        Map<String, Long> out = new TreeMap<>();
        for (MemberStatus m : view.members().values()) {
            if (m.name().equals(me) || m.nostream() || m.xlogLocation() <= 0
                    || !Cascade.upstreamOf(m, view).cascaded(view)) {
                continue;
            }
            SlotPosition s = have.get(SlotPlanner.slotName(m.name()));
            if (s != null && !s.isLogical() && !s.active() && s.lsn() > 0 && m.xlogLocation() > s.lsn()) {
                out.put(s.name(), m.xlogLocation());
            }
        }
        return out;
    }

    private static boolean matches(PermanentSlot p, SlotPosition s) {
        return p.database().equals(s.slot().database()) && p.plugin().equals(s.slot().plugin());
    }
}
