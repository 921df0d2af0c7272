package dev.baton.agent.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The postmaster of one data directory, as its {@code postmaster.pid} names it: the one reader of
 * that file for the agent, the fencing watchdog and the drill (as CloudNativePG's {@code pidfile.go}
 * and Patroni's {@code postmaster.py} are for theirs).
 *
 * <p>The file's first line is the postmaster's pid, negated by a standalone backend
 * ({@code postgres --single}). A pid alone proves little: the file outlives a killed postmaster,
 * a killed postmaster that its parent has not reaped yet is a zombie that still "exists", and a
 * pid can be recycled. So this class also answers the two checks the callers build on: whether a
 * process is live (alive and not a zombie) and whether it runs in the data directory (its working
 * directory, which every postgres process sets to its data directory). Each caller combines the
 * checks it needs: the agent {@link #isRunning()}, the fence and the drill also
 * {@link #runsInDataDir(long)}.
 *
 * <p>It reads {@code /proc} (Linux) at a root given at construction, so tests can pass a fake one.
 */
public final class Postmaster {
    private static final Logger LOG = Logger.getLogger(Postmaster.class.getName());
    public static final String PID_FILE = "postmaster.pid";

    /**
     * What the first line of postmaster.pid says.
     *
     * @param pid        the process id (always positive)
     * @param standalone the line was negative: a single-user backend, not a postmaster
     */
    public record PidFile(long pid, boolean standalone) {
    }

    private final Path dataDir;
    private final Path proc;

    /** The postmaster of {@code dataDir}, checked against the real {@code /proc}. */
    public Postmaster(Path dataDir) {
        this(dataDir, Path.of("/proc"));
    }

    /** The postmaster of {@code dataDir}, checked against {@code proc} (a fake one in tests). */
    public Postmaster(Path dataDir, Path proc) {
        this.dataDir = dataDir;
        this.proc = proc;
    }

    /**
     * Parses the content of postmaster.pid: empty when its first line is not a non-zero pid (a
     * file being written, or not a pid file at all).
     */
    public static Optional<PidFile> parse(String content) {
        String first = content.lines().findFirst().orElse("").strip();
        long pid;
        try {
            pid = Long.parseLong(first);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        if (pid == 0 || pid == Long.MIN_VALUE) {
            return Optional.empty();
        }
        return Optional.of(new PidFile(Math.abs(pid), pid < 0));
    }

    public Path pidFilePath() {
        return dataDir.resolve(PID_FILE);
    }

    /** The pid file, parsed; empty when it is absent, unreadable or malformed. */
    public Optional<PidFile> read() {
        try {
            return parse(Files.readString(pidFilePath()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The postmaster's pid (not a standalone backend's) as the file names it, whether it runs or not. */
    public Optional<Long> postmasterPid() {
        return read().filter(f -> !f.standalone()).map(PidFile::pid);
    }

    /**
     * Whether postmaster.pid names a live postmaster. The agent's check: it does not look at the
     * process's working directory (postgres itself refuses to start while the pid in the file
     * runs, whatever that process is).
     */
    public boolean isRunning() {
        return postmasterPid().flatMap(ProcessHandle::of).map(this::isLive).orElse(false);
    }

    /** Alive and not a zombie: a killed process whose parent has not reaped it yet is dead for us. */
    public boolean isLive(ProcessHandle p) {
        return p.isAlive() && !isZombie(p.pid());
    }

    /** Whether {@code /proc/<pid>/stat} says the process is a zombie (false if it cannot be read). */
    public boolean isZombie(long pid) {
        try {
            String stat = Files.readString(proc.resolve(Long.toString(pid)).resolve("stat"));
            int close = stat.lastIndexOf(')');
            return close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) == 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    /** The process's working directory ({@code /proc/<pid>/cwd}), if it can be read. */
    public Optional<Path> workingDirectory(long pid) {
        try {
            return Optional.of(Files.readSymbolicLink(proc.resolve(Long.toString(pid)).resolve("cwd")));
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** Whether the process's working directory is this data directory (false if it cannot be read). */
    public boolean runsInDataDir(long pid) {
        Optional<Path> cwd = workingDirectory(pid);
        try {
            return cwd.isPresent() && Files.isSameFile(cwd.get(), dataDir);
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /**
     * postgres refuses to start while postmaster.pid names an existing process, and a killed
     * postmaster that its parent has not reaped yet still exists as a zombie. Waits up to
     * {@code reapWait} for the reaping; if it does not come, the zombie is certainly dead and its
     * lock file is stale: removes it.
     */
    /** How long a killed postmaster may stay a zombie before its lock file counts as stale. */
    static final Duration REAP_WAIT = Duration.ofSeconds(3);

    /** {@link #clearStalePidFile(Duration)} with {@link #REAP_WAIT}. */
    public void clearStalePidFile() {
        clearStalePidFile(REAP_WAIT);
    }

    public void clearStalePidFile(Duration reapWait) {
        long pid = postmasterPid().orElse(-1L);
        if (pid <= 0 || !isZombie(pid)) {
            return;
        }
        long deadline = System.nanoTime() + reapWait.toNanos();
        while (System.nanoTime() - deadline < 0 && ProcessHandle.of(pid).isPresent() && isZombie(pid)) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (ProcessHandle.of(pid).isPresent() && isZombie(pid)) {
            try {
                Files.deleteIfExists(pidFilePath());
                LOG.warning("removed " + PID_FILE + " of the dead postmaster " + pid + " (an unreaped zombie)");
            } catch (IOException e) {
                LOG.warning("cannot remove the stale " + PID_FILE + ": " + e.getMessage());
            }
        }
    }
}
