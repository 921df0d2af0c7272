package dev.baton.agent.postgres;

import dev.baton.agent.callbacks.CallbackRunner;
import dev.baton.agent.process.ProcessRunner;
import dev.baton.agent.process.ProcessRunner.ProcessResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * A synchronous hook of {@code postgresql}: {@code pre_promote} or {@code before_stop}. The
 * command is untrusted configuration: it is split into words like the callbacks
 * ({@link CallbackRunner#splitCommand}, no shell) and run through the {@link ProcessRunner} with
 * no argument added (as Patroni), the agent's environment without its {@code BATON_*} and
 * {@code PATRONI_*} variables, and a timeout after which it is killed and counts as failed.
 *
 * @param key     the configuration key, for log lines ({@code pre_promote})
 * @param argv    the command's words (not empty)
 * @param timeout how long it may run
 */
record HookCommand(String key, List<String> argv, ProcessRunner runner, Duration timeout) {
    private static final Logger LOG = Logger.getLogger(HookCommand.class.getName());

    HookCommand {
        argv = List.copyOf(argv);
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("postgresql." + key + " is empty");
        }
    }

    /** The hook for {@code command}, or null when none is configured (null or blank). */
    static HookCommand of(String key, String command, ProcessRunner runner, Duration timeout) {
        if (command == null || command.isBlank()) {
            return null;
        }
        List<String> words;
        try {
            words = CallbackRunner.splitCommand(command);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("postgresql." + key + ": " + e.getMessage(), e);
        }
        return words.isEmpty() ? null : new HookCommand(key, words, runner, timeout);
    }

    /**
     * Runs the command to its end or its timeout. Returns null when it exited 0, else why it
     * failed (the exit code or the timeout, and its last output lines); never throws.
     */
    String run() {
        LOG.info("calling the " + key + " script: " + argv);
        ProcessResult r;
        try {
            r = runner.run(argv, Map.of(), null, timeout);
        } catch (RuntimeException e) {
            String why = "the " + key + " script " + argv + " could not be run: " + e.getMessage();
            LOG.warning(why);
            return why;
        }
        String tail = r.output() == null || r.output().isBlank() ? "" : "; last output:\n" + r.tail();
        if (r.timedOut()) {
            String why = "the " + key + " script did not finish within " + timeout.toSeconds() + " s and was killed";
            LOG.warning(why + tail);
            return why;
        }
        if (r.exitCode() != 0) {
            String why = "the " + key + " script exited with code " + r.exitCode();
            LOG.warning(why + tail);
            return why;
        }
        LOG.info("the " + key + " script " + argv + " exited with code 0");
        return null;
    }
}
