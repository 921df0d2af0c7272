package dev.baton.config;

import java.util.Map;

/**
 * {@code tags}: the tags Baton acts on, plus {@code all} tags exactly as given (known ones
 * included, in file order) for publishing in the member key.
 *
 * @param nofailover       never promoted, as Patroni 3.2+ reads it: the {@code nofailover} tag when
 *                         given, else {@code failover_priority <= 0}
 * @param nostream         does not stream WAL: no primary_conninfo, no slot on the leader, never synchronous
 * @param failoverPriority the {@code failover_priority} tag, null when not set
 */
public record Tags(boolean nofailover, boolean noloadbalance, boolean nosync, boolean clonefrom, boolean nostream,
        Integer failoverPriority, Map<String, Object> all) {

    public Tags {
        all = Copies.map(all);
    }

    public static Tags none() {
        return new Tags(false, false, false, false, false, null, Map.of());
    }

    /**
     * Patroni's {@code replicatefrom} tag: the member to stream from instead of the leader when it
     * runs as a replica (cascading replication); null when not set.
     */
    public String replicatefrom() {
        return all.get("replicatefrom") instanceof String s && !s.isBlank() ? s.trim() : null;
    }

    /**
     * The priority among equally advanced candidates, as Patroni reads it: 0 when tagged
     * nofailover, else {@code failover_priority} (1 when not set).
     */
    public int priority() {
        if (nofailover && all.containsKey("nofailover")) {
            return 0;
        }
        return failoverPriority == null ? 1 : failoverPriority;
    }
}
