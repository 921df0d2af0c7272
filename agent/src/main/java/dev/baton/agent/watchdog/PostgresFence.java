package dev.baton.agent.watchdog;

import dev.baton.agent.postgres.Postmaster;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * The watchdog's fence: SIGKILL to the postmaster named by {@code postmaster.pid}, then to every
 * other postgres process of the data directory, at once. The postmaster goes first so that it
 * forks nothing more; a postmaster killed alone would leave its backends, which can still commit
 * for a moment, so a sweep of /proc then kills every process that runs the postmaster's binary
 * with the data directory as its working directory (every postgres process chdirs there, and its
 * backends are orphans by then). Helper programs that postgres ran (archive_command and the like)
 * are not postgres and cannot accept writes: they are left to finish.
 *
 * <p>No clean shutdown, no checkpoint: the point is to stop accepting writes now. The agent
 * starts postgres again (read-only, or as a replica) when it comes back. A pid in
 * {@code postmaster.pid} that is not a process in this data directory (a stale file whose pid was
 * reused) is never killed: {@link Postmaster} reads the file and checks the process.
 */
public final class PostgresFence implements FencingWatchdog.FenceAction {
    private static final Logger LOG = FencingWatchdog.LOG;
    private static final Set<String> POSTGRES_NAMES = Set.of("postgres", "postmaster");
    private static final boolean PROC = Files.isDirectory(Path.of("/proc/self"));

    private final Path dataDir;
    private final Postmaster postmaster;
    private final Duration waitForExit;

    public PostgresFence(Path dataDir) {
        this(dataDir, Duration.ofSeconds(5));
    }

    public PostgresFence(Path dataDir, Duration waitForExit) {
        this.dataDir = dataDir;
        this.postmaster = new Postmaster(dataDir);
        this.waitForExit = waitForExit;
    }

    /** Runs the sweep once without killing anything, so that the real fence finds its code loaded. */
    public void warmUp() {
        Path dir = realDataDir();
        postmaster.postmasterPid().ifPresent(postmaster::runsInDataDir);
        sweep(dir, null, Set.of());
    }

    @Override
    public boolean fence() {
        long started = System.nanoTime();
        Path dir = realDataDir();
        Map<Long, ProcessHandle> killed = new LinkedHashMap<>();
        ProcessHandle postmaster = postmaster().orElse(null);
        String binary = null;
        if (postmaster != null) {
            binary = exe(postmaster.pid()).orElse(null);
            kill(postmaster, killed);
        }
        for (ProcessHandle p : sweep(dir, binary, killed.keySet())) {
            kill(p, killed);
        }
        if (killed.isEmpty()) {
            LOG.info("nothing to fence: no postgres process runs in " + dataDir);
            return true;
        }
        LOG.severe(String.format(Locale.ROOT, "sent SIGKILL to %s and %d other postgres processes of %s (%d ms)",
                postmaster != null ? "postmaster " + postmaster.pid() : "no postmaster", killed.size()
                        - (postmaster != null ? 1 : 0), dataDir, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)));
        List<ProcessHandle> survivors = awaitExit(killed.values());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        if (survivors.isEmpty()) {
            LOG.severe(String.format(Locale.ROOT, "fenced: no postgres process of %s is left (%d ms)", dataDir, ms));
            return true;
        }
        LOG.severe(String.format(Locale.ROOT, "fencing incomplete after %d ms: processes %s of %s are still alive",
                ms, survivors.stream().map(p -> Long.toString(p.pid())).collect(Collectors.joining(", ")), dataDir));
        return false;
    }

    private void kill(ProcessHandle p, Map<Long, ProcessHandle> killed) {
        if (killed.containsKey(p.pid())) {
            return;
        }
        if (!p.destroyForcibly() && postmaster.isLive(p)) {
            LOG.severe("cannot send SIGKILL to process " + p.pid());
        }
        killed.put(p.pid(), p);
    }

    /** The live postmaster of this data directory, per postmaster.pid. */
    private Optional<ProcessHandle> postmaster() {
        Optional<ProcessHandle> h = postmaster.postmasterPid().flatMap(ProcessHandle::of).filter(postmaster::isLive);
        if (h.isPresent() && !belongsHere(h.get())) {
            LOG.warning("postmaster.pid names process " + h.get().pid() + ", which is not a postgres of " + dataDir
                    + ": not killing it (a stale file)");
            return Optional.empty();
        }
        return h;
    }

    /**
     * Whether the process named by postmaster.pid is the postmaster of the data directory: on
     * Linux, its working directory is the data directory; elsewhere, its binary is named postgres.
     */
    private boolean belongsHere(ProcessHandle p) {
        return PROC ? postmaster.runsInDataDir(p.pid()) : isPostgresBinary(p.info().command().orElse(""));
    }

    private static boolean isPostgresBinary(String command) {
        String name = command.substring(command.lastIndexOf('/') + 1).replace(" (deleted)", "");
        return POSTGRES_NAMES.contains(name);
    }

    /**
     * Live processes (Linux) whose working directory is {@code dir} and whose binary is
     * {@code binary} (or is named postgres when not known), other than {@code already}. Reads
     * /proc directly: two readlinks per process.
     */
    private List<ProcessHandle> sweep(Path dir, String binary, Set<Long> already) {
        List<ProcessHandle> found = new ArrayList<>();
        if (!PROC) {
            return found;
        }
        long self = ProcessHandle.current().pid();
        try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path entry : proc) {
                String name = entry.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(name);
                } catch (NumberFormatException e) {
                    continue;
                }
                if (pid == self || already.contains(pid)
                        || !postmaster.workingDirectory(pid).map(dir::equals).orElse(false)) {
                    continue;
                }
                String command = exe(pid).orElse(null);
                if (command == null || !(binary != null ? command.equals(binary) : isPostgresBinary(command))) {
                    continue;
                }
                ProcessHandle.of(pid).filter(postmaster::isLive).ifPresent(found::add);
            }
        } catch (IOException e) {
            LOG.warning("cannot list /proc: " + e.getMessage());
        }
        return found;
    }

    private static Optional<String> exe(long pid) {
        if (!PROC) {
            return ProcessHandle.of(pid).flatMap(h -> h.info().command());
        }
        try {
            return Optional.of(Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "exe")).toString());
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return Optional.empty();
        }
    }

    private Path realDataDir() {
        try {
            return dataDir.toRealPath();
        } catch (IOException e) {
            return dataDir.toAbsolutePath().normalize();
        }
    }

    private List<ProcessHandle> awaitExit(java.util.Collection<ProcessHandle> processes) {
        long deadline = System.nanoTime() + waitForExit.toNanos();
        List<ProcessHandle> left = new ArrayList<>(processes);
        while (true) {
            left.removeIf(p -> !postmaster.isLive(p));
            if (left.isEmpty() || System.nanoTime() - deadline >= 0) {
                return left;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return left;
            }
        }
    }
}
