package dev.baton.leader;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns the keys of one prefix read into a {@link ClusterSnapshot}, following {@link KeyLayout}.
 * The one place that knows which relative key lands in which field: the agents' store and the
 * CLI's read through etcd's JSON gateway both use it, so they cannot disagree.
 *
 * <p>Pure: no I/O, no clock. Keys outside the layout's prefix are skipped, and so are keys Baton
 * does not read ({@code optime/leader} and others). A {@code members/} key without a
 * name is skipped too.
 */
public final class SnapshotDecoder {

    private static final String MEMBERS = "members/";

    private SnapshotDecoder() {
    }

    /**
     * @param layout   the cluster's key layout
     * @param revision the store revision the keys were read at
     * @param kvs      the keys, in any order
     */
    public static ClusterSnapshot decode(KeyLayout layout, long revision, Iterable<RawKeyValue> kvs) {
        String prefix = layout.prefix();
        LeaderKey leader = null;
        Map<String, MemberKey> members = new TreeMap<>();
        Map<String, VersionedValue> others = new HashMap<>();
        for (RawKeyValue kv : kvs) {
            if (!kv.key().startsWith(prefix)) {
                continue;
            }
            String relative = kv.key().substring(prefix.length());
            if (relative.startsWith(MEMBERS)) {
                String name = relative.substring(MEMBERS.length());
                if (!name.isEmpty()) {
                    members.put(name, new MemberKey(name, kv.value(), kv.lease(), kv.modRevision()));
                }
            } else if (relative.equals("leader")) {
                leader = new LeaderKey(kv.value(), kv.lease(), kv.createRevision(), kv.modRevision());
            } else {
                others.put(relative, new VersionedValue(kv.value(), kv.createRevision(), kv.modRevision(), kv.lease()));
            }
        }
        return new ClusterSnapshot(revision, others.get("initialize"), others.get("config"), leader, members,
                others.get("failover"), others.get("sync"), others.get("history"), others.get("status"),
                others.get("backup"), others.get("failsafe"));
    }
}
