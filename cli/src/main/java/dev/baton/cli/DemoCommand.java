package dev.baton.cli;

import dev.baton.cli.drill.Fault;
import dev.baton.cli.local.LocalCluster;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.etcd.EtcdClusterStore;
import dev.baton.leader.model.ClusterView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "demo", description = {"Start a throwaway local cluster (etcd, 3 agents with PostgreSQL, HAProxy)",
        "and show it working: SIGKILL of the primary under a write load, the failover and the old primary",
        "rejoining. Everything lives in a temporary directory and is removed at the end."})
public final class DemoCommand extends BaseCommand {

    @Mixin
    LocalClusterOptions local;

    @Option(names = "--dir", paramLabel = "DIR", description = "Where to put the cluster (default: a new temporary directory).")
    Path dir;

    @Option(names = "--wait", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "After showing the cluster, keep it running until Enter or Ctrl-C (only on a terminal).")
    boolean waitAtEnd;

    @Option(names = "--failover", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Show a failover: SIGKILL of the primary while a client writes through HAProxy, "
                    + "the timeline until the old primary streams again, and how many acknowledged writes were lost.")
    boolean failover;

    /** The fault the failover demo injects into the primary: one of the drill's. */
    enum DemoFault {
        KILL_NODE("kill-node", Fault.KILL_NODE, "SIGKILL of %s (agent and postgres)"),
        STOP_AGENT("stop-agent", Fault.TERM_AGENT, "SIGTERM of %s's agent (graceful handover)"),
        KILL_POSTGRES("kill-postgres", Fault.KILL_POSTGRES, "SIGKILL of %s's postgres (the agent lives)");

        final String flag;
        final Fault drill;
        final String text;

        DemoFault(String flag, Fault drill, String text) {
            this.flag = flag;
            this.drill = drill;
            this.text = text;
        }

        static DemoFault parse(String s) {
            for (DemoFault f : values()) {
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

    @Option(names = "--primary-start-timeout", defaultValue = "10", paramLabel = "SECONDS",
            description = "primary_start_timeout of the demo cluster (default: ${DEFAULT-VALUE}; 0 = fail over "
                    + "at once when postgres dies under a live agent).")
    int primaryStartTimeout;

    @Override
    protected int execute() throws Exception {
        refuseRoot("baton demo");
        int nodes = local.nodes(1);
        DemoFault fault = DemoFault.parse(faultName);
        int ttl = local.ttl();
        if (primaryStartTimeout < 0) {
            throw ExitException.badInput("--primary-start-timeout: must be 0 or more, got " + primaryStartTimeout);
        }
        LocalCluster.Options options = LocalCluster.Options.defaults().withNodes(nodes).withTtl(ttl)
                .withDcs("primary_start_timeout: " + primaryStartTimeout);
        Path base = dir != null ? dir : Files.createTempDirectory("baton-demo-");
        if (dir != null && Files.exists(dir) && Files.list(dir).findAny().isPresent()) {
            throw ExitException.badInput("--dir: " + dir + " is not empty");
        }
        long t0 = System.nanoTime();
        say("Starting etcd, " + nodes + " Baton agents and HAProxy in " + base + " ...");
        try (LocalCluster cluster = LocalCluster.start(base, options)) {
            if (local.keep) {
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
                    new FailoverDemo(this, cluster, options, base, fault).run();
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
        say("Demo cluster stopped" + (local.keep ? "; files kept in " + base : " and removed") + ".");
        return EXIT_OK;
    }

    void say(String line) {
        out().println(line);
        out().flush();
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
