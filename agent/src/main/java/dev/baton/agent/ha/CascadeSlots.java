package dev.baton.agent.ha;

import dev.baton.agent.postgres.PostgresController;
import dev.baton.agent.postgres.PostgresException;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * What a running replica does every cycle for cascading replication: it keeps a physical slot,
 * named as the leader names member slots, for each member tagged {@code replicatefrom} it (as
 * Patroni's replicas do), planned by {@link SlotPlanner} over those members only.
 *
 * <p>It drops only slots it created itself in this run and no longer needs (a member left, or
 * stopped naming this one): a replica's other physical slots (a pg_receivewal's, say) are not
 * Baton's to drop.
 */
final class CascadeSlots {
    private static final Logger LOG = Logger.getLogger(CascadeSlots.class.getName());

    private final String me;
    private final PostgresController pg;
    /** The slots this agent created on this replica and has not dropped. */
    private final Set<String> created = ConcurrentHashMap.newKeySet();

    CascadeSlots(String me, PostgresController pg) {
        this.me = me;
        this.pg = pg;
    }

    void run(ClusterView view, DynamicConfig dynamic) {
        if (!dynamic.useSlots()) {
            return;
        }
        List<MemberStatus> members = Cascade.slotMembersOfReplica(me, view);
        if (members.isEmpty() && created.isEmpty()) {
            return; // nothing cascades from here: no query
        }
        try {
            Set<String> existing = pg.physicalSlots();
            created.retainAll(existing);
            SlotPlanner.Plan plan = SlotPlanner.plan(me, members, existing);
            for (String slot : plan.create()) {
                pg.createPhysicalSlot(slot);
                created.add(slot);
                LOG.info("created replication slot " + slot + " for a member cascading from me");
            }
            // SlotPlanner never drops (the leader's drops go through member_slots_ttl); here only
            // what this run created and no member needs any more.
            Set<String> wanted = new java.util.TreeSet<>();
            members.forEach(m -> wanted.add(SlotPlanner.slotName(m.name())));
            for (String slot : new java.util.TreeSet<>(created)) {
                if (!wanted.contains(slot)) {
                    pg.dropPhysicalSlot(slot); // not while a standby streams from it: then retried next cycle
                    created.remove(slot);
                    LOG.info("dropped replication slot " + slot + ": no member cascades from me through it any more");
                }
            }
        } catch (PostgresException e) {
            LOG.warning("replication slot maintenance for cascading members failed: " + e.getMessage());
        }
    }
}
