package dev.baton.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.agent.client.AgentClient;
import dev.baton.cli.drill.DrillReport;
import dev.baton.cli.drill.DrillRunner;
import dev.baton.cli.drill.DrillTarget;
import dev.baton.cli.drill.Dsn;
import dev.baton.cli.drill.Fault;
import dev.baton.cli.drill.IterationResult;
import dev.baton.cli.drill.LocalTarget;
import dev.baton.cli.drill.LoseCluster;
import dev.baton.cli.drill.RemoteTarget;
import dev.baton.cli.drill.SvgChart;
import dev.baton.cli.local.LocalCluster;
import dev.baton.config.BatonConfig;
import dev.baton.config.Credentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "drill", description = {
        "A failover drill: writers insert numbered rows through the load balancer",
        "while a fault hits the primary, iteration after iteration. Measures write",
        "unavailability, detection, promotion, load-balancer and rejoin times, lost",
        "acknowledged writes and split brain; writes drill.txt, drill.json and a",
        "picture (drill.svg). Default: a throwaway local cluster (etcd, agents,",
        "HAProxy, like baton demo); -c FILE --dsn URL: an existing cluster",
        "(switchover; the process faults too when its members run on this",
        "machine, e.g. a Patroni cluster). Exit 1 if an iteration split-brained,",
        "lost writes where none may be lost, or did not heal. See docs/drill.md."})
public final class DrillCommand extends BaseCommand {
    private static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /**
     * Held strongly: java.util.logging keeps loggers weakly, and a collected "io.etcd" logger
     * forgets its level, so that jetcd's retry warnings about the drill's own etcd reads (while
     * etcd is down, on purpose) would land between the progress lines.
     */

    @Option(names = "--fault", defaultValue = "kill-node", paramLabel = "KIND[,KIND...]",
            description = "kill-node (default), kill-postgres, kill-agent, stop-agent, switchover, partition-primary, "
                    + "etcd-down, term-agent or stop-agent-tree (SIGSTOP of the agent and every process it started "
                    + "except postgres; writers straight to every member) or lose-cluster (a full backup, writes, every node "
                    + "killed and wiped, a new cluster restored from the repository; runs alone); several, "
                    + "comma-separated, run one after the other.")
    String faultList;

    @Option(names = "--iterations", defaultValue = "3", paramLabel = "N",
            description = "Iterations per fault (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--writers", defaultValue = "4", paramLabel = "N",
            description = "Concurrent writers (default: ${DEFAULT-VALUE}).")
    int writers;

    @Option(names = "--duration", paramLabel = "SECONDS",
            description = "How long stop-agent, stop-agent-tree, partition-primary and etcd-down last (default: 3 x ttl), after how "
                    + "long kill-agent restarts the agent (default: 5, systemd's RestartSec), and for lose-cluster the "
                    + "seconds of writes between the backup and the loss (default: 30).")
    Integer duration;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Where to write drill.json, drill.svg and drill.txt (default: ./baton-drill-<time>).")
    Path out;

    @Option(names = {"-f", "--format"}, defaultValue = "table", paramLabel = "FORMAT",
            description = "What to print at the end: table (default) or json (the report file's content).")
    String format;

    @Option(names = "--synchronous-mode", arity = "0..1", fallbackValue = "on", paramLabel = "MODE",
            description = "Run the local cluster with synchronous_mode: true (no value, on or true) or quorum (quorum "
            + "commit); then every iteration promises no lost acknowledged write (an existing cluster's mode is read "
            + "from etcd).")
    String synchronousMode;

    /** The local cluster's synchronous_mode line value: null (asynchronous), "true" or "quorum". */
    String synchronousModeValue() {
        if (synchronousMode == null) {
            return null;
        }
        return switch (synchronousMode.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "on", "true" -> "true";
            case "quorum" -> "quorum";
            default -> throw ExitException.badInput("--synchronous-mode: expected on, true or quorum, got \""
                    + synchronousMode + "\"");
        };
    }

    @Option(names = "--failsafe", description = "Run the local cluster with failsafe_mode: true (Patroni's): through "
            + "etcd-down the primary keeps taking writes while every member accepts POST /failsafe.")
    boolean failsafe;

    @Option(names = "--archive-timeout", paramLabel = "SECONDS",
            description = "lose-cluster: the local cluster's backup.archive_timeout, which bounds the writes a restore "
                    + "to latest can lose (default: 10).")
    Integer archiveTimeout;

    @Mixin
    LocalClusterOptions local;

    @Mixin
    ClusterOptions cluster;

    @Mixin
    RestClientOptions rest;

    /** The agents' REST client: plain for the drill's own local cluster, else {@link #rest}'s. */
    private AgentClient agents = new AgentClient(java.time.Duration.ofSeconds(1));

    @Option(names = "--dsn", paramLabel = "URL",
            description = "With -c FILE: the load-balanced endpoint of an existing cluster (JDBC URL, postgresql:// URI "
                    + "or libpq key=value); user and password default to the superuser of FILE (or PGPASSWORD).")
    String dsn;

    @Option(names = "--force", description = "Against an existing cluster: do not ask for a confirmation.")
    boolean force;

    @Override
    protected int execute() throws Exception {
        format(format, "table", "json");
        List<Fault> faults;
        try {
            faults = Fault.parseList(faultList);
        } catch (IllegalArgumentException e) {
            throw ExitException.badInput("--fault: " + e.getMessage());
        }
        if (iterations < 1 || iterations > 1000) {
            throw ExitException.badInput("--iterations: must be between 1 and 1000, got " + iterations);
        }
        if (writers < 1 || writers > 64) {
            throw ExitException.badInput("--writers: must be between 1 and 64, got " + writers);
        }
        if (duration != null && (duration < 1 || duration > 3600)) {
            throw ExitException.badInput("--duration: must be between 1 and 3600 seconds, got " + duration);
        }
        boolean existing = dsn != null || cluster.config() != null || cluster.etcd != null || cluster.scope != null
                || cluster.namespace != null || cluster.dcsUrl() != null || cluster.clusterName != null;
        if (faults.contains(Fault.LOSE_CLUSTER) && faults.size() > 1) {
            throw ExitException.badInput("--fault lose-cluster: runs alone (it replaces the whole cluster), not with "
                    + "other faults");
        }
        if (archiveTimeout != null && !faults.contains(Fault.LOSE_CLUSTER)) {
            throw ExitException.badInput("--archive-timeout: applies to --fault lose-cluster only");
        }
        if (archiveTimeout != null && (archiveTimeout < 1 || archiveTimeout > 3600)) {
            throw ExitException.badInput("--archive-timeout: must be between 1 and 3600 seconds, got " + archiveTimeout);
        }
        synchronousModeValue();
        if (existing) {
            return existingCluster(faults);
        }
        if (faults.contains(Fault.LOSE_CLUSTER)) {
            return loseCluster();
        }
        LocalCluster.Options options = local.options(2);
        if (failsafe) {
            java.util.List<String> dcs = new java.util.ArrayList<>(options.dcsYaml());
            dcs.add("failsafe_mode: true");
            options = options.withDcs(dcs.toArray(String[]::new));
        }
        int n = options.nodes();
        int t = options.ttl();
        refuseRoot("baton drill (on a local cluster)");
        Path dir = outDir();
        Path base = Files.createTempDirectory("baton-drill-");
        PrintWriterProgress p = new PrintWriterProgress();
        p.say("baton drill: " + plan(faults) + " on a local cluster of " + n + " members (ttl " + t + " s), "
                + writers + " writers; results in " + dir);
        p.say("starting etcd, " + n + " agents and HAProxy in " + base + " ...");
        long t0 = System.nanoTime();
        LocalTarget target;
        try {
            target = LocalTarget.start(base, options, faults.contains(Fault.PARTITION_PRIMARY), synchronousModeValue(),
                    Duration.ofSeconds(180));
        } catch (IllegalStateException e) {
            throw ExitException.failed(e.getMessage());
        }
        if (local.keep) {
            target.keepFiles();
        }
        p.say(String.format(java.util.Locale.ROOT, "cluster ready in %.1f s", (System.nanoTime() - t0) / 1e9));
        Thread hook = new Thread(target::close, "baton-drill-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return drill(target, faults, t, target.loopWait(), dir);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook cleans up
            }
            target.close();
            err().println("baton drill: local cluster stopped" + (local.keep ? "; files kept in " + base : ""));
            err().flush();
        }
    }

    private int existingCluster(List<Fault> faults) throws Exception {
        if (dsn == null) {
            throw ExitException.badInput("an existing cluster needs --dsn URL: the load-balanced endpoint the writers use "
                    + "(run without -c to drill a local throwaway cluster)");
        }
        if (cluster.config() == null && cluster.etcd == null && cluster.dcsUrl() == null) {
            throw ExitException.badInput("--dsn needs -c FILE (an agent configuration, for etcd and the scope)");
        }
        if (local.given() || synchronousMode != null || failsafe) {
            throw ExitException.badInput("--nodes, --ttl, --synchronous-mode, --failsafe and --keep apply to the local "
                    + "cluster only; the existing cluster's ttl, synchronous_mode and failsafe_mode are read from its "
                    + "config key");
        }
        List<String> local = new ArrayList<>();
        List<Fault> process = new ArrayList<>();
        for (Fault f : faults) {
            if (RemoteTarget.PROCESS_FAULTS.contains(f)) {
                process.add(f);
            } else if (f.needsLocal()) {
                local.add(f.flag());
            }
        }
        if (!local.isEmpty()) {
            throw ExitException.badInput("--fault " + String.join(",", local) + ": partition-primary, etcd-down, "
                    + "term-agent, stop-agent-tree and lose-cluster need a local cluster started by the drill (run without -c and --dsn); against an existing cluster the "
                    + "drill injects switchover (over REST), and kill-node, kill-postgres, kill-agent and stop-agent "
                    + "when its members run on this machine");
        }
        ClusterOptions.Target where = cluster.resolve(err());
        agents = RestClientOptions.client(rest.settings(cluster, System.getenv(), err()));
        String user = null;
        String password = System.getenv("PGPASSWORD");
        if (cluster.config() != null) {
            BatonConfig c = ConfigSupport.load(cluster.config(), System.getenv(), err());
            Credentials su = c.postgresql() == null ? null : c.postgresql().authentication().superuser();
            if (su != null) {
                user = su.username();
                if (su.password() != null) {
                    password = su.password();
                }
            }
        }
        Dsn d;
        try {
            d = Dsn.parse(dsn, user, password);
        } catch (IllegalArgumentException e) {
            throw ExitException.badInput(e.getMessage());
        }
        RemoteTarget target;
        try {
            target = new RemoteTarget(where.access(), where.layout(), d);
        } catch (IllegalStateException e) {
            throw ExitException.failed(e.getMessage());
        }
        Thread hook = null;
        try {
            if (!process.isEmpty()) {
                // Refuse before anything happens unless every member's processes are on this machine.
                target.locateProcesses();
                List<String> refused = new ArrayList<>();
                Set<String> why = new LinkedHashSet<>();
                for (Fault f : process) {
                    if (!target.canInject(f)) {
                        refused.add(f.flag());
                        why.addAll(target.problems(f));
                    }
                }
                if (!refused.isEmpty()) {
                    throw ExitException.badInput("--fault " + String.join(",", refused) + ": cannot be injected into "
                            + "cluster " + where.layout().scope() + " from here: " + String.join("; ", why) + ". "
                            + "kill-node, kill-postgres, kill-agent and stop-agent need every member's agent (the "
                            + "process listening on its REST port) and postmaster (from its data_directory) on this "
                            + "machine, and the drill run by the user that runs them; switchover works from anywhere");
                }
            }
            Path dir = outDir();
            target.logTo(dir);
            confirm("Run " + plan(faults) + " on cluster " + where.layout().scope() + ", writing rows into table "
                    + "baton_writes through " + d.display()
                    + (process.isEmpty() ? "" : ", killing and stopping its members' processes on this machine") + "?",
                    force);
            if (!process.isEmpty()) {
                // Ctrl-C must not leave an agent stopped or killed: close() continues and restarts them.
                hook = new Thread(target::close, "baton-drill-cleanup");
                Runtime.getRuntime().addShutdownHook(hook);
            }
            new PrintWriterProgress().say("baton drill: " + plan(faults) + " on " + target.describe() + ", "
                    + writers + " writers; results in " + dir);
            return drill(target, faults, target.ttl(), target.loopWait(), dir);
        } finally {
            if (hook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // the JVM is shutting down: the hook cleans up
                }
            }
            target.close();
        }
    }

    private int drill(DrillTarget target, List<Fault> faults, int ttl, int loopWait, Path dir) throws Exception {
        Map<Fault, Integer> durations = new LinkedHashMap<>();
        for (Fault f : faults) {
            if (f.usesDuration()) {
                durations.put(f, duration != null ? duration : f.defaultDurationSeconds(ttl));
            }
        }
        DrillRunner runner = new DrillRunner(target, new DrillRunner.Settings(faults, iterations, writers, ttl, loopWait,
                durations),
                DrillRunner.Listener.printing(err()), agents);
        Instant started = Instant.now();
        List<IterationResult> results = new ArrayList<>();
        List<String> args = spec.commandLine().getParseResult().originalArgs();
        try {
            runner.run(r -> {
                results.add(r);
                // Keep the files current, so that an interrupted drill leaves what it measured.
                write(dir, target, faults, durations, started, results, runner, args, -1);
            });
        } catch (IllegalStateException e) {
            target.keepFiles();
            throw ExitException.failed("the writers could not start: " + e.getMessage()
                    + (target.filesHint() == null ? "" : "; files kept in " + target.filesHint()));
        }
        List<String> failures = DrillReport.failures(results);
        int code = failures.isEmpty() ? EXIT_OK : EXIT_FAILED;
        ObjectNode json = write(dir, target, faults, durations, started, results, runner, args, code);
        if (format.equals("json")) {
            out().println(PRETTY.writeValueAsString(json));
        } else {
            out().println();
            out().print(Files.readString(dir.resolve("drill.txt")));
            out().println();
            out().println("files: " + dir.resolve("drill.txt") + ", " + dir.resolve("drill.json") + ", "
                    + dir.resolve("drill.svg"));
        }
        out().flush();
        if (!failures.isEmpty()) {
            boolean unhealed = results.stream().anyMatch(r -> !r.healed());
            if (unhealed) {
                target.keepFiles();
            }
            for (String f : failures) {
                err().println("baton drill: FAILED " + f);
            }
            if (unhealed && target.filesHint() != null) {
                err().println("baton drill: the cluster's files are kept in " + target.filesHint());
            }
            err().flush();
        }
        return code;
    }

    private ObjectNode write(Path dir, DrillTarget target, List<Fault> faults, Map<Fault, Integer> durations,
                             Instant started, List<IterationResult> results, DrillRunner runner, List<String> args,
                             int code) {
        DrillReport.Run run = new DrillReport.Run(Version.get(), args, target.describe(), target.describeJson(), writers,
                iterations, faults, durations, started, Instant.now(), runner.acknowledged());
        ObjectNode json = DrillReport.json(run, results, code);
        try {
            Files.writeString(dir.resolve("drill.json"), PRETTY.writeValueAsString(json) + "\n");
            Files.writeString(dir.resolve("drill.txt"), DrillReport.table(run, results));
            Files.writeString(dir.resolve("drill.svg"), SvgChart.render("baton drill: " + plan(faults),
                    target.describe() + ", " + writers + " writers; acknowledged writes per 100 ms", results));
        } catch (IOException e) {
            err().println("baton drill: cannot write the results to " + dir + ": " + e.getMessage());
        }
        return json;
    }

    /** {@code --fault lose-cluster}: a local cluster with a repository, lost and restored {@code --iterations} times. */
    private int loseCluster() throws Exception {
        LocalCluster.Options options = local.options(1);
        int n = options.nodes();
        int at = archiveTimeout != null ? archiveTimeout : LoseCluster.DEFAULT_ARCHIVE_TIMEOUT;
        int writeSeconds = duration != null ? duration : LoseCluster.DEFAULT_WRITE_SECONDS;
        refuseRoot("baton drill (on a local cluster)");
        Path dir = outDir();
        Path base = Files.createTempDirectory("baton-drill-");
        List<Fault> faults = List.of(Fault.LOSE_CLUSTER);
        PrintWriterProgress p = new PrintWriterProgress();
        p.say("baton drill: " + plan(faults) + " on a local cluster of " + n + " members (ttl " + options.ttl()
                + " s, archive_timeout " + at + " s), " + writers + " writers; results in " + dir);
        p.say("starting etcd, " + n + " agents and HAProxy in " + base + " with a backup repository in "
                + base.resolve("repository") + " ...");
        LocalCluster first = LocalCluster.start(base.resolve(options.scope()), LoseCluster.withRepository(options, base, at));
        Duration timeout = Duration.ofSeconds(600);
        LoseCluster loser = new LoseCluster(base, writers, writeSeconds, timeout, local.keep,
                DrillRunner.Listener.printing(err()));
        Thread hook = new Thread(loser::close, "baton-drill-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        Instant started = Instant.now();
        List<String> args = spec.commandLine().getParseResult().originalArgs();
        String described = "a local cluster (" + n + " members, ttl " + options.ttl() + " s, HAProxy, one etcd, a posix "
                + "backup repository, archive_timeout " + at + " s)";
        ObjectNode targetJson = PRETTY.createObjectNode().put("mode", "local").put("members", n).put("ttl", options.ttl())
                .put("archive_timeout", at).put("repository", "posix");
        Map<Fault, Integer> durations = Map.of(Fault.LOSE_CLUSTER, writeSeconds);
        List<LoseCluster.Result> results = new ArrayList<>();
        boolean failed = false;
        try {
            if (!LocalCluster.await(Duration.ofSeconds(180), () -> first.healthy(n - 1))) {
                failed = true;
                first.keepFiles();
                first.close();
                throw ExitException.failed("the local cluster did not become healthy within 180 s; its files are kept in "
                        + base);
            }
            p.say("cluster ready; " + LoseCluster.method(writeSeconds));
            loser.run(first, iterations, r -> {
                results.add(r);
                writeLoseCluster(dir, described, targetJson, durations, started, results, args, -1);
            });
            failed = !DrillReport.loseClusterFailures(results).isEmpty();
            int code = failed ? EXIT_FAILED : EXIT_OK;
            ObjectNode json = writeLoseCluster(dir, described, targetJson, durations, started, results, args, code);
            if (format.equals("json")) {
                out().println(PRETTY.writeValueAsString(json));
            } else {
                out().println();
                out().print(Files.readString(dir.resolve("drill.txt")));
                out().println();
                out().println("files: " + dir.resolve("drill.txt") + ", " + dir.resolve("drill.json"));
            }
            out().flush();
            for (String f : DrillReport.loseClusterFailures(results)) {
                err().println("baton drill: FAILED " + f);
            }
            return code;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook cleans up
            }
            loser.close();
            boolean keep = local.keep || failed;
            if (!keep) {
                dev.baton.agent.postgres.DataDirectories.deleteTreeQuietly(base);
            }
            err().println("baton drill: local clusters stopped" + (keep ? "; files kept in " + base : ""));
            err().flush();
        }
    }

    private ObjectNode writeLoseCluster(Path dir, String described, ObjectNode targetJson, Map<Fault, Integer> durations,
                                        Instant started, List<LoseCluster.Result> results, List<String> args, int code) {
        long acknowledged = results.stream().mapToLong(LoseCluster.Result::acknowledged).sum();
        DrillReport.Run run = new DrillReport.Run(Version.get(), args, described, targetJson, writers, iterations,
                List.of(Fault.LOSE_CLUSTER), durations, started, Instant.now(), acknowledged);
        ObjectNode json = DrillReport.loseClusterJson(run, results, code);
        try {
            Files.writeString(dir.resolve("drill.json"), PRETTY.writeValueAsString(json) + "\n");
            Files.writeString(dir.resolve("drill.txt"), DrillReport.loseClusterTable(run, results));
        } catch (IOException e) {
            err().println("baton drill: cannot write the results to " + dir + ": " + e.getMessage());
        }
        return json;
    }

    private String plan(List<Fault> faults) {
        List<String> p = new ArrayList<>();
        for (Fault f : faults) {
            p.add(f.flag() + " x " + iterations);
        }
        return String.join(", ", p);
    }

    private Path outDir() {
        Path dir = out != null ? out : Path.of("baton-drill-" + LocalDateTime.now().format(
                DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw ExitException.badInput("--out: cannot create " + dir + ": " + e.getMessage());
        }
        if (!Files.isWritable(dir)) {
            throw ExitException.badInput("--out: " + dir + " is not writable");
        }
        return dir.toAbsolutePath();
    }

    /** Progress lines go to stderr, so that --format json leaves stdout to the report. */
    private final class PrintWriterProgress {
        void say(String line) {
            err().println(line);
            err().flush();
        }
    }
}
