package dev.baton.agent.postgres;

import dev.baton.agent.postgres.PostgresController.Upstream;
import dev.baton.config.BatonConfig;
import dev.baton.config.DynamicConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which parameters Baton writes to postgresql.conf, and in which order (a pure function; the
 * syntax is {@link PgConfRenderer}'s). Later sources win, and a parameter keeps the place where it
 * first appeared: Baton's defaults, then the dynamic (cluster-wide) parameters, then the node's
 * own, then what Baton enforces, then the replica's connection to its upstream.
 */
public final class PgParameters {
    private PgParameters() {
    }

    /**
     * @param replica         whether the server runs as a standby
     * @param upstream        where a replica streams from, or null (a standby that follows no one yet)
     * @param primaryConninfo the conninfo to reach {@code upstream}; used only with an upstream
     */
    public static Map<String, String> of(BatonConfig config, DynamicConfig dynamic, boolean replica, Upstream upstream,
                                         String primaryConninfo) {
        Map<String, String> p = base(config, dynamic);
        if (replica && upstream != null) {
            p.put("primary_conninfo", primaryConninfo);
            if (upstream.slotName() != null && dynamic.useSlots()) {
                p.put("primary_slot_name", upstream.slotName());
            }
        }
        if (replica) {
            p.put("recovery_target_timeline", "latest");
        }
        return p;
    }

    /** Baton's defaults, then the dynamic parameters, then local ones, then what Baton enforces. */
    static Map<String, String> base(BatonConfig config, DynamicConfig dynamic) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("max_connections", "100");
        p.put("max_wal_senders", "10");
        p.put("max_replication_slots", "10");
        p.put("wal_keep_size", "128MB");
        p.put("unix_socket_directories", "");
        // A replica that re-points to a new primary retries its WAL stream after this long.
        p.put("wal_retrieve_retry_interval", "1s");
        p.putAll(dynamic.parameters());
        p.putAll(config.postgresql().parameters());
        String listen = config.postgresql().listenHost();
        p.put("listen_addresses", listen == null || listen.isEmpty() ? "*" : listen);
        p.put("port", Integer.toString(config.postgresql().listenPort()));
        p.put("cluster_name", config.scope());
        p.put("hot_standby", "on");
        if (!"logical".equals(p.get("wal_level"))) {
            p.put("wal_level", "replica");
        }
        Boolean localRewind = config.postgresql().usePgRewind();
        if (localRewind != null ? localRewind : dynamic.usePgRewind()) {
            p.put("wal_log_hints", "on");
        }
        // Only Baton sets where a replica streams from.
        p.remove("primary_conninfo");
        p.remove("primary_slot_name");
        return p;
    }
}
