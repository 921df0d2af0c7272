package dev.baton.agent.ha;

import dev.baton.agent.postgres.PgStatus;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.SyncState;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Quorum commit ({@code synchronous_mode: quorum}, Patroni 4) on the leader, as a pure function:
 * one change per cycle of either synchronous_standby_names ({@code ANY k (S)}) or the {@code sync}
 * key ({@code quorum q}, voters {@code V}), in an order that keeps every acknowledged commit
 * findable by any candidate that may promote.
 *
 * <p>The invariant (Patroni's {@code QuorumStateResolver.check_invariants}): a commit is
 * acknowledged once {@code k} standbys of {@code S} hold it; a voter may promote only after it saw
 * {@code q} other voters that are not ahead of it, so it has compared itself with {@code q + 1}
 * members of {@code V}. Those two sets always share a member exactly when
 * {@code |V ∪ S| <= q + k} ({@link #consistent}); an empty {@code V} (only the leader may promote)
 * is always safe.
 *
 * <p>The order, simpler than Patroni's state machine but with the same guarantee:
 * <ul>
 * <li>synchronous_standby_names changes only to a value that the current key is consistent with;
 *     commits acknowledged under the previous value are covered by the same key, which was
 *     consistent with it too.</li>
 * <li>the key changes (other than to empty) only once the current synchronous_standby_names is
 *     <em>confirmed</em>: {@code k} of its standbys have reached the primary's WAL position taken
 *     after the change ({@link #confirmed}), so they hold every commit acknowledged under any
 *     earlier value, and only the current value matters.</li>
 * <li>emptying the key (only the leader may promote) is always safe and is the fallback when no
 *     consistent intermediate key exists, and the first step when the names in effect are unknown
 *     (the agent just started or the key belongs to another leader).</li>
 * </ul>
 * The goal (Patroni's optimal state): {@code S = V = active}, {@code k = min(synchronous_node_count,
 * |active|)}, {@code q = |active| - k}, where active are the streaming standbys that may be
 * synchronous (not nosync, nofailover or nostream).
 */
public final class QuorumPlanner {

    private QuorumPlanner() {
    }

    /** synchronous_standby_names as {@code ANY k (names)}; {@code k} 0 with no names: none. */
    public record Names(int k, Set<String> names) {
        public static final Names NONE = new Names(0, Set.of());

        public Names {
            names = java.util.Collections.unmodifiableSet(new TreeSet<>(names));
            if (k < 0 || k > names.size()) {
                throw new IllegalArgumentException("ANY " + k + " of " + names.size() + " standbys");
            }
        }

        /** The value for postgresql.conf: {@code ANY k ("a","b")}, '' or '*' (strict) without any. */
        public String render(boolean strict) {
            if (names.isEmpty()) {
                return strict ? "*" : "";
            }
            StringBuilder sb = new StringBuilder("ANY ").append(k).append(" (");
            int i = 0;
            for (String n : names) {
                sb.append(i++ == 0 ? "" : ",").append(quote(n));
            }
            return sb.append(')').toString();
        }
    }

    /** The {@code sync} key's quorum part: the voters and how many of them a candidate must see. */
    public record Key(int quorum, Set<String> voters) {
        public static final Key EMPTY = new Key(0, Set.of());

        public Key {
            voters = java.util.Collections.unmodifiableSet(new TreeSet<>(voters));
        }

        /** The key as this leader sees it: another leader's key (or none) counts as unknown (null). */
        static Key of(SyncState key, String me) {
            return key.leader() != null && key.leader().equals(me) ? new Key(key.quorum(), key.standbys()) : null;
        }
    }

    /** What to do this cycle: write the key, set synchronous_standby_names, or nothing. */
    public record Step(Key key, Names names, String why) {
        static Step none(String why) {
            return new Step(null, null, why);
        }

        public boolean idle() {
            return key == null && names == null;
        }
    }

    /**
     * Whether a key lets every acknowledged commit be found: no voters, or {@code |V ∪ S| <= q + k}.
     */
    public static boolean consistent(Key key, Names names) {
        if (key.voters().isEmpty()) {
            return true;
        }
        Set<String> union = new TreeSet<>(key.voters());
        union.addAll(names.names());
        return union.size() <= key.quorum() + names.k();
    }

    /** The standbys that may vote: streaming, not this member, not nosync/nofailover/nostream. */
    public static Set<String> active(String me, List<PgStatus.Replica> replication, Map<String, MemberStatus> members) {
        Set<String> out = new TreeSet<>();
        for (PgStatus.Replica r : replication) {
            MemberStatus m = members.get(r.applicationName());
            if (m != null && !m.name().equals(me) && "streaming".equals(r.state()) && !m.nosync() && !m.nofailover()
                    && !m.nostream()) {
                out.add(r.applicationName());
            }
        }
        return out;
    }

    /**
     * Whether {@code k} of the named standbys reached {@code safeLsn} (the primary's position after
     * the names took effect), so they hold every commit acknowledged before.
     *
     * @param safeLsn  negative: not taken yet (not confirmed)
     * @param byReplay compare replay_lsn (synchronous_commit remote_apply) instead of flush_lsn
     */
    public static boolean confirmed(Names names, List<PgStatus.Replica> replication, long safeLsn, boolean byReplay) {
        if (names.k() == 0) {
            return true;
        }
        if (safeLsn < 0) {
            return false;
        }
        int reached = 0;
        for (PgStatus.Replica r : replication) {
            if (names.names().contains(r.applicationName()) && (byReplay ? r.replayLsn() : r.flushLsn()) >= safeLsn) {
                reached++;
            }
        }
        return reached >= names.k();
    }

    /**
     * Whether pg_stat_replication shows {@code names} in effect: every streaming standby it names is
     * {@code quorum} and every other one {@code async}. The walsenders reread the setting after the
     * reload; the safe position is taken only once they did, so no commit is acknowledged under the
     * previous value after it.
     */
    public static boolean inEffect(Names names, List<PgStatus.Replica> replication) {
        for (PgStatus.Replica r : replication) {
            if (!"streaming".equals(r.state())) {
                continue;
            }
            boolean listed = names.names().contains(r.applicationName());
            if (listed != "quorum".equals(r.syncState()) || (!listed && !"async".equals(r.syncState()))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The next step.
     *
     * @param key       the key as this leader sees it ({@link Key#of}; null: another leader's or none)
     * @param names     the synchronous_standby_names in effect (null: unknown)
     * @param confirmed whether {@code names} is confirmed ({@link #confirmed})
     * @param active    the standbys that may vote now ({@link #active})
     * @param wanted    synchronous_node_count
     */
    public static Step plan(Key key, Names names, boolean confirmed, Collection<String> active, int wanted) {
        Set<String> a = new TreeSet<>(active);
        int k = Math.min(Math.max(wanted, 1), a.size());
        Names targetNames = new Names(k, a);
        Key targetKey = a.isEmpty() ? Key.EMPTY : new Key(a.size() - k, a);
        if (key == null) {
            return new Step(Key.EMPTY, null, "claiming the sync key with no voter (only I may take over)");
        }
        if (names == null || !consistent(key, names)) {
            return key.voters().isEmpty()
                    ? new Step(null, targetNames, "setting synchronous_standby_names (the value in effect is unknown)")
                    : new Step(Key.EMPTY, null, "emptying the sync key: synchronous_standby_names in effect is unknown");
        }
        if (!names.equals(targetNames)) {
            if (consistent(key, targetNames)) {
                return new Step(null, targetNames, "synchronous_standby_names for the standbys " + describe(a));
            }
            if (!confirmed) {
                return Step.none("waiting for " + names.k() + " of " + describe(names.names())
                        + " to confirm synchronous_standby_names before changing the sync key");
            }
            // A key with the target voters that covers both the names in effect and the target names.
            int q = Math.max(targetKey.quorum(), Math.max(needed(a, names), needed(a, targetNames)));
            if (!a.isEmpty() && q < a.size()) {
                Key between = new Key(q, a);
                if (!between.equals(key)) {
                    return new Step(between, null, "sync key: voters " + describe(a) + " with quorum " + q
                            + " before synchronous_standby_names changes");
                }
            }
            return key.voters().isEmpty() ? Step.none("no consistent change possible")
                    : new Step(Key.EMPTY, null, "emptying the sync key before synchronous_standby_names changes");
        }
        if (!confirmed) {
            return Step.none("waiting for " + k + " of " + describe(a) + " to confirm synchronous_standby_names");
        }
        if (!key.equals(targetKey)) {
            return new Step(targetKey, null, "sync key: voters " + describe(a) + " with quorum " + targetKey.quorum());
        }
        return Step.none("quorum commit is steady");
    }

    /** The least quorum with voters {@code voters} consistent with {@code names}. */
    private static int needed(Set<String> voters, Names names) {
        Set<String> union = new TreeSet<>(voters);
        union.addAll(names.names());
        return Math.max(0, union.size() - names.k());
    }

    /** A standby name in synchronous_standby_names: always double-quoted, quotes doubled. */
    static String quote(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    private static String describe(Set<String> names) {
        return names.isEmpty() ? "none" : String.join(", ", names);
    }
}
