package dev.baton.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code baton} command line. */
@Command(name = "baton", mixinStandardHelpOptions = true, versionProvider = Version.Provider.class,
        description = "PostgreSQL high availability on etcd.%n",
        subcommands = {AgentCommand.class, ListCommand.class, DemoCommand.class, VersionCommand.class,
                WatchdogCommand.class, CommandLine.HelpCommand.class},
        footer = {"%nExit codes: 0 ok, 1 action failed or refused, 2 bad input.",
                "Documentation: docs/ in the Baton source tree."})
public final class Baton implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        Logging.install();
        Logging.configure(System.getenv("BATON_LOG_FORMAT"));
        int code = commandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true)).execute(args);
        System.exit(code);
    }

    /** The fully configured command line, for main and for tests. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Baton());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExitCodeExceptionMapper(e -> e instanceof ExitException x ? x.code() : BaseCommand.EXIT_FAILED);
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("baton: " + ex.getMessage());
            c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for more information.");
            return BaseCommand.EXIT_BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            boolean verbose = parseResult.hasMatchedOption("--verbose");
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
