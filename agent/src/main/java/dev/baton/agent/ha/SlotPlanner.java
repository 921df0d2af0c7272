package dev.baton.agent.ha;

import dev.baton.leader.model.MemberStatus;
import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The leader's physical replication slots, as a pure function: one per other member that streams
 * (Patroni's slot naming; a {@code nostream} member gets none), and the slots of members that are
 * gone or no longer stream are dropped, as Patroni does.
 */
public final class SlotPlanner {

    private SlotPlanner() {
    }

    /** What to change: slots to create and to drop, each sorted. */
    public record Plan(Set<String> create, Set<String> drop) {
        public boolean isEmpty() {
            return create.isEmpty() && drop.isEmpty();
        }
    }

    /** Patroni's slot naming: lower case, anything but [a-z0-9_] becomes '_'. */
    public static String slotName(String member) {
        return member.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    }

    /**
     * @param me       this (leader) member
     * @param members  the members of the cluster; those tagged {@code nostream} get no slot (they
     *                 do not stream), as in Patroni
     * @param existing the physical slots postgres has
     */
    public static Plan plan(String me, Collection<MemberStatus> members, Set<String> existing) {
        Set<String> wanted = new TreeSet<>();
        for (MemberStatus m : members) {
            if (!m.name().equals(me) && !m.nostream()) {
                wanted.add(slotName(m.name()));
            }
        }
        Set<String> create = new TreeSet<>(wanted);
        create.removeAll(existing);
        Set<String> drop = new TreeSet<>(existing);
        drop.removeAll(wanted);
        return new Plan(create, drop);
    }
}
