package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.leader.model.ClusterView;
import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.Writer;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.LeaderKey;
import dev.baton.leader.MemberKey;
import dev.baton.leader.etcd.EtcdClusterStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", description = {"Start a throwaway local cluster (etcd, 3 agents with PostgreSQL, HAProxy)",
        "and show it working: SIGKILL of the primary under a write load, the failover and the old primary",
        "rejoining. Everything lives in a temporary directory and is removed at the end."})
public final class DemoCommand extends BaseCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--nodes", defaultValue = "3", description = "Number of members (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--dir", paramLabel = "DIR", description = "Where to put the cluster (default: a new temporary directory).")
    Path dir;

    @Option(names = "--keep", description = "Keep the directory (data, configs, logs) afterwards.")
    boolean keep;

    @Option(names = "--wait", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "After showing the cluster, keep it running until Enter or Ctrl-C (only on a terminal).")
    boolean waitAtEnd;

    @Option(names = "--failover", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Show a failover: SIGKILL of the primary while a client writes through HAProxy, "
                    + "the timeline until the old primary streams again, and how many acknowledged writes were lost.")
    boolean failover;

    /** The fault the failover demo injects into the primary. */
    enum Fault {
        KILL_NODE("kill-node", "SIGKILL of %s (agent and postgres)"),
        STOP_AGENT("stop-agent", "SIGTERM of %s's agent (graceful handover)"),
        KILL_POSTGRES("kill-postgres", "SIGKILL of %s's postgres (the agent lives)");

        final String flag;
        final String text;

        Fault(String flag, String text) {
            this.flag = flag;
            this.text = text;
        }

        static Fault parse(String s) {
            for (Fault f : values()) {
                if (f.flag.equals(s)) {
                    return f;
                }
            }
            throw ExitException.badInput("--fault: must be kill-node, stop-agent or kill-postgres, got \"" + s + "\"");
        }
    }

    @Option(names = "--fault", defaultValue = "kill-node", paramLabel = "KIND",
            description = "kill-node (default), stop-agent (SIGTERM) or kill-postgres.")
    String faultName;

    @Option(names = "--ttl", defaultValue = "10", paramLabel = "SECONDS",
            description = "The leader lease TTL of the demo cluster (default: ${DEFAULT-VALUE}; loop_wait 1, "
                    + "retry_timeout min(3, (ttl-1)/2)).")
    int ttl;

    @Option(names = "--primary-start-timeout", defaultValue = "10", paramLabel = "SECONDS",
            description = "primary_start_timeout of the demo cluster (default: ${DEFAULT-VALUE}; 0 = fail over "
                    + "at once when postgres dies under a live agent).")
    int primaryStartTimeout;

    @Override
    protected int execute() throws Exception {
        refuseRoot("baton demo");
        if (nodes < 1 || nodes > 9) {
            throw ExitException.badInput("--nodes: must be between 1 and 9, got " + nodes);
        }
        Fault fault = Fault.parse(faultName);
        if (ttl < 3 || ttl > 120) {
            throw ExitException.badInput("--ttl: must be between 3 and 120 seconds, got " + ttl);
        }
        if (primaryStartTimeout < 0) {
            throw ExitException.badInput("--primary-start-timeout: must be 0 or more, got " + primaryStartTimeout);
        }
        int retry = Math.max(1, Math.min(3, (ttl - 1) / 2));
        LocalCluster.Options options = LocalCluster.Options.defaults().withNodes(nodes).withTimings(ttl, 1, retry)
                .withDcs("primary_start_timeout: " + primaryStartTimeout);
        Path base = dir != null ? dir : Files.createTempDirectory("baton-demo-");
        if (dir != null && Files.exists(dir) && Files.list(dir).findAny().isPresent()) {
            throw ExitException.badInput("--dir: " + dir + " is not empty");
        }
        long t0 = System.nanoTime();
        say("Starting etcd, " + nodes + " Baton agents and HAProxy in " + base + " ...");
        try (LocalCluster cluster = LocalCluster.start(base, options)) {
            if (keep) {
                cluster.keepFiles();
            }
            Thread hook = new Thread(cluster::close, "baton-demo-cleanup");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                boolean ok = LocalCluster.await(Duration.ofSeconds(120), () -> cluster.healthy(nodes - 1));
                if (!ok) {
                    cluster.keepFiles();
                    say(table(cluster));
                    throw ExitException.failed("the cluster did not become healthy within 120 s; logs are in " + base);
                }
                say(String.format("Cluster ready in %.1f s: one primary, %d streaming replica(s).%n",
                        (System.nanoTime() - t0) / 1e9, nodes - 1));
                out().print(table(cluster));
                say("");
                say("etcd:    " + cluster.etcdEndpoint() + "   (baton list --etcd " + cluster.etcdEndpoint()
                        + " --scope " + cluster.scope() + ")");
                say("HAProxy: 127.0.0.1:" + cluster.haproxyPort() + " routes to the primary (option httpchk GET /primary)");
                for (LocalCluster.Node n : cluster.nodes()) {
                    say(n.name() + ":   postgres 127.0.0.1:" + n.pgPort() + ", REST http://127.0.0.1:"
                            + n.restPort() + "/patroni, config " + n.config());
                }
                if (failover && nodes < 2) {
                    say("");
                    say("(The failover demo needs at least 2 members; skipped.)");
                } else if (failover) {
                    new Failover(cluster, base, fault).run();
                }
                if (waitAtEnd && System.console() != null) {
                    say("");
                    say("Press Enter to stop the demo cluster.");
                    System.console().readLine();
                }
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // the JVM is shutting down: the hook cleans up
                }
            }
        }
        say("Demo cluster stopped" + (keep ? "; files kept in " + base : " and removed") + ".");
        return EXIT_OK;
    }

    private void say(String line) {
        out().println(line);
        out().flush();
    }

    /**
     * The failover scenario of the Spilo talk: a write workload through HAProxy, SIGKILL of the
     * primary (agent and postgres), a timeline of what the cluster does about it, the old primary
     * rejoining, and the count of acknowledged writes lost.
     */
    private final class Failover {
        private static final Duration DEADLINE = Duration.ofSeconds(120);
        private static final long POLL_MILLIS = 100;

        private final LocalCluster cluster;
        private final Path base;
        private final Fault fault;
        private long t0;
        private long killed;

        Failover(LocalCluster cluster, Path base, Fault fault) {
            this.cluster = cluster;
            this.base = base;
            this.fault = fault;
        }

        void run() throws Exception {
            say("");
            say("Failover demo: " + String.format(fault.text, "the primary") + " while a client writes through HAProxy.");
            LocalCluster.Node old = cluster.primary().orElseThrow(() -> fail("there is no primary to kill"));
            String url = "jdbc:postgresql://127.0.0.1:" + cluster.haproxyPort() + "/postgres";
            try (Writer writer = new Writer(url, "postgres", cluster.superuserPassword(), 2);
                 EtcdClusterStore store = new EtcdClusterStore(List.of(cluster.etcdEndpoint()),
                         new KeyLayout("/service/", cluster.scope()), "baton-demo", 10, Duration.ofSeconds(2),
                         System::nanoTime)) {
                try {
                    writer.start();
                } catch (IllegalStateException e) {
                    throw fail("the writer could not start: " + e.getMessage());
                }
                if (!LocalCluster.await(Duration.ofSeconds(60), () -> writer.acks().size() >= 50)) {
                    throw fail("the writer got no acknowledged writes through HAProxy within 60 s (last error: "
                            + writer.lastError() + ")");
                }
                say("writer:  2 threads inserting into baton_writes through HAProxy; "
                        + writer.acks().size() + " writes acknowledged so far by " + old.name());
                say("");
                Outcome o = timeline(old, writer, store);
                writer.stop();
                List<Writer.Ack> acks = writer.acks();
                LocalCluster.Node survivor = o.primary != null ? o.primary : cluster.primary().orElse(null);
                if (survivor != null) {
                    try {
                        Set<Long> lost = writer.missingOn(survivor.jdbcUrl(), "postgres", cluster.superuserPassword());
                        say("acknowledged writes: " + acks.size() + ", lost: " + lost.size() + lostDetail(lost, acks));
                    } catch (SQLException e) {
                        say("acknowledged writes: " + acks.size() + ", lost: unknown (cannot read "
                                + survivor.name() + ": " + e.getMessage() + ")");
                    }
                }
                say("");
                out().print(table(cluster));
                String unavailable = o.firstWrite > 0
                        ? String.format("%.1f s", (o.firstWrite - t0) / 1e9) : "not restored";
                boolean healed = o.primary != null && o.rejoined && o.problem == null;
                say("");
                say("Summary: writes unavailable for " + unavailable + " (fault -> first write on the new primary); "
                        + (!healed ? "the cluster did NOT heal."
                                : o.primary == old ? "cluster healed: postgres was restarted in place on "
                                        + old.name() + ", still the primary on timeline " + o.timeline + "."
                                : "cluster healed: " + o.primary.name() + " is the primary, " + old.name()
                                        + " streams from it, all members running on timeline " + o.timeline + "."));
                if (!healed) {
                    throw fail(o.problem);
                }
            }
        }

        /** What the timeline saw. */
        private static final class Outcome {
            LocalCluster.Node primary;
            long firstWrite = -1;
            boolean rejoined;
            int timeline;
            String problem;
        }

        private Outcome timeline(LocalCluster.Node old, Writer writer, EtcdClusterStore store) throws Exception {
            Outcome o = new Outcome();
            List<LocalCluster.Node> survivors = new ArrayList<>(cluster.nodes());
            survivors.remove(old);
            Set<String> stoppedStreaming = new HashSet<>();
            boolean leaderGone = false;
            boolean restarted = false;
            long promotedAt = -1;
            long oldPostmaster = old.postmasterPid();
            t0 = System.nanoTime();
            switch (fault) {
                case KILL_NODE -> old.kill();
                case STOP_AGENT -> {
                    Thread stopper = new Thread(() -> old.stop(Duration.ofSeconds(60)), "demo-sigterm");
                    stopper.setDaemon(true);
                    stopper.start();
                }
                case KILL_POSTGRES -> old.killPostgresNow();
            }
            killed = System.nanoTime();
            event(t0, "fault: " + String.format(fault.text, old.name()));
            long deadline = t0 + DEADLINE.toNanos();
            while (System.nanoTime() - deadline < 0) {
                for (LocalCluster.Node n : survivors) {
                    if (o.primary == null && !stoppedStreaming.contains(n.name()) && !streaming(n)) {
                        stoppedStreaming.add(n.name());
                        event(System.nanoTime(), n.name() + " lost its WAL stream from " + old.name());
                    }
                }
                if (!leaderGone) {
                    Optional<String> holder = leaderKeyHolder(store);
                    if (holder != null && !holder.equals(Optional.of(old.name()))) {
                        leaderGone = true;
                        event(System.nanoTime(), "leader key of " + old.name() + " expired"
                                + holder.map(h -> "; now held by " + h).orElse(""));
                    }
                }
                if (o.primary == null) {
                    List<LocalCluster.Node> candidates = new ArrayList<>(survivors);
                    if (fault == Fault.KILL_POSTGRES && old.postmasterPid() > 0 && old.postmasterPid() != oldPostmaster) {
                        candidates.add(old);  // postgres restarted in place
                    }
                    for (LocalCluster.Node n : candidates) {
                        Optional<LocalCluster.Response> r = cluster.get(n, "/primary");
                        if (r.isPresent() && r.get().status() == 200) {
                            o.primary = n;
                            promotedAt = System.nanoTime();
                            JsonNode tl = r.get().body().path("timeline");
                            event(promotedAt, "promoted: " + n.name() + (tl.isMissingNode() ? "" : " (timeline "
                                    + tl.asText() + ")"));
                            break;
                        }
                    }
                }
                if (o.primary != null && o.firstWrite < 0) {
                    o.firstWrite = writer.firstAckAfter(o.primary == old ? promotedAt : t0, o.primary.pgPort());
                    if (o.firstWrite > 0) {
                        event(o.firstWrite, "first write through HAProxy on the new primary " + o.primary.name());
                    }
                }
                // Restart the old primary once writes flow again (or a while after the promotion,
                // so that a stalled writer does not keep it down).
                if (!restarted && o.primary != null
                        && (o.firstWrite > 0 || System.nanoTime() - promotedAt > 30_000_000_000L)) {
                    if (o.primary == old) {
                        event(System.nanoTime(), "postgres restarted in place on " + old.name()
                                + " (within primary_start_timeout)");
                        o.rejoined = true;
                        break;
                    } else if (fault != Fault.KILL_POSTGRES) {
                        if (fault == Fault.STOP_AGENT) {
                            old.stop(Duration.ofSeconds(60));
                        }
                        old.start();
                        event(System.nanoTime(), "restarted " + old.name() + "'s agent");
                    }
                    restarted = true;
                }
                if (restarted && cluster.get(old, "/replica").map(r -> r.status() == 200).orElse(false)) {
                    o.rejoined = true;
                    event(System.nanoTime(), old.name() + " streams again from " + o.primary.name());
                    break;
                }
                Thread.sleep(POLL_MILLIS);
            }
            if (o.primary == null) {
                o.problem = "no surviving member was promoted within " + DEADLINE.toSeconds() + " s after the kill";
            } else if (o.firstWrite < 0) {
                o.problem = "no write reached the new primary " + o.primary.name() + " through HAProxy within "
                        + DEADLINE.toSeconds() + " s (last writer error: " + writer.lastError() + ")";
            } else if (!o.rejoined) {
                o.problem = old.name() + " did not stream again from " + o.primary.name() + " within "
                        + DEADLINE.toSeconds() + " s after the kill";
            }
            if (o.rejoined) {
                // Healed: one primary, every other member running and streaming from it, and every
                // member key in etcd on the new timeline (they are refreshed once per loop).
                LocalCluster.await(Duration.ofSeconds(30), () -> unsettled(store) == null);
                Optional<LocalCluster.Node> now = cluster.primary();
                if (now.isPresent() && now.get() != o.primary) {
                    event(System.nanoTime(), "primary is now " + now.get().name());
                    o.primary = now.get();
                }
                o.problem = unsettled(store);
                o.timeline = cluster.get(o.primary, "/patroni").map(r -> r.body().path("timeline").asInt(0)).orElse(0);
            }
            return o;
        }

        /** Null if etcd could not be read; empty if there is no leader key. */
        private Optional<String> leaderKeyHolder(EtcdClusterStore store) {
            try {
                return store.read().leaderKey().map(LeaderKey::name);
            } catch (RuntimeException e) {
                return null;
            }
        }

        private boolean streaming(LocalCluster.Node n) {
            return cluster.get(n, "/patroni")
                    .map(r -> "streaming".equals(r.body().path("replication_state").asText()))
                    .orElse(false);
        }

        /** Null when the cluster is healed, else what is still wrong. */
        private String unsettled(EtcdClusterStore store) {
            Optional<LocalCluster.Node> p = cluster.primary();
            if (p.isEmpty()) {
                return "there is no single primary";
            }
            int timeline = cluster.get(p.get(), "/patroni").map(r -> r.body().path("timeline").asInt(0)).orElse(0);
            List<String> wrong = new ArrayList<>();
            for (LocalCluster.Node n : cluster.nodes()) {
                if (n != p.get() && !(n.isAgentAlive()
                        && cluster.get(n, "/replica").map(r -> r.status() == 200).orElse(false))) {
                    wrong.add(n.name() + " is not a running replica streaming from " + p.get().name());
                }
            }
            try {
                for (MemberKey m : store.read().members().values()) {
                    int tl = JSON.readTree(m.json()).path("timeline").asInt(0);
                    if (tl != timeline) {
                        wrong.add(m.name() + " shows timeline " + tl + " in etcd, not " + timeline);
                    }
                }
            } catch (IOException | RuntimeException e) {
                wrong.add("cannot read the member keys: " + e.getMessage());
            }
            return wrong.isEmpty() ? null : String.join("; ", wrong);
        }

        /** Which writes were lost and when they had been acknowledged, relative to the fault. */
        private String lostDetail(Set<Long> lost, List<Writer.Ack> acks) {
            if (lost.isEmpty()) {
                return "";
            }
            long first = Long.MAX_VALUE;
            long last = Long.MIN_VALUE;
            for (Writer.Ack a : acks) {
                if (lost.contains(a.id())) {
                    first = Math.min(first, a.nanos() - t0);
                    last = Math.max(last, a.nanos() - t0);
                }
            }
            return String.format(" (ids %s, acknowledged between %+.2f s and %+.2f s; the SIGKILLs took %.2f s;"
                    + " asynchronous replication)", abbreviate(lost), first / 1e9, last / 1e9, (killed - t0) / 1e9);
        }

        private void event(long nanos, String what) {
            say(String.format("  +%6.2f s  %s", (nanos - t0) / 1e9, what));
        }

        private ExitException fail(String why) {
            cluster.keepFiles();
            return ExitException.failed("failover demo: " + why + "; files kept in " + base
                    + " (agent logs: " + base.resolve("node*").resolve("agent.log") + ")");
        }
    }

    private static String abbreviate(Set<Long> ids) {
        List<Long> l = new ArrayList<>(ids);
        String s = l.subList(0, Math.min(10, l.size())).toString();
        return l.size() > 10 ? s.substring(0, s.length() - 1) + ", ...]" : s;
    }

    static String table(LocalCluster cluster) {
        try (EtcdClusterStore store = new EtcdClusterStore(List.of(cluster.etcdEndpoint()),
                new KeyLayout("/service/", cluster.scope()), "baton-ctl", 10, Duration.ofSeconds(5), System::nanoTime)) {
            ClusterView view = ClusterView.of(store.read(), DynamicConfig.defaults());
            return ListCommand.table(cluster.scope(), view, ListCommand.rows(cluster.scope(), view));
        } catch (RuntimeException e) {
            return "(cannot read the cluster: " + e.getMessage() + ")\n";
        }
    }
}
