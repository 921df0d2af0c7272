package dev.baton.cli.drill;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.agent.ha.ClusterView;
import dev.baton.agent.ha.MemberStatus;
import dev.baton.cli.local.Writer;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.LeaderKey;
import dev.baton.leader.etcd.EtcdClusterStore;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An existing cluster: its etcd (for the leader key, the members and history) and the
 * load-balanced endpoint the writers use. Only a switchover can be injected from here; every
 * other fault needs processes on this machine.
 */
public final class RemoteTarget implements DrillTarget {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> endpoints;
    private final KeyLayout layout;
    private final Dsn dsn;
    private final EtcdClusterStore store;
    private volatile boolean synchronous;
    private final Map<String, MemberStatus> members = new LinkedHashMap<>();
    private final Map<String, String> byAddress = new HashMap<>();
    private final Map<Integer, List<String>> byPort = new HashMap<>();
    private int ttl;
    private int loopWait;

    public RemoteTarget(List<String> endpoints, KeyLayout layout, Dsn dsn) {
        this.endpoints = List.copyOf(endpoints);
        this.layout = layout;
        this.dsn = dsn;
        this.store = new EtcdClusterStore(endpoints, layout, "baton-drill", 10, Duration.ofSeconds(2), System::nanoTime);
        refresh();
    }

    /** Reads the member keys again (addresses, REST bases); exit-worthy problems are thrown as IllegalStateException. */
    private synchronized void refresh() {
        ClusterView v;
        try {
            v = ClusterView.of(store.read(), DynamicConfig.defaults());
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot read cluster " + layout.scope() + " from etcd " + endpoints + ": "
                    + e.getMessage(), e);
        }
        if (v.members().isEmpty()) {
            throw new IllegalStateException("cluster " + layout.scope() + " has no members in etcd " + endpoints);
        }
        ttl = v.dynamic().ttl();
        synchronous = v.dynamic().synchronousMode();
        loopWait = v.dynamic().loopWait();
        members.clear();
        byAddress.clear();
        byPort.clear();
        for (MemberStatus m : v.members().values()) {
            members.put(m.name(), m);
            if (m.host() == null) {
                continue;
            }
            byPort.computeIfAbsent(m.port(), p -> new ArrayList<>()).add(m.name());
            byAddress.put(m.host() + ":" + m.port(), m.name());
            try {
                for (InetAddress a : InetAddress.getAllByName(m.host())) {
                    byAddress.put(a.getHostAddress() + ":" + m.port(), m.name());
                }
            } catch (UnknownHostException e) {
                // matched by name or port only
            }
        }
    }

    /** The cluster's loop_wait (from the config key). */
    public synchronized int loopWait() {
        return loopWait;
    }

    /** The cluster's ttl (from the config key), to size the drill's waits. */
    public synchronized int ttl() {
        return ttl;
    }

    @Override
    public boolean synchronousMode() {
        return synchronous;
    }

    @Override
    public String describe() {
        return "the existing cluster " + layout.scope() + " (" + members().size() + " members, ttl " + ttl() + " s, "
                + (synchronous ? "synchronous_mode, " : "") + "etcd "
                + String.join(",", endpoints) + ", writes through " + dsn.display() + ")";
    }

    @Override
    public ObjectNode describeJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("mode", "existing");
        n.put("scope", layout.scope());
        n.put("namespace", layout.namespace());
        n.put("members", members().size());
        n.put("ttl", ttl());
        n.put("synchronous_mode", synchronous);
        n.put("etcd", String.join(",", endpoints));
        n.put("load_balancer", dsn.display());
        return n;
    }

    @Override
    public synchronized List<String> members() {
        return List.copyOf(members.keySet());
    }

    @Override
    public synchronized String restBase(String member) {
        MemberStatus m = members.get(member);
        if (m == null || m.apiUrl() == null || m.apiUrl().isBlank()) {
            return null;
        }
        String a = m.apiUrl().strip();
        int i = a.lastIndexOf("/patroni");
        if (i >= 0) {
            a = a.substring(0, i);
        }
        while (a.endsWith("/")) {
            a = a.substring(0, a.length() - 1);
        }
        return a;
    }

    @Override
    public String lbJdbcUrl() {
        return dsn.jdbcUrl();
    }

    @Override
    public String user() {
        return dsn.user();
    }

    @Override
    public String password() {
        return dsn.password();
    }

    @Override
    public synchronized String memberJdbcUrl(String member) {
        MemberStatus m = members.get(member);
        if (m == null || m.host() == null) {
            return dsn.jdbcUrl();
        }
        String host = m.host().contains(":") ? "[" + m.host() + "]" : m.host();
        return "jdbc:postgresql://" + host + ":" + m.port() + "/" + dsn.database();
    }

    @Override
    public synchronized String serverName(Writer.Ack ack) {
        String key = ack.serverAddr() + ":" + ack.serverPort();
        String n = byAddress.get(key);
        if (n != null) {
            return n;
        }
        List<String> onPort = byPort.get(ack.serverPort());
        if (onPort != null && onPort.size() == 1) {
            return onPort.get(0);
        }
        return key;
    }

    @Override
    public Optional<String> leaderKey() {
        try {
            return store.read().leaderKey().map(LeaderKey::name);
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public List<ClusterView.HistoryEntry> history() {
        try {
            return ClusterView.of(store.read(), DynamicConfig.defaults()).history();
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    @Override
    public boolean etcdDown() {
        return false;
    }

    @Override
    public boolean paused(String member) {
        return false;
    }

    @Override
    public boolean canInject(Fault fault) {
        return !fault.needsLocal();
    }

    @Override
    public String method(Fault fault, String member, int durationSeconds) {
        return "POST /switchover {\"leader\":\"" + member + "\"} to " + restBase(member);
    }

    @Override
    public void inject(Fault fault, String member) {
        throw new IllegalArgumentException(fault + " needs a local cluster started by the drill");
    }

    @Override
    public void heal(Fault fault, String member) {
        // a switchover heals itself
    }

    @Override
    public void prepare() {
        refresh();
    }

    @Override
    public void keepFiles() {
        // nothing of ours to keep
    }

    @Override
    public String filesHint() {
        return null;
    }

    @Override
    public void close() {
        store.close();
    }
}
