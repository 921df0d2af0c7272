package dev.baton.agent.ha;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The leader's physical replication slots, as a pure function: one per other member (Patroni's
 * slot naming), and the slots of members that are gone are dropped, as Patroni 3 does.
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
     * @param members  the members of the cluster
     * @param existing the physical slots postgres has
     */
    public static Plan plan(String me, Set<String> members, Set<String> existing) {
        Set<String> wanted = new TreeSet<>();
        for (String m : members) {
            if (!m.equals(me)) {
                wanted.add(slotName(m));
            }
        }
        Set<String> create = new TreeSet<>(wanted);
        create.removeAll(existing);
        Set<String> drop = new TreeSet<>(existing);
        drop.removeAll(wanted);
        return new Plan(create, drop);
    }
}
