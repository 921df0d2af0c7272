package dev.baton.leader.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.config.ConfigKeyReading;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.MemberKey;
import dev.baton.leader.VersionedValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The cluster as one HA cycle (or one CLI command) sees it: the store snapshot with its JSON
 * values parsed. Agents and the CLI read the cluster through this one model.
 *
 * <p>Every value in etcd is untrusted (anyone with write access to etcd can put anything there),
 * so decoding never throws and garbage never makes a node act: the {@code config} key is read per
 * key with last good values ({@link ConfigKeyReading}), an invalid {@code failover} key is no
 * request ({@link FailoverKey}), an unreadable {@code sync} key lists no one (in synchronous mode
 * no one may then be promoted), unreadable {@code history} lines are skipped, an unreadable member
 * key counts as a member that is not running. {@link #configProblems()} and
 * {@link #keyProblems()} say what was wrong, for the logs, {@code /patroni} and {@code baton list}.
 *
 * @param initialize     the system identifier in {@code initialize}; "" while a bootstrap runs; null if absent
 * @param leader         the leader key's member name, or null
 * @param leaderLeaseId  the lease the leader key is bound to
 * @param members        published members by name
 * @param dynamic        the dynamic configuration in {@code config} (or the bootstrap one while absent)
 * @param configPresent  whether {@code config} exists
 * @param lastLeaderLsn  the last WAL position the leader published in {@code status} ("optime"), 0 if unknown
 * @param snapshot       the raw snapshot (revisions for compare-and-set)
 * @param configProblems what is invalid in the {@code config} key (each with what was kept instead)
 */
public record ClusterView(String initialize, String leader, long leaderLeaseId, Map<String, MemberStatus> members,
                          DynamicConfig dynamic, boolean configPresent, long lastLeaderLsn,
                          ClusterSnapshot snapshot, List<String> configProblems) {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** A PostgreSQL system identifier: an unsigned 64-bit number in decimal. */
    private static final Pattern SYSTEM_ID = Pattern.compile("[0-9]{1,20}");

    public ClusterView {
        members = Collections.unmodifiableMap(new TreeMap<>(members));
        configProblems = configProblems == null ? List.of() : List.copyOf(configProblems);
    }

    /** A view whose config key had no problem. */
    public ClusterView(String initialize, String leader, long leaderLeaseId, Map<String, MemberStatus> members,
                       DynamicConfig dynamic, boolean configPresent, long lastLeaderLsn, ClusterSnapshot snapshot) {
        this(initialize, leader, leaderLeaseId, members, dynamic, configPresent, lastLeaderLsn, snapshot, List.of());
    }

    /** The view of a reader without a last good configuration (the CLI, a one-off read). */
    public static ClusterView of(ClusterSnapshot s, DynamicConfig bootstrapDynamic) {
        return of(s, bootstrapDynamic, null);
    }

    /**
     * @param bootstrapDynamic the local bootstrap.dcs: used while the config key is absent, and as
     *                         the last good values before any good read
     * @param lastGood         the configuration this reader last read from the config key, or null
     */
    public static ClusterView of(ClusterSnapshot s, DynamicConfig bootstrapDynamic, DynamicConfig lastGood) {
        Map<String, MemberStatus> members = new LinkedHashMap<>();
        for (MemberKey m : s.members().values()) {
            members.put(m.name(), MemberStatus.parse(m.name(), m.json()));
        }
        ConfigKeyReading config = s.config() == null ? ConfigKeyReading.valid(bootstrapDynamic)
                : ConfigKeyReading.of(s.config().value(), lastGood, bootstrapDynamic);
        return new ClusterView(s.initialize() == null ? null : s.initialize().value(),
                s.leader() == null ? null : s.leader().name(), s.leader() == null ? 0 : s.leader().leaseId(),
                members, config.dynamic(), s.config() != null, optime(s.status() == null ? null : s.status().value()),
                s, config.problems());
    }

    /** Patroni's {@code status} key: {@code {"optime": n, ...}}, or a bare number (legacy); 0 when unreadable. */
    static long optime(String value) {
        if (value == null) {
            return 0;
        }
        try {
            JsonNode n = JSON.readTree(value);
            JsonNode o = n != null && n.isObject() ? n.get("optime") : n;
            if (o != null && o.isTextual() && o.textValue().trim().matches("[0-9]{1,18}")) {
                return Long.parseLong(o.textValue().trim());
            }
            return o != null && o.isIntegralNumber() && o.canConvertToLong() ? Math.max(0, o.longValue()) : 0;
        } catch (Exception e) {
            return 0;
        }
    }

    public boolean hasLeader() {
        return leader != null;
    }

    public Optional<MemberStatus> member(String name) {
        return Optional.ofNullable(name == null ? null : members.get(name));
    }

    public Optional<MemberStatus> leaderMember() {
        return member(leader);
    }

    /** The {@code failover} key if it holds a valid request; an invalid one ({@link #failoverKey()}) is none. */
    public Optional<FailoverRequest> failover() {
        return failoverKey().filter(FailoverRequest.class::isInstance).map(FailoverRequest.class::cast);
    }

    /** The {@code failover} key as read: empty when there is no request, else a request or an invalid value. */
    public Optional<FailoverKey> failoverKey() {
        return snapshot.failover() == null ? Optional.empty()
                : FailoverKey.parse(snapshot.failover().value(), snapshot.failover().modRevision());
    }

    /** The {@code sync} key (absent: {@link SyncState#absent()}). */
    public SyncState sync() {
        return snapshot.sync() == null ? SyncState.absent()
                : SyncState.parse(snapshot.sync().value(), snapshot.sync().modRevision());
    }

    /** In synchronous mode, whether {@code name} may be promoted (Patroni's {@code sync.matches}); always true otherwise. */
    public boolean mayPromote(String name) {
        return !dynamic.synchronousMode() || sync().matches(name);
    }

    /** The {@code history} key's entries ({@code [[tl, lsn, reason, timestamp, new_leader], ...]}). */
    public List<HistoryEntry> history() {
        return History.entries(snapshot.history() == null ? null : snapshot.history().value());
    }

    /**
     * Whether a node on {@code timeline} at WAL position {@code lsn} has diverged from the cluster:
     * the history says its timeline ended earlier than {@code lsn}, so it holds WAL the current
     * leader never had and must be rewound before it can follow.
     */
    public boolean divergedFrom(int timeline, long lsn) {
        for (HistoryEntry e : history()) {
            if (e.timeline() == timeline && lsn > e.lsn()) {
                return true;
            }
        }
        return false;
    }

    /** Whether the leader still has to finish its checkpoint after promotion (Patroni's member flag). */
    public boolean leaderCheckpointPending() {
        return leaderMember().map(m -> Boolean.FALSE.equals(m.checkpointAfterPromote())).orElse(false);
    }

    /**
     * Whether {@code initialize} holds something that is neither a system identifier nor "" (a
     * bootstrap in progress). The cluster exists, but its identity cannot be checked against a data
     * directory: no node bootstraps, and none refuses to run over it.
     */
    public boolean initializeUnreadable() {
        return initialize != null && !initialize.isEmpty() && !SYSTEM_ID.matcher(initialize).matches();
    }

    /**
     * What is wrong with the keys other than {@code config} (see {@link #configProblems()}), one
     * line each, and what it means for this node. Empty when every key reads well.
     */
    public List<String> keyProblems() {
        List<String> out = new ArrayList<>();
        if (initializeUnreadable()) {
            out.add("initialize: \"" + FailoverKeyParser.shown(initialize) + "\" is not a system identifier; "
                    + "data directories are not checked against it");
        }
        failoverKey().ifPresent(k -> {
            if (k instanceof FailoverKey.Invalid i) {
                out.add("failover: " + i.reason() + "; never executed, the leader removes it");
            }
        });
        if (unreadable(snapshot.sync(), JsonNode::isObject)) {
            out.add("sync: not a JSON object; no synchronous standby is known"
                    + (dynamic.synchronousMode() ? ", so no replica may be promoted" : ""));
        }
        if (unreadable(snapshot.history(), JsonNode::isArray)) {
            out.add("history: not a JSON list; read as empty (the next promotion writes a new one)");
        }
        if (unreadable(snapshot.status(), n -> n.isObject() || n.isNumber())) {
            out.add("status: not a JSON object; the leader's last WAL position is unknown");
        }
        for (MemberKey m : snapshot.members().values()) {
            if (unreadable(m.json(), JsonNode::isObject)) {
                out.add("members/" + FailoverKeyParser.shown(m.name()) + ": not a JSON object; counted as not running");
            }
        }
        return out;
    }

    private static boolean unreadable(VersionedValue v, Predicate<JsonNode> shape) {
        return v != null && unreadable(v.value(), shape);
    }

    private static boolean unreadable(String value, Predicate<JsonNode> shape) {
        if (value == null || value.isBlank()) {
            return false;
        }
        try {
            JsonNode n = JSON.readTree(value);
            return n == null || !shape.test(n);
        } catch (Exception e) {
            return true;
        }
    }

    /** True while the cluster has no system identifier yet (no key, or a bootstrap in progress). */
    public boolean uninitialized() {
        return initialize == null || initialize.isEmpty();
    }
}
