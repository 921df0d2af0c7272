package dev.baton.cli.drill;

import dev.baton.agent.client.AgentClient;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import dev.baton.cli.local.Writer;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.etcd.EtcdAccess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An existing cluster: its etcd (for the leader key, the members and history) and the
 * load-balanced endpoint the writers use. A switchover is asked for over REST. When
 * {@link #locateProcesses()} was called and every member runs on this machine (REST API and
 * postgres on a loopback or local address), the process faults can be injected too: the agent is
 * the process listening on the member's REST port, the postmaster the one in the
 * {@code postmaster.pid} of its data_directory (see {@link LocalProcesses}); a killed agent is
 * started again with the command line, working directory and environment it ran with. This works
 * for a Baton cluster and for a Patroni one alike. partition-primary and etcd-down need the
 * local cluster the drill starts.
 */
public final class RemoteTarget extends EtcdTarget {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The faults that signal the primary's processes, possible when they run on this machine. */
    public static final Set<Fault> PROCESS_FAULTS = EnumSet.of(Fault.KILL_NODE, Fault.KILL_POSTGRES, Fault.KILL_AGENT,
            Fault.STOP_AGENT);
    /** A plan made for the report's method line is used by the injection if it is this recent. */
    private static final long PLAN_FRESH_NANOS = 10_000_000_000L;

    private final List<String> endpoints;
    private final KeyLayout layout;
    private final Dsn dsn;
    private volatile boolean synchronous;
    private final Map<String, MemberStatus> members = new LinkedHashMap<>();
    private final Map<String, String> byAddress = new HashMap<>();
    private final Map<Integer, List<String>> byPort = new HashMap<>();
    private int ttl;
    private int loopWait;

    private final LocalProcesses procs = new LocalProcesses();
    private Path logDir = Path.of(".");
    /** Per member, what is known of its processes on this machine (once {@link #locateProcesses()} was called). */
    private final Map<String, Local> local = new LinkedHashMap<>();
    /** Killed agents not started again yet, and how to start them. */
    private final Map<String, LocalProcesses.Launch> down = new LinkedHashMap<>();
    /** SIGSTOPped agents. */
    private final Map<String, LocalProcesses.Proc> stopped = new LinkedHashMap<>();
    private boolean processFaults;
    private Plan planned;
    private boolean closed;

    /** What the drill knows of one member's processes on this machine. */
    private static final class Local {
        String restHost;
        int restPort;
        LocalProcesses.Proc agent;
        Path dataDir;
        String agentProblem;
        String postgresProblem;
    }

    /** The processes a fault is about to hit, found right before it (for the method line, then the injection). */
    private record Plan(Fault fault, String member, long at, int restPort, LocalProcesses.Proc agent,
                        LocalProcesses.Launch launch, Path dataDir, LocalProcesses.Proc postmaster) {
    }

    public RemoteTarget(EtcdAccess access, KeyLayout layout, Dsn dsn) {
        super(access, layout, Duration.ofSeconds(2));
        this.endpoints = access.urls();
        this.layout = layout;
        this.dsn = dsn;
        refresh();
    }

    /** Reads the member keys again (addresses, REST bases); exit-worthy problems are thrown as IllegalStateException. */
    private synchronized void refresh() {
        ClusterView v;
        try {
            v = view();
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
                + String.join(",", endpoints) + ", writes through " + dsn.display()
                + (processFaults() ? ", processes found on this machine" : "") + ")";
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
        if (processFaults()) {
            n.put("processes", "on this machine: the agent is the process listening on the member's REST port "
                    + "(/proc/net/tcp), the postmaster the pid in <data_directory>/postmaster.pid");
        }
        return n;
    }

    @Override
    public synchronized List<String> members() {
        return List.copyOf(members.keySet());
    }

    @Override
    public synchronized String restBase(String member) {
        MemberStatus m = members.get(member);
        return m == null ? null : AgentClient.base(m).orElse(null);
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
    public boolean etcdDown() {
        return false;
    }

    // ------------------------------------------------------------------ faults

    /** Where a restarted agent's output goes when its own went to no regular file (the drill's out directory). */
    public synchronized void logTo(Path dir) {
        logDir = dir;
    }

    private synchronized boolean processFaults() {
        return processFaults;
    }

    /**
     * Looks for every member's agent and postmaster on this machine (asking each member's
     * postgres for its data_directory), so that the process faults can be injected; afterwards
     * {@link #canInject} answers for them and {@link #whyNot} says what is missing.
     */
    public synchronized void locateProcesses() {
        processFaults = true;
        for (String m : members.keySet()) {
            Local l = local.computeIfAbsent(m, k -> new Local());
            locateAgent(m, l);
            locatePostmaster(m, l);
        }
    }

    private void locateAgent(String member, Local l) {
        l.agentProblem = null;
        String base = restBase(member);
        URI u;
        try {
            u = base == null ? null : URI.create(base);
        } catch (IllegalArgumentException e) {
            u = null;
        }
        if (u == null || u.getHost() == null) {
            l.agentProblem = member + " publishes no usable api_url (" + base + ")";
            return;
        }
        l.restHost = u.getHost();
        l.restPort = u.getPort() > 0 ? u.getPort() : ("https".equals(u.getScheme()) ? 443 : 80);
        if (!LocalProcesses.isLocalHost(l.restHost)) {
            l.agentProblem = member + "'s REST API " + base + " is not on this machine";
            return;
        }
        if (!procs.available()) {
            l.agentProblem = "this machine has no Linux /proc to find " + member + "'s agent in";
            return;
        }
        try {
            if (l.agent == null || !procs.alive(l.agent)) {
                l.agent = procs.listener(l.restPort, LocalProcesses.addresses(l.restHost));
            }
            procs.launch(l.agent); // readable, so that it can be started again after a kill
        } catch (LocalProcesses.NotFound e) {
            l.agent = null;
            l.agentProblem = member + "'s agent (REST port " + l.restPort + "): " + e.getMessage();
        }
    }

    private void locatePostmaster(String member, Local l) {
        l.postgresProblem = null;
        MemberStatus m = members.get(member);
        if (m == null || m.host() == null) {
            l.postgresProblem = member + " publishes no conn_url";
            return;
        }
        if (!LocalProcesses.isLocalHost(m.host())) {
            l.postgresProblem = member + "'s postgres " + m.host() + ":" + m.port() + " is not on this machine";
            return;
        }
        try {
            if (l.dataDir == null) {
                l.dataDir = dataDirectory(member);
            }
            procs.postmaster(l.dataDir);
        } catch (LocalProcesses.NotFound e) {
            l.postgresProblem = member + "'s postmaster: " + e.getMessage();
        }
    }

    /** {@code SHOW data_directory} on the member's own postgres. */
    private Path dataDirectory(String member) throws LocalProcesses.NotFound {
        String url = memberJdbcUrl(member);
        try (Connection c = DriverManager.getConnection(url, dsn.shortCallProperties("baton-drill"));
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW data_directory")) {
            if (rs.next() && rs.getString(1) != null && !rs.getString(1).isBlank()) {
                return Path.of(rs.getString(1));
            }
            throw new LocalProcesses.NotFound("SHOW data_directory on " + url + " answered nothing");
        } catch (SQLException e) {
            throw new LocalProcesses.NotFound("cannot ask " + url + " for its data_directory (it needs a superuser, "
                    + "or pg_read_all_settings): " + e.getMessage());
        }
    }

    @Override
    public synchronized boolean canInject(Fault fault) {
        if (fault == Fault.SWITCHOVER) {
            return true;
        }
        return whyNot(fault) == null;
    }

    /** Why {@code fault} cannot be injected here, or null if it can. */
    public synchronized String whyNot(Fault fault) {
        List<String> p = problems(fault);
        return p.isEmpty() ? null : String.join("; ", p);
    }

    /** What keeps {@code fault} from being injected here (empty if nothing does). */
    public synchronized List<String> problems(Fault fault) {
        if (fault == Fault.SWITCHOVER) {
            return List.of();
        }
        if (!PROCESS_FAULTS.contains(fault)) {
            return List.of(fault + " needs a local cluster started by the drill (run without -c and --dsn)");
        }
        if (!processFaults) {
            return List.of("the members' processes were not looked for on this machine");
        }
        Set<String> problems = new LinkedHashSet<>();
        for (String m : members.keySet()) {
            Local l = local.get(m);
            if (l == null) {
                problems.add(m + " was not looked for");
                continue;
            }
            if (fault.hitsAgent() && l.agentProblem != null) {
                problems.add(l.agentProblem);
            }
            if (fault.hitsPostmaster() && l.postgresProblem != null) {
                problems.add(l.postgresProblem);
            }
        }
        return List.copyOf(problems);
    }

    /**
     * Finds the processes {@code fault} will hit in {@code member} now: the agent (the one known,
     * if it still runs, else the process listening on the REST port), how it was started (for a
     * kill), and the postmaster from postmaster.pid.
     */
    private Plan plan(Fault fault, String member) throws LocalProcesses.NotFound {
        Local l = local.computeIfAbsent(member, k -> new Local());
        LocalProcesses.Proc agent = null;
        LocalProcesses.Launch launch = null;
        LocalProcesses.Proc postmaster = null;
        if (fault.hitsAgent()) {
            if (l.agent == null || !procs.alive(l.agent)) {
                locateAgent(member, l);
                if (l.agent == null) {
                    throw new LocalProcesses.NotFound(l.agentProblem);
                }
            }
            agent = l.agent;
            if (fault.restartsAgent()) {
                launch = procs.launch(agent);
            }
        }
        if (fault.hitsPostmaster()) {
            if (l.dataDir == null) {
                MemberStatus m = members.get(member);
                if (m == null || m.host() == null || !LocalProcesses.isLocalHost(m.host())) {
                    throw new LocalProcesses.NotFound(member + "'s postgres is not on this machine");
                }
                l.dataDir = dataDirectory(member);
            }
            postmaster = procs.postmaster(l.dataDir);
        }
        return new Plan(fault, member, System.nanoTime(), l.restPort, agent, launch, l.dataDir, postmaster);
    }

    @Override
    public synchronized String method(Fault fault, String member, int durationSeconds) {
        if (fault == Fault.SWITCHOVER) {
            return "POST /switchover {\"leader\":\"" + member + "\"} to " + restBase(member);
        }
        if (!PROCESS_FAULTS.contains(fault)) {
            return fault + ": needs a local cluster started by the drill";
        }
        Plan p;
        try {
            p = plan(fault, member);
        } catch (LocalProcesses.NotFound e) {
            planned = null;
            return fault + " of " + member + ": its processes were not found (" + e.getMessage() + ")";
        }
        planned = p;
        String agent = p.agent() == null ? "" : member + "'s agent (" + p.agent() + ", the process listening on its REST "
                + "port " + p.restPort() + ")";
        String postmaster = p.postmaster() == null ? "" : member + "'s postmaster (" + p.postmaster() + ", from "
                + p.dataDir().resolve("postmaster.pid") + ") and its children";
        String again = "started again with the same command line, working directory and environment";
        return switch (fault) {
            case KILL_NODE -> "SIGKILL of " + agent + " and " + postmaster + "; the agent " + again
                    + " once writes flow on the new primary";
            case KILL_POSTGRES -> "SIGKILL of " + postmaster + "; the agent lives";
            case KILL_AGENT -> "SIGKILL of " + agent + " only; " + again + " after " + durationSeconds + " s";
            case STOP_AGENT -> "SIGSTOP of " + agent + " for " + durationSeconds + " s, then SIGCONT";
            default -> fault.flag();
        };
    }

    @Override
    public void inject(Fault fault, String member) throws Exception {
        if (!PROCESS_FAULTS.contains(fault)) {
            throw new IllegalArgumentException(fault + (fault == Fault.SWITCHOVER ? " is requested over REST"
                    : " needs a local cluster started by the drill"));
        }
        LocalProcesses.Proc agentToWait = null;
        synchronized (this) {
            Plan p = planned;
            planned = null;
            if (p == null || p.fault() != fault || !p.member().equals(member) || System.nanoTime() - p.at() > PLAN_FRESH_NANOS) {
                p = plan(fault, member);
            }
            switch (fault) {
                case KILL_NODE -> {
                    // As the local cluster does: every postgres process dies with the agent, as on
                    // a real crash (a postmaster killed alone leaves backends that can still commit).
                    List<LocalProcesses.Proc> all = new ArrayList<>();
                    all.add(p.agent());
                    all.addAll(procs.withDescendants(p.postmaster()));
                    down.put(member, p.launch());
                    if (!procs.kill(all).contains(p.agent().pid())) {
                        down.remove(member);
                        throw new IOException(member + "'s agent (" + p.agent() + ") was gone before the SIGKILL");
                    }
                    agentToWait = p.agent();
                }
                case KILL_POSTGRES -> {
                    if (procs.kill(procs.withDescendants(p.postmaster())).isEmpty()) {
                        throw new IOException(member + "'s postmaster (" + p.postmaster() + ") was gone before the SIGKILL");
                    }
                }
                case KILL_AGENT -> {
                    down.put(member, p.launch());
                    if (procs.kill(List.of(p.agent())).isEmpty()) {
                        down.remove(member);
                        throw new IOException(member + "'s agent (" + p.agent() + ") was gone before the SIGKILL");
                    }
                    agentToWait = p.agent();
                }
                case STOP_AGENT -> {
                    stopped.put(member, p.agent());
                    try {
                        procs.signal(p.agent(), "STOP");
                    } catch (IOException e) {
                        stopped.remove(member);
                        throw e;
                    }
                }
                default -> throw new IllegalArgumentException(fault.flag());
            }
        }
        if (agentToWait != null && !procs.awaitExit(agentToWait, 10_000)) {
            throw new IOException(member + "'s agent (" + agentToWait + ") still runs 10 s after SIGKILL");
        }
    }

    @Override
    public synchronized void heal(Fault fault, String member) throws Exception {
        switch (fault) {
            case KILL_NODE, KILL_AGENT -> restart(member);
            case STOP_AGENT -> resume(member);
            default -> {
                // a switchover and a killed postgres heal themselves
            }
        }
    }

    /** Starts a killed agent again as it ran, unless something already listens on its REST port (a supervisor). */
    private boolean restart(String member) throws IOException, InterruptedException {
        LocalProcesses.Launch l = down.get(member);
        if (l == null) {
            return false;
        }
        Local loc = local.computeIfAbsent(member, k -> new Local());
        if (loc.restPort > 0) {
            try {
                loc.agent = procs.listener(loc.restPort, LocalProcesses.addresses(loc.restHost));
                down.remove(member); // started by someone else meanwhile
                return false;
            } catch (LocalProcesses.NotFound e) {
                // nobody listens: start it
            }
        }
        loc.agent = procs.start(l, logDir.resolve(member + "-agent.log"));
        down.remove(member);
        return true;
    }

    private void resume(String member) throws IOException, InterruptedException {
        LocalProcesses.Proc p = stopped.remove(member);
        if (p != null && procs.alive(p)) {
            procs.signal(p, "CONT");
        }
    }

    @Override
    public synchronized boolean paused(String member) {
        return stopped.containsKey(member);
    }

    @Override
    public synchronized void prepare() throws Exception {
        for (String m : new ArrayList<>(stopped.keySet())) {
            resume(m);
        }
        for (String m : new ArrayList<>(down.keySet())) {
            restart(m);
        }
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

    /** Leaves the cluster as whole as the drill can: stopped agents continued, killed ones started again. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (String m : new ArrayList<>(stopped.keySet())) {
            try {
                resume(m);
            } catch (IOException | InterruptedException e) {
                System.err.println("baton drill: cannot SIGCONT " + m + "'s agent: " + e.getMessage());
            }
        }
        for (String m : new ArrayList<>(down.keySet())) {
            try {
                if (restart(m)) {
                    System.err.println("baton drill: started " + m + "'s agent again");
                }
            } catch (IOException | InterruptedException e) {
                System.err.println("baton drill: cannot start " + m + "'s agent again (" + e.getMessage() + "): "
                        + String.join(" ", down.get(m).argv()));
            }
        }
        store.close();
    }
}
