package dev.baton.agent.process;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Runs external programs. The only place Baton's agent creates processes. */
public interface ProcessRunner {

    /**
     * Runs {@code argv} to completion (or kills it after {@code timeout}).
     *
     * @param env extra environment variables (passwords go in files, never in argv); the agent's own
     *            {@code BATON_*} and {@code PATRONI_*} variables are withheld ({@link ChildEnvironment})
     * @param workDir working directory, or null
     */
    ProcessResult run(List<String> argv, Map<String, String> env, Path workDir, Duration timeout);

    default ProcessResult run(List<String> argv, Duration timeout) {
        return run(argv, Map.of(), null, timeout);
    }

    /**
     * {@link #run(List, Map, Path, Duration)}, giving {@code lines} each line of the output as the
     * program prints it (for progress), on the calling thread. This default gives them all after
     * the program ended.
     */
    default ProcessResult run(List<String> argv, Map<String, String> env, Path workDir, Duration timeout,
                              Consumer<String> lines) {
        ProcessResult r = run(argv, env, workDir, timeout);
        r.output().lines().forEach(lines);
        return r;
    }

    /** Outcome of one program run; {@code output} is stdout and stderr interleaved, truncated. */
    record ProcessResult(int exitCode, String output, boolean timedOut) {
        public boolean ok() {
            return exitCode == 0 && !timedOut;
        }

        /** The last lines of the output, for error messages. */
        public String tail() {
            String trimmed = output.strip();
            String[] lines = trimmed.split("\n");
            int from = Math.max(0, lines.length - 8);
            return String.join("\n", java.util.Arrays.copyOfRange(lines, from, lines.length));
        }
    }
}
