package dev.baton.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The cluster-wide settings kept in etcd under {@code <namespace><scope>/config} (seeded from
 * {@code bootstrap.dcs}). Times are in seconds, {@code maximumLagOnFailover} in bytes.
 * {@code synchronousMode}: Baton manages synchronous_standby_names and the {@code sync} key, and
 * only a listed synchronous standby may be promoted; {@code synchronousModeStrict}: with no
 * standby available commits block ({@code '*'}) instead of going on without one;
 * {@code synchronousNodeCount}: how many synchronous standbys the primary keeps;
 * {@code maximumLagOnSyncnode}: bytes a synchronous standby may lag behind before a healthier
 * standby replaces it (0 or less: never replaced for lag, Patroni's default -1);
 * {@code slots}: member_slots_ttl, the permanent slots and ignore_slots ({@link SlotsConfig});
 * {@code failsafeMode}: Patroni's failsafe_mode, a primary keeps running through an etcd outage
 * while every member in the {@code failsafe} key acknowledges it (docs/failure-modes.md).
 * {@code standbyCluster}: Patroni's {@code standby_cluster} ({@link StandbyCluster}), null in a primary cluster.
 * {@code synchronousQuorum}: Patroni 4's {@code synchronous_mode: quorum} (quorum commit,
 * synchronous_standby_names {@code ANY k (...)}); it implies {@code synchronousMode}.
 */
public record DynamicConfig(int ttl, int loopWait, int retryTimeout, long maximumLagOnFailover,
        int primaryStartTimeout, boolean usePgRewind, boolean useSlots, Map<String, String> parameters,
        boolean pause, boolean synchronousMode, boolean synchronousModeStrict, int synchronousNodeCount,
        long maximumLagOnSyncnode, SlotsConfig slots, boolean failsafeMode, StandbyCluster standbyCluster,
        boolean synchronousQuorum) {

    public static final int DEFAULT_TTL = 10;
    public static final int DEFAULT_LOOP_WAIT = 1;
    public static final int DEFAULT_RETRY_TIMEOUT = 3;
    public static final long DEFAULT_MAXIMUM_LAG_ON_FAILOVER = 1L << 20;
    public static final int DEFAULT_PRIMARY_START_TIMEOUT = 10;
    /** etcd does not grant leases shorter than this. */
    public static final int MIN_TTL = Timing.MIN_TTL;

    /** Immutable, so sharing it is safe. */
    private static final ObjectReader JSON = new ObjectMapper().reader();

    public static final int DEFAULT_SYNCHRONOUS_NODE_COUNT = 1;
    /** Patroni's default: a lagging synchronous standby is never replaced for its lag. */
    public static final long DEFAULT_MAXIMUM_LAG_ON_SYNCNODE = -1;

    public DynamicConfig {
        parameters = Copies.map(parameters);
        slots = slots == null ? SlotsConfig.DEFAULT : slots;
        synchronousMode = synchronousMode || synchronousQuorum;
    }

    /** Without failsafe_mode and quorum commit (Patroni's defaults), in a primary cluster (no standby_cluster). */
    public DynamicConfig(int ttl, int loopWait, int retryTimeout, long maximumLagOnFailover, int primaryStartTimeout,
            boolean usePgRewind, boolean useSlots, Map<String, String> parameters, boolean pause,
            boolean synchronousMode, boolean synchronousModeStrict, int synchronousNodeCount,
            long maximumLagOnSyncnode, SlotsConfig slots) {
        this(ttl, loopWait, retryTimeout, maximumLagOnFailover, primaryStartTimeout, usePgRewind, useSlots, parameters,
                pause, synchronousMode, synchronousModeStrict, synchronousNodeCount, maximumLagOnSyncnode, slots, false,
                null, false);
    }

    /** This configuration with synchronous_mode quorum ({@code quorum} true) or as it is otherwise. */
    public DynamicConfig withQuorum(boolean quorum) {
        return new DynamicConfig(ttl, loopWait, retryTimeout, maximumLagOnFailover, primaryStartTimeout,
                usePgRewind, useSlots, parameters, pause, synchronousMode || quorum, synchronousModeStrict,
                synchronousNodeCount, maximumLagOnSyncnode, slots, failsafeMode, standbyCluster, quorum);
    }

    /** This configuration with failsafe_mode {@code on}. */
    public DynamicConfig withFailsafeMode(boolean on) {
        return new DynamicConfig(ttl, loopWait, retryTimeout, maximumLagOnFailover, primaryStartTimeout,
                usePgRewind, useSlots, parameters, pause, synchronousMode, synchronousModeStrict, synchronousNodeCount,
                maximumLagOnSyncnode, slots, on, standbyCluster, synchronousQuorum);
    }

    /** This configuration with {@code standby_cluster} {@code s} (null: a primary cluster). */
    public DynamicConfig withStandbyCluster(StandbyCluster s) {
        return new DynamicConfig(ttl, loopWait, retryTimeout, maximumLagOnFailover, primaryStartTimeout,
                usePgRewind, useSlots, parameters, pause, synchronousMode, synchronousModeStrict, synchronousNodeCount,
                maximumLagOnSyncnode, slots, failsafeMode, s, synchronousQuorum);
    }

    /** Whether this is a standby cluster: the leader key's holder is a standby leader, not a primary. */
    public boolean isStandbyCluster() {
        return standbyCluster != null;
    }

    /** With the default slot settings (member_slots_ttl 30 min, no permanent or ignored slots). */
    public DynamicConfig(int ttl, int loopWait, int retryTimeout, long maximumLagOnFailover, int primaryStartTimeout,
            boolean usePgRewind, boolean useSlots, Map<String, String> parameters, boolean pause,
            boolean synchronousMode, boolean synchronousModeStrict, int synchronousNodeCount,
            long maximumLagOnSyncnode) {
        this(ttl, loopWait, retryTimeout, maximumLagOnFailover, primaryStartTimeout, usePgRewind, useSlots, parameters,
                pause, synchronousMode, synchronousModeStrict, synchronousNodeCount, maximumLagOnSyncnode,
                SlotsConfig.DEFAULT);
    }

    /** This configuration with the slot settings {@code s}. */
    public DynamicConfig withSlots(SlotsConfig s) {
        return new DynamicConfig(ttl, loopWait, retryTimeout, maximumLagOnFailover, primaryStartTimeout,
                usePgRewind, useSlots, parameters, pause, synchronousMode, synchronousModeStrict, synchronousNodeCount,
                maximumLagOnSyncnode, s, failsafeMode, standbyCluster, synchronousQuorum);
    }

    /** Without maximum_lag_on_syncnode (off). */
    public DynamicConfig(int ttl, int loopWait, int retryTimeout, long maximumLagOnFailover, int primaryStartTimeout,
            boolean usePgRewind, boolean useSlots, Map<String, String> parameters, boolean pause,
            boolean synchronousMode, boolean synchronousModeStrict, int synchronousNodeCount) {
        this(ttl, loopWait, retryTimeout, maximumLagOnFailover, primaryStartTimeout, usePgRewind, useSlots, parameters,
                pause, synchronousMode, synchronousModeStrict, synchronousNodeCount, DEFAULT_MAXIMUM_LAG_ON_SYNCNODE);
    }

    /** Asynchronous replication or plain synchronous mode with one synchronous standby. */
    public DynamicConfig(int ttl, int loopWait, int retryTimeout, long maximumLagOnFailover, int primaryStartTimeout,
            boolean usePgRewind, boolean useSlots, Map<String, String> parameters, boolean pause,
            boolean synchronousMode) {
        this(ttl, loopWait, retryTimeout, maximumLagOnFailover, primaryStartTimeout, usePgRewind, useSlots, parameters,
                pause, synchronousMode, false, DEFAULT_SYNCHRONOUS_NODE_COUNT);
    }

    public static DynamicConfig defaults() {
        return new DynamicConfig(DEFAULT_TTL, DEFAULT_LOOP_WAIT, DEFAULT_RETRY_TIMEOUT, DEFAULT_MAXIMUM_LAG_ON_FAILOVER,
                DEFAULT_PRIMARY_START_TIMEOUT, true, true, Map.of(), false, false);
    }

    /** Whether a lagging synchronous standby is replaced: maximum_lag_on_syncnode above 0 (as in Patroni). */
    public boolean syncnodeLagLimited() {
        return maximumLagOnSyncnode > 0;
    }

    /** synchronous_mode_strict only counts together with synchronous_mode (as in Patroni). */
    public boolean strictSynchronous() {
        return synchronousMode && synchronousModeStrict;
    }

    /**
     * Checks the value rules; error paths start with {@code pathPrefix} (e.g. "config"). Strict:
     * a timing combination that breaks {@code loop_wait + 2*retry_timeout <= ttl} is an error here
     * ({@code edit-config} refuses to write it, so the key holds what the agents run with), while
     * loading a file or the etcd key only warns about it and the agents adjust it ({@link Timing}).
     */
    public List<ConfigError> validate(String pathPrefix) {
        return validate(pathPrefix, true);
    }

    List<ConfigError> validate(String pathPrefix, boolean checkTiming) {
        String prefix = pathPrefix == null ? "" : pathPrefix;
        String p = prefix.isEmpty() ? "" : prefix + ".";
        List<ConfigError> errors = new ArrayList<>(timing().boundErrors(p));
        if (maximumLagOnFailover < 0) {
            errors.add(new ConfigError(p + "maximum_lag_on_failover", "must be >= 0, got " + maximumLagOnFailover));
        }
        if (primaryStartTimeout < 0) {
            errors.add(new ConfigError(p + "primary_start_timeout", "must be >= 0, got " + primaryStartTimeout));
        }
        if (synchronousNodeCount < 1) {
            errors.add(new ConfigError(p + "synchronous_node_count", "must be >= 1, got " + synchronousNodeCount));
        }
        if (standbyCluster != null) {
            errors.addAll(standbyCluster.validate(p + "standby_cluster."));
        }
        String rule = timing().ruleViolation();
        if (checkTiming && rule != null) {
            errors.add(new ConfigError(prefix.isEmpty() ? "ttl" : prefix, rule));
        }
        return errors;
    }

    /** ttl, loop_wait and retry_timeout as written (not adjusted). */
    public Timing timing() {
        return new Timing(ttl, loopWait, retryTimeout);
    }

    /** This configuration with the timing values {@code t} (e.g. {@link Timing#adjusted()}'s). */
    public DynamicConfig withTiming(Timing t) {
        return new DynamicConfig(t.ttl(), t.loopWait(), t.retryTimeout(), maximumLagOnFailover, primaryStartTimeout,
                usePgRewind, useSlots, parameters, pause, synchronousMode, synchronousModeStrict, synchronousNodeCount,
                maximumLagOnSyncnode, slots, failsafeMode, standbyCluster, synchronousQuorum);
    }

    /**
     * Reports this configuration's problems to {@code n}'s issues: bounds as errors, and a broken
     * timing rule (checked only when all three values were readable and in bounds) as a warning
     * naming the values the agents will run with, as Patroni adjusts them.
     */
    private void report(ConfigNode n, boolean timingReadable) {
        List<ConfigError> errors = validate(n.path(), false);
        errors.forEach(e -> n.issues().error(e.path(), e.message()));
        if (!timingReadable || !timing().boundErrors("").isEmpty() || timing().safe()) {
            return;
        }
        Timing.Adjusted a = timing().adjusted();
        n.issues().warn(n.path(), timing().ruleViolation() + "; the agents run with "
                + String.join(", ", a.changes().stream().map(Timing.Change::summary).toList())
                + " (Patroni's adjustment)");
    }

    /** Patroni's JSON shape of the etcd {@code config} key; "pause" appears only when true. */
    public String toJson() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("ttl", ttl);
        root.put("loop_wait", loopWait);
        root.put("retry_timeout", retryTimeout);
        root.put("maximum_lag_on_failover", maximumLagOnFailover);
        root.put("primary_start_timeout", primaryStartTimeout);
        if (synchronousQuorum) {
            root.put("synchronous_mode", QUORUM);
        } else {
            root.put("synchronous_mode", synchronousMode);
        }
        if (synchronousModeStrict) {
            root.put("synchronous_mode_strict", true);
        }
        if (synchronousNodeCount != DEFAULT_SYNCHRONOUS_NODE_COUNT) {
            root.put("synchronous_node_count", synchronousNodeCount);
        }
        if (maximumLagOnSyncnode != DEFAULT_MAXIMUM_LAG_ON_SYNCNODE) {
            root.put("maximum_lag_on_syncnode", maximumLagOnSyncnode);
        }
        if (pause) {
            root.put("pause", true);
        }
        if (failsafeMode) {
            root.put("failsafe_mode", true);
        }
        slots.write(root);
        if (standbyCluster != null) {
            standbyCluster.write(root);
        }
        ObjectNode pg = root.putObject("postgresql");
        pg.put("use_pg_rewind", usePgRewind);
        pg.put("use_slots", useSlots);
        ObjectNode params = pg.putObject("parameters");
        parameters.forEach(params::put);
        return root.toString();
    }

    /**
     * Parses the etcd {@code config} key (as written by Baton or Patroni). Unknown keys are ignored,
     * missing ones take defaults, and an empty document gives the defaults. Error paths start with
     * "config".
     */
    public static DynamicConfig fromJson(String json) throws ConfigException {
        JsonNode tree;
        try {
            tree = json == null ? null : JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ConfigException("config", "not valid JSON: " + e.getOriginalMessage());
        }
        if (tree != null && !tree.isMissingNode() && !tree.isNull() && !tree.isObject()) {
            throw new ConfigException("config", "must be a JSON object, got " + ConfigNode.describe(tree));
        }
        Issues issues = new Issues();
        DynamicConfig config = read(new ConfigNode(tree, "config", issues));
        if (!issues.errors().isEmpty()) {
            throw new ConfigException(issues.errors());
        }
        return config;
    }

    /** Patroni 4's {@code quorum} value of synchronous_mode: quorum commit. */
    static final String QUORUM = "quorum";

    /** synchronous_mode is "quorum" (any case, trimmed). */
    private static boolean quorumMode(ConfigNode n) {
        var v = n.value("synchronous_mode");
        return v != null && v.isTextual() && v.textValue().trim().equalsIgnoreCase(QUORUM);
    }

    /** true/false/"on"/"off" as before, or "quorum" (which also means synchronous mode on). */
    private static boolean synchronousMode(ConfigNode n) {
        return quorumMode(n) || n.bool("synchronous_mode", false);
    }

    /** Reads and validates a dynamic config map (bootstrap.dcs or the etcd key), reporting to its Issues. */
    static DynamicConfig read(ConfigNode n) {
        int ttl = n.integer("ttl", DEFAULT_TTL);
        int loopWait = n.integer("loop_wait", DEFAULT_LOOP_WAIT);
        int retryTimeout = n.integer("retry_timeout", DEFAULT_RETRY_TIMEOUT);
        long maxLag = n.size("maximum_lag_on_failover", DEFAULT_MAXIMUM_LAG_ON_FAILOVER);
        String startKey = "primary_start_timeout";
        if (!n.present(startKey) && n.present("master_start_timeout")) {
            startKey = "master_start_timeout";
            n.issues().warn(n.path(startKey), "deprecated Patroni name of primary_start_timeout");
        }
        int primaryStartTimeout = n.integer(startKey, DEFAULT_PRIMARY_START_TIMEOUT);
        n.ignore("master_start_timeout", "ignored, primary_start_timeout is set");
        boolean synchronousQuorum = quorumMode(n);
        boolean synchronousMode = synchronousMode(n);
        boolean synchronousModeStrict = n.bool("synchronous_mode_strict", false);
        int synchronousNodeCount = n.integer("synchronous_node_count", DEFAULT_SYNCHRONOUS_NODE_COUNT);
        long maxLagOnSyncnode = n.size("maximum_lag_on_syncnode", DEFAULT_MAXIMUM_LAG_ON_SYNCNODE);
        boolean pause = n.bool("pause", false);
        ConfigNode pg = n.map("postgresql");
        boolean usePgRewind = pg.bool("use_pg_rewind", true);
        boolean useSlots = pg.bool("use_slots", true);
        Map<String, String> parameters = pg.parameters("parameters");
        pg.unsupported("pg_hba", "pg_ident", "recovery_conf");
        pg.finish();
        SlotsConfig slots = SlotsConfig.read(n);
        boolean failsafeMode = n.bool("failsafe_mode", false);
        StandbyCluster standbyCluster = StandbyCluster.read(n);
        n.unsupported("check_timeline",
                "primary_stop_timeout", "master_stop_timeout", "max_timelines_history");
        n.finish();

        DynamicConfig config = new DynamicConfig(ttl, loopWait, retryTimeout, maxLag, primaryStartTimeout,
                usePgRewind, useSlots, parameters, pause, synchronousMode, synchronousModeStrict, synchronousNodeCount,
                maxLagOnSyncnode, slots, failsafeMode, standbyCluster, synchronousQuorum);
        boolean timingReadable = !n.issues().hasError(n.path("ttl")) && !n.issues().hasError(n.path("loop_wait"))
                && !n.issues().hasError(n.path("retry_timeout"));
        config.report(n, timingReadable);
        return config;
    }
}
