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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/** The {@code baton} command line. */
@Command(name = "baton", mixinStandardHelpOptions = true, versionProvider = Version.Provider.class,
        description = "PostgreSQL high availability on etcd.%n",
        footer = {"%nExit codes: 0 ok, 1 action failed or refused, 2 bad input.",
                "Documentation: docs/ in the Baton source tree."})
public final class Baton implements Runnable {

    /**
     * The commands, in the order {@code baton --help} lists them. Not in {@code @Command(subcommands)}:
     * picocli would build (and instantiate) every one of them for each run, which was most of
     * {@code baton list}'s start-up (see {@link #commandLine(String[], PrintWriter, PrintWriter)}).
     */
    static final List<Class<?>> COMMANDS = List.of(AgentCommand.class, ListCommand.class, TopologyCommand.class,
            SwitchoverCommand.class, FailoverCommand.class, RestartCommand.class, ReloadCommand.class,
            ReinitCommand.class, PauseCommand.class, ResumeCommand.class, PromoteClusterCommand.class,
            DemoteClusterCommand.class, ShowConfigCommand.class, EditConfigCommand.class, QueryCommand.class,
            DsnCommand.class, HistoryCommand.class, FlushCommand.class, RemoveCommand.class, DemoCommand.class,
            DrillCommand.class, VersionCommand.class, WatchdogCommand.class, AwsCommand.class, CertsCommand.class,
            BackupCommand.class, CommandLine.HelpCommand.class);

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
        // java.util.logging's set-up (it looks through the jar for service providers: about 50 ms) runs on a
        // second core while picocli finds the command; the command is built only once it is done.
        StartUp logging = StartUp.start(() -> Logging.configure(System.getenv("BATON_LOG_FORMAT")));
        if (readsCluster(args)) {
            StartUp.start(Baton::warmJson); // not waited for: the command's own use of Jackson waits if need be
        }
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code = commandLine(args, out, err, logging).execute(args);
        // print() does not autoflush: without this a table printed last would be lost at exit.
        out.flush();
        err.flush();
        System.exit(code);
    }

    /**
     * Start-up work on a second thread (docs/performance.md, Footprint): the machine's other core does
     * it while this one parses. {@link #await()} waits for it and throws what it threw.
     */
    static final class StartUp {
        private final Thread thread;
        private volatile Throwable failure;

        private StartUp(Runnable work) {
            thread = new Thread(() -> {
                try {
                    work.run();
                } catch (Throwable t) {
                    failure = t;
                }
            }, "baton-start-up");
            thread.setDaemon(true);
        }

        static StartUp start(Runnable work) {
            StartUp s = new StartUp(work);
            s.thread.start();
            return s;
        }

        void await() {
            boolean interrupted = false;
            while (true) {
                try {
                    thread.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (failure instanceof RuntimeException e) {
                throw e;
            }
            if (failure instanceof Error e) {
                throw e;
            }
        }
    }

    /**
     * Whether {@code args} may run a command that reads the cluster, so that warming Jackson up
     * ({@link #warmJson()}) pays: anything but help and the version. Only a guess for the warm-up,
     * which changes no output; picocli alone decides what runs.
     */
    static boolean readsCluster(String[] args) {
        if (args.length == 0) {
            return false;
        }
        for (String a : args) {
            if (Set.of("-h", "--help", "help", "-V", "--version", "version").contains(a)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Loads and initialises Jackson's databind (ObjectMapper's defaults build a SimpleDateFormat and
     * with it the JDK's locale data: about 50 ms) ahead of the command's first etcd answer. Nothing
     * is kept: only the classes' initialisation, which every later ObjectMapper shares.
     */
    static void warmJson() {
        try {
            new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"k\":[1,\"v\",true,null,{\"n\":1.5}]}");
        } catch (Exception ignored) {
            // only a warm-up: the command reads and reports its own JSON
        }
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
        return commandLine(null, out, err, in, interactive, c -> true, null);
    }

    /**
     * The command line for running {@code args} once (main): the same as {@link #commandLine(PrintWriter,
     * PrintWriter)}, except that only the command {@code args} runs is built in full. Every other
     * command is a stand-in with its name, aliases and description, enough for {@code baton --help}
     * and picocli's "did you mean" on a misspelt command. A stand-in that runs after all (a parse
     * that went otherwise than {@link #commandsRun}'s) runs {@code args} on the full command line.
     */
    static CommandLine commandLine(String[] args, PrintWriter out, PrintWriter err) {
        return commandLine(args, out, err, null);
    }

    /**
     * As above, waiting for {@code ready} (main's logging set-up) once the command is known and
     * before it is built: commands may log from then on.
     */
    static CommandLine commandLine(String[] args, PrintWriter out, PrintWriter err, StartUp ready) {
        java.util.concurrent.Callable<Integer> fullRun = () -> commandLine(out, err).execute(args);
        // One tree: the stand-ins find the command, then the commands run replace theirs, in place.
        CommandLine cl = standIns(new Baton(), fullRun);
        Set<String> run = commandsRun(cl, args);
        if (ready != null) {
            ready.await();
        }
        return commandLine(cl, out, err, System.in, System.console() != null, c -> run.contains(name(c)), fullRun);
    }

    /** {@code root} with every command as a stand-in that runs {@code run}. */
    private static CommandLine standIns(Baton root, java.util.concurrent.Callable<Integer> run) {
        CommandLine cl = new CommandLine(root);
        for (Class<?> c : COMMANDS) {
            CommandSpec standIn = standIn(c, run);
            cl.addSubcommand(standIn.name(), standIn);
        }
        return cl;
    }

    /**
     * The names of the commands {@code args} runs, as picocli parses them with every command a
     * stand-in that takes any arguments: the command, and for {@code help COMMAND} that command
     * too. Empty when there is none; every command when the options before it do not parse (the
     * full command line then reports them).
     */
    static Set<String> commandsRun(String[] args) {
        return commandsRun(standIns(new Baton(), () -> 0), args);
    }

    private static Set<String> commandsRun(CommandLine standIns, String[] args) {
        CommandLine.ParseResult parsed;
        try {
            parsed = standIns.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            Set<String> all = new HashSet<>();
            COMMANDS.forEach(c -> all.add(name(c)));
            return all;
        }
        Set<String> run = new HashSet<>();
        if (parsed.hasSubcommand()) {
            CommandLine.ParseResult command = parsed.subcommand();
            run.add(command.commandSpec().name());
            if (command.commandSpec().name().equals("help") && command.hasMatchedPositional(0)) {
                String[] words = command.matchedPositional(0).getValue();
                if (words.length > 0) {
                    String word = words[0];
                    standIns.getSubcommands().values().stream()
                            .filter(sub -> sub.getCommandSpec().names().contains(word))
                            .forEach(sub -> run.add(sub.getCommandName()));
                }
            }
        }
        return run;
    }

    /** A command's name, from its {@code @Command} annotation (read without instantiating the class). */
    private static String name(Class<?> command) {
        return command.getAnnotation(Command.class).name();
    }

    /**
     * A command with {@code command}'s names and description that takes any arguments and runs
     * {@code run}.
     */
    private static CommandSpec standIn(Class<?> command, java.util.concurrent.Callable<Integer> run) {
        Command a = command.getAnnotation(Command.class);
        CommandSpec spec = CommandSpec.wrapWithoutInspection(run);
        spec.name(a.name()).aliases(a.aliases());
        spec.usageMessage().description(a.description()).header(a.header()).hidden(a.hidden());
        spec.parser().unmatchedOptionsArePositionalParams(true);
        spec.addPositional(CommandLine.Model.PositionalParamSpec.builder().index("0..*").arity("0..*")
                .type(String[].class).build());
        return spec;
    }

    /**
     * The command line with the commands {@code full} accepts built in full, the others stand-ins
     * that run {@code standInRun}: {@code cl} when given (its stand-ins are kept, in their order),
     * else a new one.
     */
    private static CommandLine commandLine(CommandLine given, PrintWriter out, PrintWriter err, InputStream in,
                                           boolean interactive, Predicate<Class<?>> full,
                                           java.util.concurrent.Callable<Integer> standInRun) {
        CommandLine cl = given != null ? given : new CommandLine(new Baton());
        ((Baton) cl.getCommand()).input = new Input(in, interactive);
        java.util.Map<String, CommandLine> standIns = new java.util.HashMap<>(cl.getSubcommands());
        standIns.keySet().forEach(name -> cl.getCommandSpec().removeSubcommand(name));
        for (Class<?> c : COMMANDS) {
            CommandLine standIn = standIns.get(name(c));
            if (full.test(c) || standInRun == null) {
                cl.addSubcommand(new CommandLine(c));
            } else if (standIn != null) {
                cl.addSubcommand(standIn.getCommandName(), standIn);
            } else {
                CommandSpec spec = standIn(c, standInRun);
                cl.addSubcommand(spec.name(), spec);
            }
        }
        cl.setOut(out);
        cl.setErr(err);
        // Named classes, not lambdas: JDK 17's static CDS archive leaves out an old (Java 5) interface
        // such as picocli's handlers once a lambda has linked it at dump time, and then they and
        // RunLast are read from the jar on every run (packaging/cds-archive.sh).
        cl.setExitCodeExceptionMapper(new ExitCodes());
        cl.setExecutionStrategy(new Execution(standInRun));
        cl.setParameterExceptionHandler(new BadInput());
        cl.setExecutionExceptionHandler(new Failure());
        return cl;
    }

    /** The exit code of an exception: {@link ExitException}'s, else 1. */
    private static final class ExitCodes implements CommandLine.IExitCodeExceptionMapper {
        @Override
        public int getExitCode(Throwable e) {
            return e instanceof ExitException x ? x.code() : BaseCommand.EXIT_FAILED;
        }
    }

    /**
     * Runs the command parsed: a stand-in's {@code standInRun} (the full command line), else the
     * command after checking the options before it.
     */
    private static final class Execution implements CommandLine.IExecutionStrategy {
        private final java.util.concurrent.Callable<Integer> standInRun;

        Execution(java.util.concurrent.Callable<Integer> standInRun) {
            this.standInRun = standInRun;
        }

        @Override
        public int execute(CommandLine.ParseResult parseResult) {
            CommandLine.ParseResult leaf = parseResult;
            while (leaf.hasSubcommand()) {
                leaf = leaf.subcommand();
            }
            if (standInRun != null && leaf.commandSpec().userObject() == standInRun) {
                try {
                    return standInRun.call();
                } catch (Exception e) {
                    throw new CommandLine.ExecutionException(leaf.commandSpec().commandLine(), e.toString(), e);
                }
            }
            globalOptionsApply(parseResult);
            return new CommandLine.RunLast().execute(parseResult);
        }
    }

    /** Bad input: the message and where to find help, exit 2. */
    private static final class BadInput implements CommandLine.IParameterExceptionHandler {
        @Override
        public int handleParseException(CommandLine.ParameterException ex, String[] args) {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("baton: " + ex.getMessage());
            c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for more information.");
            return BaseCommand.EXIT_BAD_INPUT;
        }
    }

    /** A command that threw: its message (and with --verbose the stack trace), exit 1 or the {@link ExitException}'s code. */
    private static final class Failure implements CommandLine.IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception ex, CommandLine c, CommandLine.ParseResult parseResult) {
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
        }
    }
}
