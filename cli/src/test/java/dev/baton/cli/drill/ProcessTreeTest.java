package dev.baton.cli.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** stop-agent-tree's choice of processes: the agent and all below it, except the postmaster's subtree. */
class ProcessTreeTest {

    @TempDir
    Path proc;

    /**
     * A made-up machine: 1 init; 100 the agent JVM, 101 its watchdog (in a session of its own, still
     * its child), 102 a pg_ctl it runs, 103 a shell under the watchdog; 200 the postmaster,
     * reparented to init as pg_ctl leaves it, with backends 201, 202; 300 an unrelated process.
     */
    private static Map<Long, Long> machine() {
        Map<Long, Long> p = new LinkedHashMap<>();
        p.put(1L, 0L);
        p.put(100L, 1L);
        p.put(101L, 100L);
        p.put(102L, 100L);
        p.put(103L, 101L);
        p.put(200L, 1L);
        p.put(201L, 200L);
        p.put(202L, 200L);
        p.put(300L, 1L);
        return p;
    }

    @Test
    void theAgentAndEverythingItStartedTheAgentFirst() {
        assertEquals(List.of(100L, 101L, 102L, 103L), ProcessTree.descendants(machine(), 100, Set.of(200L)));
        assertEquals(List.of(101L, 103L), ProcessTree.descendants(machine(), 101, Set.of()));
        assertEquals(List.of(300L), ProcessTree.descendants(machine(), 300, Set.of()));
    }

    @Test
    void aPostmasterUnderTheAgentIsLeftOutWithItsBackends() {
        Map<Long, Long> p = machine();
        p.put(200L, 102L); // postgres started as the agent's grandchild
        assertEquals(List.of(100L, 101L, 102L, 103L), ProcessTree.descendants(p, 100, Set.of(200L)));
        assertEquals(List.of(100L, 101L, 102L, 103L, 200L, 201L, 202L), ProcessTree.descendants(p, 100, Set.of()));
        assertEquals(List.of(), ProcessTree.descendants(p, 200, Set.of(200L)));
    }

    @Test
    void cyclesAndSelfParentsFromARacyListingEndTheWalk() {
        Map<Long, Long> p = new LinkedHashMap<>();
        p.put(10L, 11L);
        p.put(11L, 10L);
        p.put(12L, 12L);
        assertEquals(List.of(10L, 11L), ProcessTree.descendants(p, 10, Set.of()));
        assertEquals(List.of(12L), ProcessTree.descendants(p, 12, Set.of()));
    }

    private void process(long pid, long ppid, String comm, long start) throws Exception {
        Path d = Files.createDirectories(proc.resolve(Long.toString(pid)));
        Files.writeString(d.resolve("stat"), pid + " (" + comm + ") S " + ppid + " " + pid + " " + pid
                + " 0 -1 4194560 100 0 0 0 1 1 0 0 20 0 30 0 " + start + " 3000000000 50000 18446744073709551615 0 0 0 0 0 "
                + "0 0 0 0 0 0 0 17 1 0 0 0 0 0\n");
    }

    @Test
    void readsAProcListingWithStartTimes() throws Exception {
        process(1, 0, "init", 1);
        process(100, 1, "java", 500);
        process(101, 100, "baton watchdog) (x", 510); // a command name with parentheses and a space
        process(103, 101, "sh", 520);
        process(200, 1, "postgres", 600);
        process(201, 200, "postgres", 610);
        Files.createDirectories(proc.resolve("net"));
        Files.createDirectories(proc.resolve("self"));
        Files.createDirectories(proc.resolve("102")); // exited: no stat any more
        ProcessTree t = new ProcessTree(proc);
        assertEquals(Map.of(1L, 0L, 100L, 1L, 101L, 100L, 103L, 101L, 200L, 1L, 201L, 200L), t.parents());
        List<LocalProcesses.Proc> tree = t.tree(100, Set.of(200L));
        assertEquals(List.of(new LocalProcesses.Proc(100, 500), new LocalProcesses.Proc(101, 510),
                new LocalProcesses.Proc(103, 520)), tree);
        LocalProcesses.NotFound e = assertThrows(LocalProcesses.NotFound.class, () -> t.tree(999, Set.of()));
        assertTrue(e.getMessage().contains("999"), e.getMessage());
    }

    @Test
    void theKillCommandLine() {
        assertEquals(List.of("kill", "-STOP", "100", "101"), KillCommand.argv("STOP", List.of(100L, 101L)));
        assertThrows(IllegalArgumentException.class, () -> KillCommand.argv("STOP; rm", List.of(100L)));
        assertThrows(IllegalArgumentException.class, () -> KillCommand.argv("STOP", List.of(-1L)));
        assertThrows(IllegalArgumentException.class, () -> KillCommand.argv("CONT", List.of(1L)));
    }
}
