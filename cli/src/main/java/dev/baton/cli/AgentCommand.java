package dev.baton.cli;

import dev.baton.agent.Agent;
import dev.baton.agent.AgentPreflight;
import dev.baton.agent.logging.Logging;
import dev.baton.agent.routing.RoutingMetrics;
import dev.baton.aws.routing.AwsRouting;
import dev.baton.config.BatonConfig;
import dev.baton.config.Timing;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.StoreUnavailableException;
import dev.baton.leader.etcd.EtcdAccess;
import dev.baton.leader.etcd.EtcdAccessDeniedException;
import dev.baton.leader.etcd.EtcdClusterStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "agent", description = {"Run the Baton agent beside one PostgreSQL instance.",
        "SIGTERM stops postgres cleanly and releases the leader key; SIGHUP re-reads the configuration "
                + "(as POST /reload)."})
public final class AgentCommand extends BaseCommand {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = {"Agent configuration (Patroni-style YAML; PATRONI_*/BATON_* environment variables "
                    + "override it).", "Without it, as Patroni: PATRONI_CONFIGURATION (or BATON_CONFIGURATION) "
                    + "holds the whole configuration, else the PATRONI_*/BATON_* variables alone."})
    Path config;

    @Option(names = "--validate-config", description = "Check the configuration, print every problem, and exit.")
    boolean validateOnly;

    @Override
    protected int execute() throws Exception {
        java.util.Map<String, String> env = System.getenv();
        dev.baton.config.ConfigLoader loader = new dev.baton.config.ConfigLoader(env);
        dev.baton.config.ConfigLoader.Loaded loaded = ConfigSupport.loadForAgent(config, loader, err());
        BatonConfig c = loaded.result().config();
        String source = config != null ? config.toString() : "the environment";
        // The same checks for both: --validate-config calls valid exactly what the agent would start with.
        List<AgentPreflight.Problem> problems = AgentPreflight.check(c, AgentPreflight.Host.system());
        if (validateOnly) {
            if (!problems.isEmpty()) {
                throw ExitException.badInput(refusal(problems));
            }
            out().println("configuration " + source + " is valid: the agent would start with it");
            out().println("checked: the file, and on this machine postgresql.bin_dir, postgresql.data_dir and "
                    + "the watchdog device (watchdog.mode: required)");
            out().println("not checked (only starting shows): " + AgentPreflight.NOT_CHECKED);
            return EXIT_OK;
        }
        refuseRoot("baton agent");
        if (!problems.isEmpty()) {
            throw ExitException.badInput(refusal(problems));
        }
        if (c.log() != null && "json".equalsIgnoreCase(c.log().format())) {
            // log.format (or Patroni 4's log.type): json switches to one JSON object per line.
            // Before setLevel: configure() resets the level.
            Logging.configure("json");
        }
        if (c.log() != null && c.log().level() != null) {
            Logging.setLevel(c.log().level());
        }
        // The file's timing until the config key is read; the HA loop then follows the key (Retiming).
        Timing start = c.bootstrap().dcs().timing().adjusted().timing();
        EtcdClusterStore store = new EtcdClusterStore(EtcdAccess.of(c.etcd()), new KeyLayout(c.namespace(), c.scope()),
                c.name(), start.ttl(), Duration.ofSeconds(start.retryTimeout()), System::nanoTime);
        try {
            // A wrong etcd user, password or permission is a configuration error: refuse to start
            // (exit 2) rather than retry forever. An etcd that does not answer is the HA loop's business.
            store.verifyAccess();
        } catch (EtcdAccessDeniedException e) {
            store.close();
            throw ExitException.badInput(e.getMessage());
        } catch (StoreUnavailableException e) {
            err().println("baton: etcd not reachable at start, the HA loop keeps trying: " + e.getMessage());
        }
        Agent agent;
        dev.baton.agent.backup.PgBackRest backups;
        try {
            // With a backup section: pgBackRest over the agent's process runner (docs/backup.md).
            backups = c.backup() == null ? null
                    : dev.baton.agent.backup.PgBackRest.create(c, new dev.baton.agent.process.SystemProcessRunner());
            agent = new Agent(c, store, Version.get(), backups);
        } catch (IllegalArgumentException e) {
            store.close();
            throw ExitException.badInput(e.getMessage());
        } catch (java.io.IOException e) {
            store.close();
            throw ExitException.failed("cannot listen on restapi.listen " + c.restapi().listen() + ": " + e.getMessage());
        }
        // SIGHUP and POST /reload re-read the configuration from where it came, with the start's environment.
        agent.enableLocalReload(new dev.baton.agent.LocalReload(() -> loader.loadWithTree(config), loader::fromTree,
                loaded.tree(), new dev.baton.agent.ha.CurrentConfig(c), source));
        if (c.aws() != null) {
            // Load balancer routing: its own thread; AWS API trouble never reaches the HA loop.
            // The agent closes it on shutdown, after a member leaving has taken itself out.
            agent.setRouter(AwsRouting.start(c.aws(),
                    new RoutingMetrics(agent.meterRegistry(), c.scope(), c.name()), System.getenv()));
        }
        // With backup.server: pgBackRest's TLS server on every member, for backups from a replica.
        dev.baton.agent.backup.PgBackRestServer server = backups == null || c.backup().server() == null ? null
                : dev.baton.agent.backup.PgBackRestServer.start(backups);
        Thread hook = new Thread(() -> {
            agent.close();
            if (server != null) {
                server.close();
            }
            // A clean stop on SIGTERM is a success: exit 0 rather than the JVM's 143.
            Runtime.getRuntime().halt(EXIT_OK);
        }, "baton-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        onHangUp(agent);
        agent.start();
        int code = agent.awaitExit();
        if (code != EXIT_OK) {
            Runtime.getRuntime().removeShutdownHook(hook);
            agent.close();
            if (server != null) {
                server.close();
            }
            err().println("baton: " + agent.loop().lastSentence());
        }
        return code;
    }

    /**
     * SIGHUP re-reads the configuration, as Patroni's does (only in the agent's process: the
     * watchdog has its own). On its own thread: a reload waits for postgres.
     */
    @SuppressWarnings("restriction")
    private static void onHangUp(Agent agent) {
        try {
            sun.misc.SignalHandler before = sun.misc.Signal.handle(new sun.misc.Signal("HUP"), s -> {
                Thread t = new Thread(agent::reloadOnSignal, "baton-sighup");
                t.setDaemon(true);
                t.start();
            });
            if (before == sun.misc.SignalHandler.SIG_IGN) {
                // The JVM installs no handler for a signal ignored at its start (nohup does that).
                System.err.println("baton: warning: SIGHUP is ignored in this process (started under nohup?), so it "
                        + "cannot reload the configuration; use POST /reload (baton reload)");
            }
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            System.err.println("baton: SIGHUP cannot be handled here (" + e.getMessage() + "); use POST /reload");
        }
    }

    /** Every problem, one per line, those found on this machine marked so (another machine may differ). */
    private String refusal(List<AgentPreflight.Problem> problems) {
        StringBuilder sb = new StringBuilder("the agent would not start with "
                + (config != null ? config.toString() : "the environment") + " (" + problems.size()
                + (problems.size() == 1 ? " problem" : " problems") + "):");
        for (AgentPreflight.Problem p : problems) {
            sb.append("\n  ").append(p);
            if (p.scope() == AgentPreflight.Scope.HOST) {
                sb.append(" (on this machine)");
            }
        }
        return sb.toString();
    }
}
