package dev.baton.cli.drill;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Sends one signal to several processes with a single {@code kill -SIG pid...}, so that they are
 * hit at (nearly) the same instant: a process group signal would miss a child that runs in a
 * session of its own. Each process's start time is checked just before, so that a pid that now
 * belongs to another process is left alone.
 */
final class KillCommand {
    private final LocalProcesses procs;

    KillCommand(LocalProcesses procs) {
        this.procs = procs;
    }

    /** The command line: {@code kill -SIG pid...}. */
    static List<String> argv(String sig, List<Long> pids) {
        if (!sig.matches("[A-Z]+[0-9]*")) {
            throw new IllegalArgumentException("not a signal name: " + sig);
        }
        List<String> cmd = new ArrayList<>(List.of("kill", "-" + sig));
        for (long pid : pids) {
            if (pid <= 1) {
                throw new IllegalArgumentException("refusing to signal pid " + pid);
            }
            cmd.add(Long.toString(pid));
        }
        return cmd;
    }

    /**
     * SIG{@code sig} to each of {@code targets} that still runs as the same process; returns the
     * pids signalled (empty if none ran).
     *
     * @throws IOException if {@code kill} failed for a process that still runs
     */
    List<Long> send(String sig, List<LocalProcesses.Proc> targets) throws IOException, InterruptedException {
        List<Long> pids = new ArrayList<>();
        for (LocalProcesses.Proc p : targets) {
            if (procs.alive(p)) {
                pids.add(p.pid());
            }
        }
        if (pids.isEmpty()) {
            return pids;
        }
        String failed = run(argv(sig, pids));
        if (failed != null) {
            // One of them may have exited in between; SIGSTOP and SIGCONT may be sent twice, so
            // each one that still runs gets its own kill, and only a failure of that one counts.
            for (LocalProcesses.Proc p : targets) {
                if (pids.contains(p.pid()) && procs.alive(p)) {
                    String again = run(argv(sig, List.of(p.pid())));
                    if (again != null && procs.alive(p)) {
                        throw new IOException("kill -" + sig + " " + p.pid() + " failed: " + again);
                    }
                }
            }
        }
        return pids;
    }

    /** Runs kill; null if it succeeded, else what it said. */
    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process k = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!k.waitFor(10, TimeUnit.SECONDS)) {
            k.destroyForcibly();
            return "did not finish within 10 s";
        }
        String out = new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        return k.exitValue() == 0 ? null : (out.isEmpty() ? "exit " + k.exitValue() : out);
    }
}
