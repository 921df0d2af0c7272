package dev.baton.agent.ha;

import dev.baton.agent.postgres.PgStatus;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.SyncState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
 *
 * <p>maximum_lag_on_syncnode ({@link Lag}), as Patroni's {@code SyncHandler.current_state}: a
 * standby whose position is more than that many bytes behind the most advanced candidate (with a
 * single candidate: behind the primary's WAL position) is not picked, so a stuck synchronous
 * standby is replaced by a healthier one. When every standby is equally stuck none is replaced.
 * The position is the one commits wait for: replay_lsn under {@code synchronous_commit:
 * remote_apply}, flush_lsn otherwise (Patroni compares write_lsn under {@code remote_write};
 * Baton does not read it, and flush_lsn is never ahead of it, so Baton may replace a standby a
 * little earlier there).
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
     * @param lagging      streaming candidates left out for lagging more than maximum_lag_on_syncnode,
     *                     with their lag in bytes
     */
    public record Plan(Set<String> publishFirst, String namesValue, List<String> picked, Map<String, Long> lagging) {
        public Plan {
            lagging = Map.copyOf(lagging);
        }
    }

    /**
     * maximum_lag_on_syncnode and what it is measured against.
     *
     * @param maximum    bytes a candidate may lag; 0 or less: no limit (Patroni's default -1)
     * @param byReplay   compare replay_lsn (synchronous_commit remote_apply) instead of flush_lsn
     * @param primaryLsn the primary's current WAL position, the reference when there is one candidate
     */
    public record Lag(long maximum, boolean byReplay, long primaryLsn) {
        public static final Lag UNLIMITED = new Lag(-1, false, 0);

        /**
         * @param synchronousCommit the effective synchronous_commit (null: PostgreSQL's default, on)
         */
        public static Lag of(long maximum, String synchronousCommit, long primaryLsn) {
            boolean replay = synchronousCommit != null && synchronousCommit.trim().equalsIgnoreCase("remote_apply");
            return new Lag(maximum, replay, primaryLsn);
        }

        long position(PgStatus.Replica r) {
            return byReplay ? r.replayLsn() : r.flushLsn();
        }
    }

    /** Without maximum_lag_on_syncnode. */
    public static Plan plan(String me, SyncState key, List<PgStatus.Replica> replication,
                            Map<String, MemberStatus> members, int count, boolean strict, String currentNames) {
        return plan(me, key, replication, members, count, strict, currentNames, Lag.UNLIMITED);
    }

    /**
     * @param me            this (leader) member
     * @param key           the {@code sync} key as read this cycle
     * @param replication   pg_stat_replication of this primary
     * @param members       the cluster's members (tags: nosync, nofailover and nostream members are never picked)
     * @param count         synchronous_node_count
     * @param strict        synchronous_mode_strict: with no standby, commits wait ('*')
     * @param currentNames  the synchronous_standby_names this agent last set (null: unknown)
     * @param lag           maximum_lag_on_syncnode
     */
    public static Plan plan(String me, SyncState key, List<PgStatus.Replica> replication,
                            Map<String, MemberStatus> members, int count, boolean strict, String currentNames,
                            Lag lag) {
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
                .thenComparing(Comparator.comparingLong(lag::position).reversed())
                .thenComparing(PgStatus.Replica::applicationName));
        Map<String, Long> lagging = new TreeMap<>();
        if (lag.maximum() > 0 && !candidates.isEmpty()) {
            long reference = candidates.size() > 1
                    ? candidates.stream().mapToLong(lag::position).max().getAsLong() : lag.primaryLsn();
            for (PgStatus.Replica r : candidates) {
                long behind = reference - lag.position(r);
                if (behind > lag.maximum()) {
                    lagging.put(r.applicationName(), behind);
                }
            }
        }
        List<String> picked = new ArrayList<>();
        for (PgStatus.Replica r : candidates) {
            if (picked.size() < count && !picked.contains(r.applicationName())
                    && !lagging.containsKey(r.applicationName())) {
                picked.add(r.applicationName());
            }
        }
        Set<String> keep = new TreeSet<>(published);
        keep.retainAll(syncNow);
        keep.retainAll(picked);
        Set<String> publishFirst = !me.equals(key.leader()) || !keep.equals(published) ? keep : null;
        String value = namesValue(picked, strict);
        return new Plan(publishFirst, value.equals(currentNames) ? null : value, List.copyOf(picked), lagging);
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
