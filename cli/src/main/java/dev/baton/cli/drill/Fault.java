package dev.baton.cli.drill;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The faults {@code baton drill} injects, always into the primary (or, for etcd-down, into etcd). */
public enum Fault {
    /** SIGKILL of the primary's agent and of all its postgres processes; the agent is restarted once writes flow again. */
    KILL_NODE("kill-node", true, false),
    /** SIGKILL of the primary's postmaster and its children; the agent lives and acts by itself. */
    KILL_POSTGRES("kill-postgres", true, false),
    /** SIGKILL of the primary's agent JVM only (its fencing watchdog then stops postgres); restarted after --duration. */
    KILL_AGENT("kill-agent", true, true),
    /** SIGSTOP of the primary's agent JVM for --duration, then SIGCONT. */
    STOP_AGENT("stop-agent", true, true),
    /** A planned switchover: POST /switchover to the leader's REST API. */
    SWITCHOVER("switchover", false, false),
    /** The primary's agent cut off from etcd for --duration, then reconnected. */
    PARTITION_PRIMARY("partition-primary", true, true),
    /** etcd stopped for --duration, then started again. */
    ETCD_DOWN("etcd-down", true, true),
    /**
     * SIGTERM of the primary's agent: a graceful shutdown that hands over to a replica; the agent
     * is started again once writes flow on the new primary (local clusters; {@code baton demo
     * --fault stop-agent}).
     */
    TERM_AGENT("term-agent", true, false),
    /**
     * SIGSTOP of the primary's agent and of every process it started except postgres (its fencing
     * watchdog among them), as a frozen cgroup or a debugger would stop them; postgres keeps
     * running. SIGCONT after --duration (3 x ttl): the agent first, the others 1 s later. The
     * writers write straight to every member, so that two members acknowledging writes at once show.
     */
    STOP_AGENT_TREE("stop-agent-tree", true, true),
    /**
     * The whole cluster lost: a full backup (over REST) under the writers, --duration seconds of
     * writes, then every agent and postgres SIGKILLed and every data directory wiped; a new cluster
     * (another scope, the same repository) is restored to the latest archived WAL. Measures the
     * restore time and the acknowledged writes lost ({@link LoseCluster}; local clusters only).
     */
    LOSE_CLUSTER("lose-cluster", true, true);

    private final String flag;
    private final boolean needsLocal;
    private final boolean usesDuration;

    Fault(String flag, boolean needsLocal, boolean usesDuration) {
        this.flag = flag;
        this.needsLocal = needsLocal;
        this.usesDuration = usesDuration;
    }

    /** The name on the command line and in the reports, e.g. {@code kill-node}. */
    public String flag() {
        return flag;
    }

    /** True when injecting it needs processes on this machine (a local cluster the drill started). */
    public boolean needsLocal() {
        return needsLocal;
    }

    /** True when the fault lasts {@code --duration} before the drill heals it. */
    public boolean usesDuration() {
        return usesDuration;
    }

    /** The drill undoes it (restart, SIGCONT, proxy healed, etcd started); a killed postgres and a switchover heal themselves. */
    public boolean needsHeal() {
        return this != KILL_POSTGRES && this != SWITCHOVER && this != LOSE_CLUSTER;
    }

    /** It signals the primary's agent (a process fault on an existing cluster needs to find it). */
    public boolean hitsAgent() {
        return this == KILL_NODE || this == KILL_AGENT || this == STOP_AGENT;
    }

    /** It kills the primary's postmaster (found from its data_directory's postmaster.pid). */
    public boolean hitsPostmaster() {
        return this == KILL_NODE || this == KILL_POSTGRES;
    }

    /** The killed agent is started again afterwards, as it ran. */
    public boolean restartsAgent() {
        return this == KILL_NODE || this == KILL_AGENT;
    }

    /** The stopped agent is started again once writes flow on the new primary (not after a --duration). */
    public boolean restartsOnceWritesFlow() {
        return this == KILL_NODE || this == TERM_AGENT;
    }

    /**
     * The writers write straight to every member's postgres instead of through the load balancer:
     * a load balancer would hide an old primary that still acknowledges writes (it routes to the
     * one that answers {@code /primary}), and clients connected straight to it would not be hidden.
     */
    public boolean writesToEveryMember() {
        return this == STOP_AGENT_TREE;
    }

    /**
     * Whether the new primary's promotion report ({@code baton.promotion}) binds the verdict: when
     * it says the old primary was fenced and its WAL drained, no acknowledged write may be lost,
     * even with asynchronous replication (issue 16, fence before promote).
     */
    public boolean trustsPromotionReport() {
        return this == STOP_AGENT_TREE;
    }

    /**
     * The default {@code --duration} in seconds: 5 for kill-agent (systemd's RestartSec in
     * deploy/systemd), 30 s of writes after the backup for lose-cluster, 3 × ttl for the others
     * that last (long enough for a failover to happen).
     */
    public int defaultDurationSeconds(int ttl) {
        if (this == LOSE_CLUSTER) {
            return LoseCluster.DEFAULT_WRITE_SECONDS;
        }
        return this == KILL_AGENT ? 5 : 3 * ttl;
    }

    /**
     * Whether the iteration promised that no acknowledged write is lost. In synchronous_mode every
     * iteration does: a commit is acknowledged only once a synchronous standby has it, and only
     * that standby may be promoted. With asynchronous replication only two situations promise it: a
     * switchover (the leader stops cleanly and waits for a replica to receive its shutdown
     * checkpoint before it lets go), and any fault after which the same member is still the primary
     * (nothing was promoted elsewhere: its own WAL holds every committed transaction, and crash
     * recovery keeps them). An asynchronous failover to another member may lose the writes the old
     * primary had not yet sent.
     */
    public boolean promisesNoLoss(boolean primaryChanged, boolean synchronousMode) {
        return synchronousMode || this == SWITCHOVER || !primaryChanged;
    }

    public static Fault parse(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT);
        for (Fault f : values()) {
            if (f.flag.equals(t)) {
                return f;
            }
        }
        return null;
    }

    /** The faults a comma-separated list names, in order, without repeats; empty names are errors. */
    public static List<Fault> parseList(String list) {
        List<Fault> out = new ArrayList<>();
        for (String part : list.split(",", -1)) {
            Fault f = parse(part);
            if (f == null) {
                throw new IllegalArgumentException("unknown fault \"" + part.strip() + "\": must be one of " + names());
            }
            if (!out.contains(f)) {
                out.add(f);
            }
        }
        return out;
    }

    /** Every fault's name, comma-separated. */
    public static String names() {
        List<String> n = new ArrayList<>();
        for (Fault f : values()) {
            n.add(f.flag);
        }
        return String.join(", ", n);
    }

    @Override
    public String toString() {
        return flag;
    }
}
