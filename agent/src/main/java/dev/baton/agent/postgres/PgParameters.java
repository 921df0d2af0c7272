package dev.baton.agent.postgres;

import dev.baton.agent.backup.PgBackRestConf;
import dev.baton.agent.postgres.PostgresController.Upstream;
import dev.baton.config.BatonConfig;
import dev.baton.config.DynamicConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Which parameters Baton writes to postgresql.conf, and in which order (a pure function; the
 * syntax is {@link PgConfRenderer}'s). Later sources win, and a parameter keeps the place where it
 * first appeared: Baton's defaults, then the dynamic (cluster-wide) parameters, then the node's
 * own, then what Baton enforces, then the replica's connection to its upstream and
 * {@code postgresql.recovery_conf}.
 *
 * <p>With the server's {@link PgCatalog}, the configured parameters are first made fit for it:
 * renamed ones translated ({@link PgParameterTranslation}), and those it would refuse (a name it
 * does not know, a value its parser rejects: {@link PgParameterCheck}) dropped, each with a
 * warning, so that one bad value in the {@code config} key cannot stop every server's next start.
 * Names are lower-cased, as PostgreSQL reads them.
 */
public final class PgParameters {
    private PgParameters() {
    }

    /** The first version with sync_replication_slots (PostgreSQL 17): replicas then sync logical slots themselves. */
    public static final int SYNC_REPLICATION_SLOTS = 170000;

    /** The parameters to write and a warning for each configured parameter translated or dropped. */
    public record Planned(Map<String, String> parameters, List<String> warnings) {
        public Planned {
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * @param replica         whether the server runs as a standby
     * @param upstream        where a replica streams from, or null (a standby that follows no one yet)
     * @param primaryConninfo the conninfo to reach {@code upstream}; used only with an upstream
     */
    public static Map<String, String> of(BatonConfig config, DynamicConfig dynamic, boolean replica, Upstream upstream,
                                         String primaryConninfo) {
        PgCatalog none = PgCatalog.unknown();
        return plan(config, dynamic, replica, upstream, primaryConninfo, none, PgParameterCheck.Probe.unlisted(none))
                .parameters();
    }

    /**
     * {@link #of}, translated for and checked against the server {@code catalog} describes;
     * {@code probe} answers for the names it does not list.
     */
    public static Planned plan(BatonConfig config, DynamicConfig dynamic, boolean replica, Upstream upstream,
                               String primaryConninfo, PgCatalog catalog, PgParameterCheck.Probe probe) {
        List<String> warnings = new ArrayList<>();
        Map<String, String> p = base(config, dynamic, catalog, probe, warnings);
        if (replica && upstream != null && upstream.host() != null) {
            p.put("primary_conninfo", primaryConninfo);
            if (upstream.slotName() != null && dynamic.useSlots()) {
                p.put("primary_slot_name", upstream.slotName());
            }
        }
        if (replica && dynamic.useSlots() && dynamic.slots().permanent().values().stream()
                .anyMatch(dev.baton.config.SlotsConfig.PermanentSlot::isLogical)) {
            // Permanent logical slots kept on replicas: their catalog_xmin must reach the primary
            // (Patroni forces it too); PostgreSQL 17 synchronizes the slots itself.
            p.put("hot_standby_feedback", "on");
            if (catalog.version() >= SYNC_REPLICATION_SLOTS) {
                p.put("sync_replication_slots", "on");
            }
        }
        if (replica && upstream != null) {
            // A standby leader's standby_cluster settings (restore_command, ...): they win over recovery_conf.
            p.putAll(upstream.recovery());
        }
        if (replica) {
            p.put("recovery_target_timeline", "latest");
            recoverySettings(config, catalog, probe, warnings).forEach(p::putIfAbsent);
        }
        return new Planned(p, warnings);
    }

    /**
     * {@code postgresql.recovery_conf} for a replica (Patroni's key), beside primary_conninfo: each
     * setting the server would refuse is dropped with a warning (Patroni drops those the running
     * version does not know), and none replaces what Baton sets (the loader already refused or
     * ignored those).
     */
    static Map<String, String> recoverySettings(BatonConfig config, PgCatalog catalog, PgParameterCheck.Probe probe,
                                                List<String> warnings) {
        Map<String, String> out = new LinkedHashMap<>();
        config.postgresql().recoveryConf().forEach((name, value) -> {
            Optional<String> problem = PgParameterCheck.problem(catalog, probe, name, value);
            if (problem.isPresent()) {
                warnings.add("recovery_conf " + name + " " + problem.get() + ": not written, PostgreSQL would refuse "
                        + "to start");
            } else {
                out.put(name, value);
            }
        });
        return out;
    }

    /** Baton's defaults, then the dynamic parameters, then local ones, then what Baton enforces. */
    static Map<String, String> base(BatonConfig config, DynamicConfig dynamic, PgCatalog catalog,
                                    PgParameterCheck.Probe probe, List<String> warnings) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("max_connections", "100");
        p.put("max_wal_senders", "10");
        p.put("max_replication_slots", "10");
        if (catalog.version() > 0 && catalog.version() < 130000) {
            p.put("wal_keep_segments", "8");
        } else {
            p.put("wal_keep_size", "128MB");
        }
        p.put("unix_socket_directories", "");
        // A replica that re-points to a new primary retries its WAL stream after this long.
        p.put("wal_retrieve_retry_interval", "1s");
        p.putAll(configured(config, dynamic, catalog, probe, warnings));
        String listen = config.postgresql().listenHost();
        p.put("listen_addresses", listen == null || listen.isEmpty() ? "*" : listen);
        p.put("port", Integer.toString(config.postgresql().listenPort()));
        p.put("cluster_name", config.scope());
        p.put("hot_standby", "on");
        if (!"logical".equalsIgnoreCase(p.get("wal_level"))) {
            p.put("wal_level", "replica");
        }
        Boolean localRewind = config.postgresql().usePgRewind();
        if (localRewind != null ? localRewind : dynamic.usePgRewind()) {
            p.put("wal_log_hints", "on");
        }
        // Only Baton sets where a replica streams from.
        p.remove("primary_conninfo");
        p.remove("primary_slot_name");
        if (config.postgresql().control().useUnixSocket()) {
            // use_unix_socket: the agent connects through it (the operator's directory, else <data_dir>.sock).
            p.put("unix_socket_directories", dev.baton.agent.backup.PgBackRestConf.unixSocketDirectories(config));
        }
        if (config.backup() != null) {
            // Archiving with pgBackRest: Baton owns these, whatever the dynamic parameters say.
            Map<String, String> archive = PgBackRestConf.parameters(config);
            p.keySet().removeAll(archive.keySet());
            p.putAll(archive);
        }
        return p;
    }

    /**
     * The dynamic parameters, then the local ones (which win), lower-cased, translated for the
     * server, without those it would refuse.
     */
    static Map<String, String> configured(BatonConfig config, DynamicConfig dynamic, PgCatalog catalog,
                                          PgParameterCheck.Probe probe, List<String> warnings) {
        Map<String, String> merged = new LinkedHashMap<>();
        dynamic.parameters().forEach((k, v) -> merged.put(k.toLowerCase(Locale.ROOT), v));
        config.postgresql().parameters().forEach((k, v) -> merged.put(k.toLowerCase(Locale.ROOT), v));
        PgParameterTranslation.Result translated = PgParameterTranslation.translate(merged, catalog.version());
        warnings.addAll(translated.warnings());
        Map<String, String> out = new LinkedHashMap<>();
        translated.parameters().forEach((name, value) -> {
            Optional<String> problem = PgParameterCheck.problem(catalog, probe, name, value);
            if (problem.isPresent()) {
                warnings.add("parameter " + name + " " + problem.get() + ": not written, PostgreSQL would refuse to start");
            } else {
                out.put(name, value);
            }
        });
        return out;
    }
}
