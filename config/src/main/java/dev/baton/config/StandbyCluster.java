package dev.baton.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Patroni's {@code standby_cluster} (dynamic configuration): the whole cluster replicates from a
 * remote primary. The member holding the leader key does not promote; it is the <em>standby
 * leader</em>, streaming from {@code host:port} (with {@code primary_slot_name}) and/or restoring WAL
 * with {@code restore_command}; the other members cascade from it. A new standby cluster is made by
 * cloning the remote primary with {@code create_replica_methods} (default: basebackup). Removing the
 * section promotes the standby leader.
 *
 * @param host                   the remote primary's host (null: WAL from {@code restore_command} only)
 * @param port                   its port (5432 when not given)
 * @param primarySlotName        the slot on the remote primary to stream from, or null
 * @param createReplicaMethods   how the first member clones the remote (empty: basebackup)
 * @param restoreCommand         restore_command of the standby leader, or null
 * @param archiveCleanupCommand  archive_cleanup_command of the standby leader, or null
 * @param recoveryMinApplyDelay  recovery_min_apply_delay of the standby leader, or null
 */
public record StandbyCluster(String host, int port, String primarySlotName, List<String> createReplicaMethods,
                             String restoreCommand, String archiveCleanupCommand, String recoveryMinApplyDelay) {
    public static final int DEFAULT_PORT = 5432;
    /** A replication slot name as PostgreSQL accepts it. */
    static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");

    public StandbyCluster {
        createReplicaMethods = createReplicaMethods == null ? List.of() : List.copyOf(createReplicaMethods);
    }

    /** A standby cluster streaming from {@code host:port} with no other setting. */
    public static StandbyCluster of(String host, int port) {
        return new StandbyCluster(host, port, null, List.of(), null, null, null);
    }

    /** host:port, as primary_conninfo names it (null without a host). */
    public String hostPort() {
        return host == null ? null : host + ":" + port;
    }

    /** How the sentences name the remote primary. */
    public String describe() {
        return host != null ? "the remote primary " + hostPort() : "the archive (restore_command)";
    }

    /** The recovery settings of the standby leader besides primary_conninfo and primary_slot_name. */
    public java.util.Map<String, String> recoverySettings() {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        if (restoreCommand != null) {
            m.put("restore_command", restoreCommand);
        }
        if (archiveCleanupCommand != null) {
            m.put("archive_cleanup_command", archiveCleanupCommand);
        }
        if (recoveryMinApplyDelay != null) {
            m.put("recovery_min_apply_delay", recoveryMinApplyDelay);
        }
        return m;
    }

    /** The rules Patroni's validator checks, error paths under {@code p} (e.g. "config.standby_cluster."). */
    public List<ConfigError> validate(String p) {
        List<ConfigError> errors = new ArrayList<>();
        if ((host == null || host.isBlank()) && restoreCommand == null) {
            errors.add(new ConfigError(p + "host", "must be given (or restore_command): the standby cluster needs "
                    + "a remote primary to stream from or an archive to restore from"));
        } else if (host != null && host.isBlank()) {
            errors.add(new ConfigError(p + "host", "must not be empty"));
        }
        if (host != null && host.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c)
                || c == '\'' || c == '\\')) {
            errors.add(new ConfigError(p + "host", "must not contain spaces, quotes, backslashes or control "
                    + "characters"));
        }
        if (port < 1 || port > 65535) {
            errors.add(new ConfigError(p + "port", "must be between 1 and 65535, got " + port));
        }
        if (primarySlotName != null && !SLOT_NAME.matcher(primarySlotName).matches()) {
            errors.add(new ConfigError(p + "primary_slot_name", "must be 1 to 63 of a-z, 0-9 and _ (a replication "
                    + "slot name), got \"" + primarySlotName + "\""));
        }
        for (int i = 0; i < createReplicaMethods.size(); i++) {
            if (createReplicaMethods.get(i).isBlank()) {
                errors.add(new ConfigError(p + "create_replica_methods[" + i + "]", "must not be empty"));
            }
        }
        check(errors, p + "restore_command", restoreCommand);
        check(errors, p + "archive_cleanup_command", archiveCleanupCommand);
        check(errors, p + "recovery_min_apply_delay", recoveryMinApplyDelay);
        return errors;
    }

    private static void check(List<ConfigError> errors, String path, String v) {
        if (v != null && v.chars().anyMatch(c -> c == '\n' || c == '\r' || c == 0)) {
            errors.add(new ConfigError(path, "must be one line"));
        }
    }

    /**
     * Reads {@code standby_cluster} of a dynamic configuration map; null when absent or, as in Patroni,
     * when it names neither host, port nor restore_command (not a standby cluster).
     */
    static StandbyCluster read(ConfigNode parent) {
        if (!parent.present("standby_cluster")) {
            parent.value("standby_cluster");
            return null;
        }
        ConfigNode n = parent.map("standby_cluster");
        String host = n.string("host", null);
        Integer port = n.integerOrNull("port");
        String slot = n.string("primary_slot_name", null);
        List<String> methods = n.strings("create_replica_methods");
        String restore = n.string("restore_command", null);
        String cleanup = n.string("archive_cleanup_command", null);
        String delay = n.string("recovery_min_apply_delay", null);
        n.finish();
        if (host == null && port == null && restore == null) {
            return null;
        }
        // Checked with the rest by DynamicConfig.validate.
        return new StandbyCluster(host, port == null ? DEFAULT_PORT : port, slot, methods, restore, cleanup, delay);
    }

    /** Writes the section in Patroni's shape under {@code root}. */
    void write(ObjectNode root) {
        ObjectNode s = root.putObject("standby_cluster");
        if (host != null) {
            s.put("host", host);
        }
        s.put("port", port);
        if (primarySlotName != null) {
            s.put("primary_slot_name", primarySlotName);
        }
        if (!createReplicaMethods.isEmpty()) {
            createReplicaMethods.forEach(s.putArray("create_replica_methods")::add);
        }
        if (restoreCommand != null) {
            s.put("restore_command", restoreCommand);
        }
        if (archiveCleanupCommand != null) {
            s.put("archive_cleanup_command", archiveCleanupCommand);
        }
        if (recoveryMinApplyDelay != null) {
            s.put("recovery_min_apply_delay", recoveryMinApplyDelay);
        }
    }
}
