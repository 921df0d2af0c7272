package dev.baton.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;

/** Base of every command: exit codes, output streams, {@code --verbose}. */
public abstract class BaseCommand implements Callable<Integer> {
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 1;
    public static final int EXIT_BAD_INPUT = 2;

    @CommandLine.Spec
    protected CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--verbose", description = "Show stack traces of errors.")
    boolean verbose;

    @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }

    @Override
    public final Integer call() throws Exception {
        return execute();
    }

    protected abstract int execute() throws Exception;

    /** The command's standard input (injectable through {@link Baton#commandLine(PrintWriter, PrintWriter, java.io.InputStream)}). */
    protected Baton.Input input() {
        Object root = spec.root().userObject();
        if (root instanceof Baton b) {
            return b.input();
        }
        return new Baton.Input(System.in, System.console() != null);
    }

    /** Prints {@code prompt} (no line end) and reads one answer line; null at the end of the input. */
    protected String ask(String prompt) {
        out().print(prompt);
        out().flush();
        String line = input().readLine();
        if (line == null) {
            out().println();
        }
        return line;
    }

    /**
     * Asks {@code question [y/N]} unless {@code force}. Without a terminal (and without
     * {@code --force}) nobody can answer: exit 2, telling to pass --force. Anything but y/yes is a
     * no: exit 1, nothing done.
     */
    protected void confirm(String question, boolean force) {
        if (force) {
            return;
        }
        requireInteractive();
        String answer = ask(question + " [y/N]: ");
        String a = answer == null ? "" : answer.trim().toLowerCase(java.util.Locale.ROOT);
        if (!a.equals("y") && !a.equals("yes")) {
            throw ExitException.failed("aborted: nothing was changed");
        }
    }

    /** Exit 2 unless a person can answer on the input. */
    protected void requireInteractive() {
        if (!input().interactive()) {
            throw ExitException.badInput("standard input is not a terminal, so there is nobody to confirm "
                    + spec.qualifiedName() + ": pass --force to go ahead without a confirmation");
        }
    }

    /** Checks a {@code --format} value against the ones this command prints. */
    protected static String format(String value, String... allowed) {
        for (String a : allowed) {
            if (a.equals(value)) {
                return value;
            }
        }
        throw ExitException.badInput("--format: must be " + String.join(", ", allowed) + ", got \"" + value + "\"");
    }

    /** PostgreSQL refuses to run as root, and so does every Baton command that runs it. */
    protected static void refuseRoot(String what) {
        if (Users.isRoot()) {
            throw new ExitException(EXIT_BAD_INPUT, what + " must not run as root: PostgreSQL refuses to run as "
                    + "root. Run it as an unprivileged user (e.g. 'postgres': runuser -u postgres -- baton ...).");
        }
    }
}
