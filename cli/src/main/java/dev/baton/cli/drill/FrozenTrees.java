package dev.baton.cli.drill;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The agent process trees {@code stop-agent-tree} stopped, per member, until they are resumed:
 * the agent and every process it started (its fencing watchdog, a pg_ctl or pg_rewind under way),
 * except the postmaster and the processes below it. Stopped all with one signal; resumed the agent
 * first and the others {@link #RESUME_GAP_MILLIS} later. A tree is remembered before it is
 * stopped, so that {@link #resumeAll} (before each iteration, and when the drill ends or is
 * interrupted) reaches every process even when stopping failed half way.
 */
final class FrozenTrees {
    /** From SIGCONT of the agent to SIGCONT of the rest of its tree. */
    static final long RESUME_GAP_MILLIS = 1000;

    private final ProcessTree tree;
    private final KillCommand kill;
    private final Map<String, List<LocalProcesses.Proc>> frozen = new LinkedHashMap<>();

    FrozenTrees(ProcessTree tree, KillCommand kill) {
        this.tree = tree;
        this.kill = kill;
    }

    /**
     * The processes to stop: {@code agentPid} first, then everything below it except
     * {@code postmasterPid} (≤ 0: none known) and its descendants.
     */
    List<LocalProcesses.Proc> plan(long agentPid, long postmasterPid) throws LocalProcesses.NotFound {
        return tree.tree(agentPid, postmasterPid > 0 ? Set.of(postmasterPid) : Set.of());
    }

    /** SIGSTOP to all of {@code procs} (the agent first) at once; they belong to {@code member} until resumed. */
    void stop(String member, List<LocalProcesses.Proc> procs) throws IOException, InterruptedException {
        if (procs.isEmpty()) {
            throw new IllegalArgumentException("nothing to stop for " + member);
        }
        synchronized (this) {
            frozen.merge(member, new ArrayList<>(procs), (a, b) -> {
                a.addAll(b);
                return a;
            });
        }
        if (!kill.send("STOP", procs).contains(procs.get(0).pid())) {
            throw new IOException(member + "'s agent (" + procs.get(0) + ") was gone before the SIGSTOP");
        }
    }

    /** True while {@code member}'s tree is stopped (its REST API would only time out). */
    synchronized boolean frozen(String member) {
        return frozen.containsKey(member);
    }

    /** The members whose trees are stopped. */
    synchronized List<String> members() {
        return List.copyOf(frozen.keySet());
    }

    /**
     * SIGCONT to {@code member}'s agent, then {@link #RESUME_GAP_MILLIS} later to the rest of its
     * tree. The rest is resumed even if the first signal failed or the wait was interrupted; the
     * first failure is thrown afterwards.
     */
    void resume(String member) throws IOException, InterruptedException {
        List<LocalProcesses.Proc> procs;
        synchronized (this) {
            procs = frozen.get(member);
        }
        if (procs == null) {
            return;
        }
        IOException failed = null;
        try {
            kill.send("CONT", procs.subList(0, 1));
        } catch (IOException e) {
            failed = e;
        }
        try {
            if (procs.size() > 1) {
                Thread.sleep(RESUME_GAP_MILLIS);
            }
        } finally {
            try {
                kill.send("CONT", procs);
            } finally {
                synchronized (this) {
                    frozen.remove(member);
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    /** Resumes every stopped tree; returns the first failure (after trying them all), or null. */
    Exception resumeAll() {
        Exception first = null;
        for (String m : members()) {
            try {
                resume(m);
            } catch (IOException | InterruptedException e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                first = first == null ? e : first;
            }
        }
        return first;
    }
}
