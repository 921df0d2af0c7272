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

    /** PostgreSQL refuses to run as root, and so does every Baton command that runs it. */
    protected static void refuseRoot(String what) {
        if (Users.isRoot()) {
            throw new ExitException(EXIT_BAD_INPUT, what + " must not run as root: PostgreSQL refuses to run as "
                    + "root. Run it as an unprivileged user (e.g. 'postgres': runuser -u postgres -- baton ...).");
        }
    }
}
