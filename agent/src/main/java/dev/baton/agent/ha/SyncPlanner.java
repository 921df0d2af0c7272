package dev.baton.agent.ha;

import dev.baton.agent.postgres.PgStatus;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.SyncState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Synchronous mode on the leader, as a pure function: which standbys should be synchronous, and
 * in which order synchronous_standby_names and the {@code sync} key change.
 *
 * <p>The invariant: a name is listed in the {@code sync} key only while the primary's
 * synchronous_standby_names names it and pg_stat_replication shows it as synchronous, so a
 * listed standby holds every commit the primary acknowledged. Therefore names leave the key
 * <em>before</em> they leave synchronous_standby_names, and join it only <em>after</em> postgres
 * reports them synchronous ({@link #confirmed}).
 */
public final class SyncPlanner {

    private SyncPlanner() {
    }

    /**
     * What to do this cycle.
     *
     * @param publishFirst the standbys to write to the {@code sync} key before postgres changes
     *                     (null: the key needs no change first)
     * @param namesValue   the new synchronous_standby_names (null: unchanged)
     * @param picked       the standbys that should be synchronous, best first
     */
    public record Plan(Set<String> publishFirst, String namesValue, List<String> picked) {
    }

    /**
     * @param me            this (leader) member
     * @param key           the {@code sync} key as read this cycle
     * @param replication   pg_stat_replication of this primary
     * @param members       the cluster's members (tags: nosync, nofailover and nostream members are never picked)
     * @param count         synchronous_node_count
     * @param strict        synchronous_mode_strict: with no standby, commits wait ('*')
     * @param currentNames  the synchronous_standby_names this agent last set (null: unknown)
     */
    public static Plan plan(String me, SyncState key, List<PgStatus.Replica> replication,
                            Map<String, MemberStatus> members, int count, boolean strict, String currentNames) {
        Set<String> published = me.equals(key.leader()) ? key.standbys() : Set.of();
        Set<String> syncNow = syncNow(replication);
        List<PgStatus.Replica> candidates = new ArrayList<>();
        for (PgStatus.Replica r : replication) {
            MemberStatus m = members.get(r.applicationName());
            if (m != null && !m.name().equals(me) && "streaming".equals(r.state()) && !m.nosync() && !m.nofailover()
                    && !m.nostream()) {
                candidates.add(r);
            }
        }
        // Keep the standbys that are synchronous already (no flapping), then the most advanced.
        candidates.sort(Comparator.<PgStatus.Replica, Boolean>comparing(r -> !syncNow.contains(r.applicationName()))
                .thenComparing(Comparator.comparingLong(PgStatus.Replica::flushLsn).reversed())
                .thenComparing(PgStatus.Replica::applicationName));
        List<String> picked = new ArrayList<>();
        for (PgStatus.Replica r : candidates) {
            if (picked.size() < count && !picked.contains(r.applicationName())) {
                picked.add(r.applicationName());
            }
        }
        Set<String> keep = new TreeSet<>(published);
        keep.retainAll(syncNow);
        keep.retainAll(picked);
        Set<String> publishFirst = !me.equals(key.leader()) || !keep.equals(published) ? keep : null;
        String value = namesValue(picked, strict);
        return new Plan(publishFirst, value.equals(currentNames) ? null : value, List.copyOf(picked));
    }

    /** The picked standbys that postgres now reports as synchronous: what the key may list. */
    public static Set<String> confirmed(List<String> picked, List<PgStatus.Replica> replication) {
        Set<String> out = new TreeSet<>(syncNow(replication));
        out.retainAll(picked);
        return out;
    }

    /** {@code FIRST n ("a","b")} for the picked standbys; '*' (strict) or '' without any. */
    public static String namesValue(List<String> picked, boolean strict) {
        if (picked.isEmpty()) {
            return strict ? "*" : "";
        }
        StringBuilder sb = new StringBuilder("FIRST ").append(picked.size()).append(" (");
        for (int i = 0; i < picked.size(); i++) {
            sb.append(i == 0 ? "" : ",").append('"').append(picked.get(i).replace("\"", "\"\"")).append('"');
        }
        return sb.append(')').toString();
    }

    private static Set<String> syncNow(List<PgStatus.Replica> replication) {
        Set<String> out = new TreeSet<>();
        for (PgStatus.Replica r : replication) {
            if ("streaming".equals(r.state()) && ("sync".equals(r.syncState()) || "quorum".equals(r.syncState()))) {
                out.add(r.applicationName());
            }
        }
        return out;
    }
}
