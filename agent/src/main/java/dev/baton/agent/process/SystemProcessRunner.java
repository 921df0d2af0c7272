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
import java.util.function.Consumer;

/**
 * Runs programs with {@link ProcessBuilder}. Output goes to a temporary file rather than a pipe:
 * {@code pg_ctl start} leaves a postmaster behind that would otherwise keep the pipe open. The
 * program's environment is {@link ChildEnvironment}'s: no {@code BATON_*} or {@code PATRONI_*}
 * variable, which may hold passwords.
 */
public final class SystemProcessRunner implements ProcessRunner {
    /** The tail kept of a program's output: enough for all of {@code postgres --describe-config} (about 60 kB). */
    private static final int MAX_OUTPUT = 1024 * 1024;
    /** A longer line is cut for the line consumer (the output keeps it). */
    private static final int MAX_LINE = 64 * 1024;

    @Override
    public ProcessResult run(List<String> argv, Map<String, String> env, Path workDir, Duration timeout) {
        return run(argv, env, workDir, timeout, null);
    }

    /** Reads the output file while the program runs and hands each complete line to {@code lines}. */
    @Override
    public ProcessResult run(List<String> argv, Map<String, String> env, Path workDir, Duration timeout,
                             Consumer<String> lines) {
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
            LineTail tail = lines == null ? null : new LineTail(out, lines);
            try {
                if (tail == null) {
                    done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } else {
                    long deadline = System.nanoTime() + timeout.toNanos();
                    do {
                        long left = Math.max(0, deadline - System.nanoTime());
                        done = p.waitFor(Math.min(TimeUnit.NANOSECONDS.toMillis(left), 250), TimeUnit.MILLISECONDS);
                        tail.poll(false);
                    } while (!done && System.nanoTime() < deadline);
                }
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
            if (tail != null) {
                tail.poll(true);
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

    /** Follows a growing output file line by line; a consumer that throws loses its line, never the program. */
    private static final class LineTail {
        private final Path file;
        private final Consumer<String> lines;
        private final java.io.ByteArrayOutputStream partial = new java.io.ByteArrayOutputStream();
        private long position;

        LineTail(Path file, Consumer<String> lines) {
            this.file = file;
            this.lines = lines;
        }

        void poll(boolean last) {
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(64 * 1024);
                ch.position(position);
                int n;
                while ((n = ch.read(buf)) > 0) {
                    position += n;
                    buf.flip();
                    while (buf.hasRemaining()) {
                        byte b = buf.get();
                        if (b == '\n') {
                            emit();
                        } else if (partial.size() < MAX_LINE) {
                            partial.write(b);
                        }
                    }
                    buf.clear();
                }
            } catch (IOException e) {
                return; // the file is read whole at the end anyway
            }
            if (last && partial.size() > 0) {
                emit();
            }
        }

        private void emit() {
            String line = partial.toString(StandardCharsets.UTF_8);
            partial.reset();
            try {
                lines.accept(line);
            } catch (RuntimeException ignored) {
                // progress is best effort
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
