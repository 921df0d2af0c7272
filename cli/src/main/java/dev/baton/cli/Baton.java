package dev.baton.cli;

import dev.baton.agent.logging.Logging;
import dev.baton.cli.aws.AwsCommand;
import dev.baton.cli.certs.CertsCommand;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code baton} command line. */
@Command(name = "baton", mixinStandardHelpOptions = true, versionProvider = Version.Provider.class,
        description = "PostgreSQL high availability on etcd.%n",
        subcommands = {AgentCommand.class, ListCommand.class, TopologyCommand.class, SwitchoverCommand.class,
                FailoverCommand.class, RestartCommand.class, ReloadCommand.class, ReinitCommand.class,
                PauseCommand.class, ResumeCommand.class, PromoteClusterCommand.class, DemoteClusterCommand.class, ShowConfigCommand.class, EditConfigCommand.class, QueryCommand.class,
                DsnCommand.class,
                HistoryCommand.class, FlushCommand.class, RemoveCommand.class, DemoCommand.class, DrillCommand.class,
                VersionCommand.class, WatchdogCommand.class, AwsCommand.class, CertsCommand.class, BackupCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"%nExit codes: 0 ok, 1 action failed or refused, 2 bad input.",
                "Documentation: docs/ in the Baton source tree."})
public final class Baton implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    // patronictl's global options, given before the command (patronictl -c FILE list). The cluster
    // commands read them when they are not given after the command (ClusterSelection, RestClientOptions).

    @CommandLine.Option(names = {"-c", "--config", "--config-file"}, paramLabel = "FILE",
            description = "Agent configuration, for the cluster commands (as their -c).")
    java.nio.file.Path config;

    @CommandLine.Option(names = {"-d", "--dcs-url", "--dcs"}, paramLabel = "URL",
            description = "etcd3://HOST:PORT or HOST:PORT, for the cluster commands (as their --dcs-url).")
    String dcsUrl;

    @CommandLine.Option(names = {"-k", "--insecure"},
            description = "Do not verify the agents' REST API certificates, for the cluster commands (as their -k).")
    boolean insecure;

    /** How watching commands ({@code list -w}) wait between refreshes; tests replace it. */
    Watch watch = new Watch(Thread::sleep, Long.MAX_VALUE);

    /**
     * The pause between two refreshes of a watching command, and how many refreshes at most
     * ({@link Long#MAX_VALUE}: until interrupted).
     */
    record Watch(Sleeper sleeper, long maxRefreshes) {
    }

    /** Waits; {@link Thread#sleep(long)} outside tests. */
    interface Sleeper {
        void sleep(long millis) throws InterruptedException;
    }

    private Input input = new Input(System.in, System.console() != null);

    /** The editor {@code edit-config} opens when given no change; tests replace it. */
    EditorSession editor = EditorSession.system();

    /** Where commands read confirmations (and {@code --apply -}) from. */
    Input input() {
        return input;
    }

    /**
     * The command's standard input. {@code interactive} tells whether a person can answer
     * questions on it: commands that would ask for a confirmation refuse (exit 2, "pass --force")
     * when it is false.
     */
    static final class Input {
        private final InputStream stream;
        private final boolean interactive;
        private BufferedReader reader;

        Input(InputStream stream, boolean interactive) {
            this.stream = stream;
            this.interactive = interactive;
        }

        boolean interactive() {
            return interactive;
        }

        /** One line without its end, or null at the end of the input. */
        synchronized String readLine() {
            try {
                if (reader == null) {
                    reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8));
                }
                return reader.readLine();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read standard input: " + e.getMessage(), e);
            }
        }

        /** Everything left on the input. */
        synchronized String readAll() {
            try {
                if (reader == null) {
                    return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
                }
                StringBuilder sb = new StringBuilder();
                char[] buf = new char[8192];
                for (int n; (n = reader.read(buf)) > 0;) {
                    sb.append(buf, 0, n);
                }
                return sb.toString();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read standard input: " + e.getMessage(), e);
            }
        }
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * The options given before the command are patronictl's, for the commands that talk to a
     * cluster (those with --dcs-url); any other command would ignore them: exit 2 rather than that.
     */
    private static void globalOptionsApply(CommandLine.ParseResult root) {
        List<String> given = new java.util.ArrayList<>();
        for (String name : List.of("--config", "--dcs-url", "--insecure")) {
            if (root.hasMatchedOption(name)) {
                given.add(name);
            }
        }
        if (given.isEmpty()) {
            return;
        }
        CommandLine.ParseResult leaf = root;
        while (leaf.hasSubcommand()) {
            leaf = leaf.subcommand();
        }
        if (leaf == root || leaf.commandSpec().findOption("--dcs-url") == null) {
            throw new CommandLine.ParameterException(leaf.commandSpec().commandLine(), "options before the command ("
                    + String.join(", ", given) + ") are for the commands that talk to a cluster"
                    + (leaf == root ? "; give a command" : ", not for '" + leaf.commandSpec().qualifiedName() + "'"));
        }
    }

    public static void main(String[] args) {
        Logging.install();
        Logging.configure(System.getenv("BATON_LOG_FORMAT"));
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code = commandLine(out, err).execute(args);
        // print() does not autoflush: without this a table printed last would be lost at exit.
        out.flush();
        err.flush();
        System.exit(code);
    }

    /**
     * The fully configured command line, for main and for tests. Confirmations are read from
     * {@code System.in}, and asked only when there is a terminal ({@code System.console()}).
     */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return commandLine(out, err, System.in, System.console() != null);
    }

    /**
     * The command line reading its standard input (confirmations, {@code --apply -}) from
     * {@code in}, which is treated as interactive: a test feeds "y\n" here.
     */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err, InputStream in) {
        return commandLine(out, err, in, true);
    }

    /** As above, saying whether {@code in} is interactive (a terminal a person answers on). */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err, InputStream in, boolean interactive) {
        Baton root = new Baton();
        root.input = new Input(in, interactive);
        CommandLine cl = new CommandLine(root);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExitCodeExceptionMapper(e -> e instanceof ExitException x ? x.code() : BaseCommand.EXIT_FAILED);
        cl.setExecutionStrategy(parseResult -> {
            globalOptionsApply(parseResult);
            return new CommandLine.RunLast().execute(parseResult);
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("baton: " + ex.getMessage());
            c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for more information.");
            return BaseCommand.EXIT_BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            boolean verbose = false;
            for (CommandLine.ParseResult pr = parseResult; pr != null; pr = pr.hasSubcommand() ? pr.subcommand() : null) {
                verbose |= pr.hasMatchedOption("--verbose");
            }
            if (ex instanceof ExitException x) {
                if (x.getMessage() != null) {
                    c.getErr().println("baton: " + x.getMessage());
                }
                return x.code();
            }
            c.getErr().println("baton: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            if (verbose) {
                ex.printStackTrace(c.getErr());
            }
            return BaseCommand.EXIT_FAILED;
        });
        return cl;
    }
}
