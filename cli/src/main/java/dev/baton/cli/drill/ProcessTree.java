package dev.baton.cli.drill;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The processes a process started, from {@code /proc}: its children, their children, and so on
 * (each {@code /proc/<pid>/stat} names its parent). The walk itself is pure
 * ({@link #descendants}), so that it can be tested on a made-up listing; {@link #tree} reads a
 * {@code /proc} (the real one, or a directory laid out like it in tests).
 */
final class ProcessTree {
    private final Path proc;

    /** Reads the real {@code /proc}. */
    ProcessTree() {
        this(Path.of("/proc"));
    }

    /** Reads a {@code /proc} at another place (tests). */
    ProcessTree(Path proc) {
        this.proc = proc;
    }

    /**
     * {@code root} and every process below it, in breadth-first order (the root first), leaving out
     * each process of {@code excluded} and everything below it. A process that names itself as its
     * own parent, or a cycle in a listing read while processes came and went, is visited once.
     *
     * @param parents every process's parent pid (pid → ppid)
     */
    static List<Long> descendants(Map<Long, Long> parents, long root, Set<Long> excluded) {
        Map<Long, List<Long>> children = new HashMap<>();
        parents.forEach((pid, ppid) -> {
            if (!pid.equals(ppid)) {
                children.computeIfAbsent(ppid, k -> new ArrayList<>()).add(pid);
            }
        });
        children.values().forEach(l -> l.sort(Long::compare));
        List<Long> out = new ArrayList<>();
        if (excluded.contains(root)) {
            return out;
        }
        Deque<Long> todo = new ArrayDeque<>();
        todo.add(root);
        while (!todo.isEmpty()) {
            long pid = todo.poll();
            if (out.contains(pid)) {
                continue;
            }
            out.add(pid);
            for (long child : children.getOrDefault(pid, List.of())) {
                if (!excluded.contains(child)) {
                    todo.add(child);
                }
            }
        }
        return out;
    }

    /** Every readable process's parent (pid → ppid); processes that exit while it is read are left out. */
    Map<Long, Long> parents() throws IOException {
        Map<Long, Long> out = new LinkedHashMap<>();
        try (DirectoryStream<Path> pids =
                     Files.newDirectoryStream(proc, p -> LocalProcesses.isPid(p.getFileName().toString()))) {
            for (Path dir : pids) {
                try {
                    out.put(Long.parseLong(dir.getFileName().toString()),
                            LocalProcesses.parentPid(Files.readString(dir.resolve("stat"))));
                } catch (IOException | LocalProcesses.NotFound e) {
                    // exited meanwhile, or not readable
                }
            }
        }
        return out;
    }

    /**
     * {@code root} and the processes below it except {@code excluded} and their descendants, each
     * with its start time (so that a later signal never reaches a recycled pid), the root first.
     * Processes that exit while they are read are left out.
     *
     * @throws LocalProcesses.NotFound if {@code root} does not run
     */
    List<LocalProcesses.Proc> tree(long root, Set<Long> excluded) throws LocalProcesses.NotFound {
        Map<Long, Long> parents;
        try {
            parents = parents();
        } catch (IOException e) {
            throw new LocalProcesses.NotFound("cannot list " + proc + ": " + e.getMessage());
        }
        LocalProcesses procs = new LocalProcesses(proc);
        List<LocalProcesses.Proc> out = new ArrayList<>();
        out.add(procs.proc(root));
        for (long pid : descendants(parents, root, excluded)) {
            if (pid == root) {
                continue;
            }
            try {
                out.add(procs.proc(pid));
            } catch (LocalProcesses.NotFound e) {
                // exited meanwhile
            }
        }
        return out;
    }
}
