package dev.baton.cli.drill;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.Writer;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.etcd.EtcdAccess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** A throwaway local cluster the drill starts (etcd, agents with PostgreSQL, HAProxy), where every fault can be injected. */
public final class LocalTarget extends EtcdTarget {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LocalCluster cluster;
    private final LocalCluster.Options options;
    private final Map<Integer, String> byPort = new HashMap<>();
    private final Set<String> paused = new HashSet<>();
    private volatile boolean etcdStopped;
    private final boolean ownsCluster;
    /** A graceful stop of an agent under way (term-agent), joined before it is started again. */
    private final Map<String, Thread> stopping = new HashMap<>();
    /** The agent trees stop-agent-tree stopped. */
    private final FrozenTrees frozen;
    /** The tree {@link #method} found for stop-agent-tree, stopped by {@link #inject} if still fresh. */
    private Planned planned;

    /** The processes of a stop-agent-tree found at {@code at}. */
    private record Planned(String member, long at, List<LocalProcesses.Proc> procs) {
    }

    private LocalTarget(LocalCluster cluster, LocalCluster.Options options, boolean ownsCluster) {
        super(EtcdAccess.plain(List.of(cluster.etcdEndpoint())), new KeyLayout("/service/", cluster.scope()), Duration.ofSeconds(1));
        this.cluster = cluster;
        this.ownsCluster = ownsCluster;
        this.options = options;
        LocalProcesses procs = new LocalProcesses();
        this.frozen = new FrozenTrees(new ProcessTree(), new KillCommand(procs));
        for (LocalCluster.Node n : cluster.nodes()) {
            byPort.put(n.pgPort(), n.name());
        }
    }

    /**
     * Starts a cluster with {@code options} in {@code dir}, with a proxy between each agent and
     * etcd when {@code etcdProxies}, with {@code synchronous_mode: <synchronous>} unless it is null
     * ("true" or "quorum"), and waits until it is healthy.
     *
     * @throws IllegalStateException if it did not become healthy within {@code timeout}
     */
    public static LocalTarget start(Path dir, LocalCluster.Options options, boolean etcdProxies, String synchronous,
                                    Duration timeout) throws IOException, InterruptedException {
        LocalCluster.Options o = options;
        int nodes = o.nodes();
        if (etcdProxies) {
            o = o.withEtcdProxies();
        }
        if (synchronous != null) {
            java.util.List<String> dcs = new java.util.ArrayList<>(o.dcsYaml());
            dcs.add("synchronous_mode: " + synchronous);
            o = o.withDcs(dcs.toArray(String[]::new));
        }
        LocalCluster c = LocalCluster.start(dir, o);
        LocalTarget t = new LocalTarget(c, o, true);
        try {
            if (!LocalCluster.await(timeout, () -> c.healthy(nodes - 1))) {
                c.keepFiles();
                throw new IllegalStateException("the local cluster did not become healthy within " + timeout.toSeconds()
                        + " s; its files are kept in " + dir);
            }
            return t;
        } catch (RuntimeException | InterruptedException e) {
            t.close();
            throw e;
        }
    }

    /** A target over a cluster the caller started and closes ({@code baton demo}). */
    public static LocalTarget over(LocalCluster cluster, LocalCluster.Options options) {
        return new LocalTarget(cluster, options, false);
    }

    public int loopWait() {
        return options.loopWait();
    }

    public LocalCluster cluster() {
        return cluster;
    }

    @Override
    public String describe() {
        return "a local cluster (" + options.nodes() + " members, ttl " + options.ttl() + " s, loop_wait "
                + options.loopWait() + " s, retry_timeout " + options.retryTimeout() + " s, "
                + (quorumMode() ? "synchronous_mode quorum, " : synchronousMode() ? "synchronous_mode, " : "")
                + (failsafeMode() ? "failsafe_mode, " : "")
                + "HAProxy 127.0.0.1:"
                + cluster.haproxyPort() + ", one etcd)";
    }

    /** Whether the cluster runs with failsafe_mode: true (baton drill --failsafe). */
    public boolean failsafeMode() {
        return options.dcsYaml().contains("failsafe_mode: true");
    }

    @Override
    public boolean synchronousMode() {
        return options.dcsYaml().contains("synchronous_mode: true") || quorumMode();
    }

    /** Quorum commit (synchronous_mode: quorum): also promises no lost acknowledged write. */
    public boolean quorumMode() {
        return options.dcsYaml().contains("synchronous_mode: quorum");
    }

    @Override
    public ObjectNode describeJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("mode", "local");
        n.put("members", options.nodes());
        n.put("ttl", options.ttl());
        n.put("loop_wait", options.loopWait());
        n.put("retry_timeout", options.retryTimeout());
        n.put("primary_start_timeout", DynamicConfig.defaults().primaryStartTimeout());
        n.put("synchronous_mode", synchronousMode());
        n.put("failsafe_mode", failsafeMode());
        if (quorumMode()) {
            n.put("quorum", true);
        }
        n.put("etcd", cluster.etcdEndpoint());
        n.put("etcd_members", 1);
        n.put("load_balancer", "HAProxy 127.0.0.1:" + cluster.haproxyPort() + " (option httpchk GET /primary, inter 200ms)");
        n.put("scope", cluster.scope());
        n.put("dir", cluster.dir().toString());
        return n;
    }

    @Override
    public List<String> members() {
        List<String> names = new ArrayList<>();
        for (LocalCluster.Node n : cluster.nodes()) {
            names.add(n.name());
        }
        return names;
    }

    @Override
    public String restBase(String member) {
        return cluster.node(member).restBase();
    }

    @Override
    public String lbJdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + cluster.haproxyPort() + "/postgres";
    }

    @Override
    public String user() {
        return "postgres";
    }

    @Override
    public String password() {
        return cluster.superuserPassword();
    }

    @Override
    public String memberJdbcUrl(String member) {
        return cluster.node(member).jdbcUrl();
    }

    @Override
    public String serverName(Writer.Ack ack) {
        String n = byPort.get(ack.serverPort());
        return n != null ? n : (ack.serverAddr() == null ? "?" : ack.serverAddr()) + ":" + ack.serverPort();
    }

    @Override
    public boolean etcdDown() {
        return etcdStopped;
    }

    @Override
    public synchronized boolean paused(String member) {
        return paused.contains(member) || frozen.frozen(member);
    }

    @Override
    public boolean canInject(Fault fault) {
        return fault != Fault.PARTITION_PRIMARY || options.etcdProxies();
    }

    @Override
    public String method(Fault fault, String member, int duration) {
        return switch (fault) {
            case KILL_NODE -> "SIGKILL of " + member + "'s agent and every postgres process; agent restarted once "
                    + "writes flow on the new primary";
            case KILL_POSTGRES -> "SIGKILL of " + member + "'s postmaster and its children; the agent lives";
            case KILL_AGENT -> "SIGKILL of " + member + "'s agent JVM only; agent restarted after " + duration + " s";
            case STOP_AGENT -> "SIGSTOP of " + member + "'s agent JVM for " + duration + " s, then SIGCONT";
            case SWITCHOVER -> "POST /switchover {\"leader\":\"" + member + "\"} to " + member;
            case PARTITION_PRIMARY -> "etcd proxy: the TCP proxy between " + member + "'s agent and etcd holds every byte "
                    + "for " + duration + " s (peers still reach " + member + "; not root, so no network namespace)";
            case ETCD_DOWN -> "etcd stopped (SIGTERM) for " + duration + " s, then started again";
            case TERM_AGENT -> "SIGTERM of " + member + "'s agent (graceful handover); agent restarted once writes "
                    + "flow on the new primary";
            case STOP_AGENT_TREE -> stopAgentTreeMethod(member, duration);
            case LOSE_CLUSTER -> LoseCluster.method(duration);
        };
    }

    @Override
    public void inject(Fault fault, String member) throws Exception {
        LocalCluster.Node n = cluster.node(member);
        switch (fault) {
            case KILL_NODE -> n.kill();
            case KILL_POSTGRES -> n.killPostgresNow();
            case KILL_AGENT -> n.killAgent();
            case STOP_AGENT -> {
                synchronized (this) {
                    paused.add(member);
                }
                signal(n, "STOP");
            }
            case PARTITION_PRIMARY -> n.etcdProxy().blackhole();
            case ETCD_DOWN -> {
                etcdStopped = true;
                cluster.etcd().stop();
            }
            case TERM_AGENT -> {
                Thread stopper = new Thread(() -> n.stop(Duration.ofSeconds(60)), "drill-sigterm-" + member);
                stopper.setDaemon(true);
                synchronized (this) {
                    stopping.put(member, stopper);
                }
                stopper.start();
            }
            case STOP_AGENT_TREE -> frozen.stop(member, agentTree(member));
            case SWITCHOVER -> throw new IllegalArgumentException("a switchover is requested over REST");
            case LOSE_CLUSTER -> throw new IllegalArgumentException("lose-cluster is run by LoseCluster, not per member");
        }
    }

    /** The method line of stop-agent-tree, naming the processes it will stop (found now, stopped by inject). */
    private String stopAgentTreeMethod(String member, int duration) {
        String what = "SIGSTOP of " + member + "'s agent and every process it started except postgres";
        String then = " for " + duration + " s, then SIGCONT (the agent first, the others "
                + FrozenTrees.RESUME_GAP_MILLIS + " ms later); postgres keeps running; writers connected straight "
                + "to every member";
        try {
            List<LocalProcesses.Proc> procs = findAgentTree(member);
            synchronized (this) {
                planned = new Planned(member, System.nanoTime(), procs);
            }
            List<Long> pids = procs.stream().map(LocalProcesses.Proc::pid).toList();
            return what + " (pids " + pids + ", the agent first)" + then;
        } catch (LocalProcesses.NotFound e) {
            return what + " (not found: " + e.getMessage() + ")" + then;
        }
    }

    /** The tree method() found, if it is for {@code member} and at most 2 s old, else the tree now. */
    private List<LocalProcesses.Proc> agentTree(String member) throws LocalProcesses.NotFound {
        Planned p;
        synchronized (this) {
            p = planned;
            planned = null;
        }
        if (p != null && p.member().equals(member) && System.nanoTime() - p.at() < 2_000_000_000L) {
            return p.procs();
        }
        return findAgentTree(member);
    }

    /** The member's agent JVM and every process below it, except its postmaster (postmaster.pid) and its children. */
    private List<LocalProcesses.Proc> findAgentTree(String member) throws LocalProcesses.NotFound {
        LocalCluster.Node n = cluster.node(member);
        Process agent = n.agentProcess();
        if (agent == null || !agent.isAlive()) {
            throw new LocalProcesses.NotFound(member + "'s agent is not running");
        }
        return frozen.plan(agent.pid(), n.postmasterPid());
    }

    @Override
    public void heal(Fault fault, String member) throws Exception {
        LocalCluster.Node n = cluster.node(member);
        switch (fault) {
            case KILL_NODE, KILL_AGENT -> n.start();
            case TERM_AGENT -> {
                awaitStopped(n);
                n.start();
            }
            case STOP_AGENT -> resume(n);
            case STOP_AGENT_TREE -> frozen.resume(member);
            case PARTITION_PRIMARY -> n.etcdProxy().heal();
            case ETCD_DOWN -> {
                cluster.etcd().start();
                etcdStopped = false;
            }
            case KILL_POSTGRES, SWITCHOVER, LOSE_CLUSTER -> {
                // the agents heal these themselves
            }
        }
    }

    @Override
    public void prepare() throws Exception {
        Exception notResumed = frozen.resumeAll();
        if (notResumed != null) {
            throw notResumed;
        }
        if (etcdStopped) {
            cluster.etcd().start();
            etcdStopped = false;
        }
        for (LocalCluster.Node n : cluster.nodes()) {
            if (paused(n.name())) {
                resume(n);
            }
            if (n.etcdProxy() != null) {
                n.etcdProxy().heal();
            }
            awaitStopped(n);
            if (!n.isAgentAlive()) {
                n.start();
            }
        }
    }

    /** Waits for a graceful stop under way (it hands over first, then stops postgres). */
    private void awaitStopped(LocalCluster.Node n) throws InterruptedException {
        Thread t;
        synchronized (this) {
            t = stopping.remove(n.name());
        }
        if (t != null) {
            t.join();
        }
    }

    private void resume(LocalCluster.Node n) throws IOException, InterruptedException {
        signal(n, "CONT");
        synchronized (this) {
            paused.remove(n.name());
        }
    }

    /** {@code kill -SIG pid} of the member's agent JVM. */
    private static void signal(LocalCluster.Node n, String sig) throws IOException, InterruptedException {
        Process agent = n.agentProcess();
        if (agent == null || !agent.isAlive()) {
            return;
        }
        Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(agent.pid())).redirectErrorStream(true).start();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("kill -" + sig + " " + agent.pid() + " failed: "
                    + new String(p.getInputStream().readAllBytes()).strip());
        }
    }

    @Override
    public void keepFiles() {
        cluster.keepFiles();
    }

    @Override
    public String filesHint() {
        return cluster.dir() + " (agent logs: " + cluster.dir().resolve("node*").resolve("agent.log") + ")";
    }

    @Override
    public void close() {
        frozen.resumeAll(); // stopped processes would not stop on SIGTERM
        for (LocalCluster.Node n : cluster.nodes()) {
            if (paused(n.name())) {
                try {
                    resume(n); // a stopped JVM would not stop on SIGTERM
                } catch (IOException | InterruptedException e) {
                    // close kills it after its timeout
                }
            }
        }
        store.close();
        if (ownsCluster) {
            cluster.close();
        }
    }
}
