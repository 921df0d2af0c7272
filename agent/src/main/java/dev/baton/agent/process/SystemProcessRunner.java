package dev.baton.agent.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs programs with {@link ProcessBuilder}. Output goes to a temporary file rather than a pipe:
 * {@code pg_ctl start} leaves a postmaster behind that would otherwise keep the pipe open. The
 * program's environment is {@link ChildEnvironment}'s: no {@code BATON_*} or {@code PATRONI_*}
 * variable, which may hold passwords.
 */
public final class SystemProcessRunner implements ProcessRunner {
    /** The tail kept of a program's output: enough for all of {@code postgres --describe-config} (about 60 kB). */
    private static final int MAX_OUTPUT = 1024 * 1024;

    @Override
    public ProcessResult run(List<String> argv, Map<String, String> env, Path workDir, Duration timeout) {
        Path out = null;
        try {
            out = Files.createTempFile("baton-run-", ".log");
            ProcessBuilder pb = new ProcessBuilder(argv)
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            if (workDir != null) {
                pb.directory(workDir.toFile());
            }
            Map<String, String> childEnv = ChildEnvironment.of(Map.copyOf(pb.environment()), env);
            pb.environment().clear();
            pb.environment().putAll(childEnv);
            Process p = pb.start();
            boolean done;
            try {
                done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                // The caller gave up (e.g. the agent is shutting down): leave no orphan behind.
                java.util.List<ProcessHandle> children = p.descendants().toList();
                p.destroyForcibly();
                children.forEach(ProcessHandle::destroyForcibly);
                throw e;
            }
            if (!done) {
                // List the children first, kill the parent, then the children: killed in the other
                // order, a shell could notice its child die and run its next command.
                java.util.List<ProcessHandle> children = p.descendants().toList();
                p.destroyForcibly();
                children.forEach(ProcessHandle::destroyForcibly);
                p.waitFor(5, TimeUnit.SECONDS);
            }
            return new ProcessResult(done ? p.exitValue() : -1, read(out), !done);
        } catch (IOException e) {
            return new ProcessResult(127, "cannot run " + argv.get(0) + ": " + e.getMessage(), false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ProcessResult(-1, "interrupted while running " + argv.get(0), true);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a temp file left behind is harmless
                }
            }
        }
    }

    private static String read(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            int from = Math.max(0, bytes.length - MAX_OUTPUT);
            return new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
