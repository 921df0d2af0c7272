package dev.baton.cli.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * stop-agent-tree's SIGSTOP and SIGCONT on real (harmless) processes: a shell standing for the
 * agent, with a child in a session of its own standing for its watchdog and a "postgres" child
 * left out.
 */
class FrozenTreesTest {
    private Process agent;

    @AfterEach
    void cleanUp() throws Exception {
        if (agent != null) {
            List<ProcessHandle> all = agent.descendants().toList();
            for (ProcessHandle h : all) {
                new ProcessBuilder("kill", "-CONT", Long.toString(h.pid())).start().waitFor();
                h.destroyForcibly();
            }
            new ProcessBuilder("kill", "-CONT", Long.toString(agent.pid())).start().waitFor();
            agent.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static char state(long pid) throws Exception {
        return LocalProcesses.state(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
    }

    private static long session(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 1).strip().split("\\s+")[3]);
    }

    private static boolean awaitState(long pid, boolean stopped) throws Exception {
        for (int i = 0; i < 200; i++) {
            if ((state(pid) == 'T') == stopped) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }

    @Test
    void stopsTheWholeTreeButPostgresAndResumesTheAgentFirst() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")) && Files.isExecutable(Path.of("/usr/bin/setsid")),
                "Linux /proc and setsid");
        agent = new ProcessBuilder("sh", "-c", "setsid sleep 60 & sleep 60 & wait").start();
        List<ProcessHandle> children = List.of();
        for (int i = 0; i < 500 && !(children.size() == 2 && (session(children.get(0).pid()) == children.get(0).pid()
                || session(children.get(1).pid()) == children.get(1).pid())); i++) {
            Thread.sleep(10);
            children = agent.children().toList();
        }
        assertEquals(2, children.size(), "two children");
        // The watchdog is the child in a session of its own.
        boolean firstIsWatchdog = session(children.get(0).pid()) == children.get(0).pid();
        long watchdog = children.get(firstIsWatchdog ? 0 : 1).pid();
        long postgres = children.get(firstIsWatchdog ? 1 : 0).pid();
        assertEquals(watchdog, session(watchdog), "setsid");
        FrozenTrees trees = new FrozenTrees(new ProcessTree(), new KillCommand(new LocalProcesses()));
        List<LocalProcesses.Proc> plan = trees.plan(agent.pid(), postgres);
        assertEquals(List.of(agent.pid(), watchdog), plan.stream().map(LocalProcesses.Proc::pid).toList());

        trees.stop("node1", plan);
        assertTrue(trees.frozen("node1"));
        assertTrue(awaitState(agent.pid(), true), "the agent is stopped");
        assertTrue(awaitState(watchdog, true), "its watchdog is stopped");
        assertFalse(state(postgres) == 'T', "postgres runs on");

        Thread resumer = new Thread(() -> {
            try {
                trees.resume("node1");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        resumer.start();
        assertTrue(awaitState(agent.pid(), false), "the agent runs again");
        assertEquals('T', state(watchdog), "the rest waits a second longer");
        resumer.join(5_000);
        assertTrue(awaitState(watchdog, false), "then the rest runs again");
        assertFalse(trees.frozen("node1"));
    }

    @Test
    void resumeAllReachesATreeWhoseStopFailedHalfWay() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "Linux /proc");
        agent = new ProcessBuilder("sleep", "60").start();
        FrozenTrees trees = new FrozenTrees(new ProcessTree(), new KillCommand(new LocalProcesses()));
        List<LocalProcesses.Proc> plan = trees.plan(agent.pid(), -1);
        // A listed process that is gone (the pid's start time no longer matches) is skipped.
        List<LocalProcesses.Proc> withGone = List.of(plan.get(0), new LocalProcesses.Proc(agent.pid(), 1));
        trees.stop("node2", withGone);
        assertTrue(awaitState(agent.pid(), true));
        assertNull(trees.resumeAll());
        assertTrue(awaitState(agent.pid(), false));
        assertTrue(trees.members().isEmpty());
    }
}
