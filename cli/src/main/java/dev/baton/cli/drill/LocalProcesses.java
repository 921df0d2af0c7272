package dev.baton.cli.drill;

import dev.baton.agent.postgres.Postmaster;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The processes of a cluster member that runs on this machine, found from Linux {@code /proc}, so
 * that the drill can kill, stop and restart them in a cluster it did not start (another Baton
 * cluster, or a Patroni one):
 * <ul>
 *   <li>the <b>agent</b> is the process that listens on the member's REST port: the inode of the
 *       LISTEN socket in {@code /proc/net/tcp} or {@code /proc/net/tcp6}, then the process whose
 *       {@code /proc/<pid>/fd/*} links to {@code socket:[inode]};</li>
 *   <li>the <b>postmaster</b> is the first line of {@code <data_directory>/postmaster.pid} (the
 *       caller asks the server for its data_directory), checked by its working directory, which
 *       a postmaster sets to its data directory.</li>
 * </ul>
 * Only processes of the current user can be read (and signalled), which is what the drill needs:
 * it runs as the user that started the cluster. A process is identified by its pid and its start
 * time ({@code /proc/<pid>/stat} field 22), which is checked again right before every signal, so
 * that a recycled pid is never signalled.
 */
public final class LocalProcesses {
    /** The LISTEN state in {@code /proc/net/tcp}. */
    private static final String TCP_LISTEN = "0A";

    private final Path proc;

    /** Reads the real {@code /proc}. */
    public LocalProcesses() {
        this(Path.of("/proc"));
    }

    /** Reads a {@code /proc} at another place (tests). */
    LocalProcesses(Path proc) {
        this.proc = proc;
    }

    /** Whether this machine has a readable {@code /proc} with sockets (Linux). */
    public boolean available() {
        return Files.isReadable(proc.resolve("net").resolve("tcp")) && Files.isDirectory(proc.resolve("self").resolve("fd"));
    }

    // ------------------------------------------------------------------ types

    /** A process: its pid and its start time in clock ticks since boot (which tells a recycled pid apart). */
    public record Proc(long pid, long startTime) {
        @Override
        public String toString() {
            return "pid " + pid;
        }
    }

    /**
     * How a process was started, captured from /proc before it is killed, to start it again the
     * same way.
     *
     * @param argv    the command line ({@code /proc/<pid>/cmdline})
     * @param exe     the executable ({@code /proc/<pid>/exe}), used when argv[0] is not an absolute path
     * @param cwd     the working directory ({@code /proc/<pid>/cwd})
     * @param env     the environment it was started with ({@code /proc/<pid>/environ})
     * @param stdout  where its standard output went, if that is a regular file (else null)
     * @param stderr  where its standard error went, if that is a regular file (else null)
     */
    public record Launch(List<String> argv, Path exe, Path cwd, Map<String, String> env, Path stdout, Path stderr) {
        /** The command to run: argv with argv[0] made absolute (from exe) if it is not. */
        public List<String> command() {
            List<String> c = new ArrayList<>(argv);
            if (!c.isEmpty() && !c.get(0).startsWith("/") && exe != null) {
                c.set(0, exe.toString());
            }
            return c;
        }
    }

    /** A process could not be found or is not the one expected; the message says why, for the user. */
    public static final class NotFound extends Exception {
        public NotFound(String message) {
            super(message);
        }
    }

    // ------------------------------------------------------------------ pure parsing

    /**
     * The inodes of the LISTEN sockets on {@code port} in the content of {@code /proc/net/tcp} or
     * {@code /proc/net/tcp6}, bound to the wildcard address or to one of {@code addresses} (any
     * address when {@code addresses} is empty).
     */
    public static List<Long> listenInodes(String procNetTcp, int port, Set<InetAddress> addresses) {
        List<Long> out = new ArrayList<>();
        for (String line : procNetTcp.split("\n")) {
            String[] f = line.strip().split("\\s+");
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
            if (f.length < 10 || !f[0].endsWith(":") || !TCP_LISTEN.equalsIgnoreCase(f[3])) {
                continue;
            }
            int colon = f[1].lastIndexOf(':');
            if (colon < 0) {
                continue;
            }
            int p;
            long inode;
            try {
                p = Integer.parseInt(f[1].substring(colon + 1), 16);
                inode = Long.parseLong(f[9]);
            } catch (NumberFormatException e) {
                continue;
            }
            if (p != port || inode == 0) {
                continue;
            }
            InetAddress a = decodeAddress(f[1].substring(0, colon));
            if (a == null) {
                continue;
            }
            if (addresses.isEmpty() || a.isAnyLocalAddress() || addresses.contains(a)) {
                out.add(inode);
            }
        }
        return out;
    }

    /**
     * An address as {@code /proc/net/tcp} (8 hex digits) or {@code /proc/net/tcp6} (32) writes it:
     * 32-bit words in the host's byte order, which is little-endian on the machines Baton runs on.
     * An IPv4-mapped IPv6 address comes back as the IPv4 address. Null if it cannot be read.
     */
    public static InetAddress decodeAddress(String hex) {
        if (hex.length() != 8 && hex.length() != 32) {
            return null;
        }
        byte[] b = new byte[hex.length() / 2];
        try {
            for (int word = 0; word < b.length / 4; word++) {
                for (int i = 0; i < 4; i++) {
                    int at = (word * 4 + i) * 2;
                    b[word * 4 + 3 - i] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
                }
            }
            return InetAddress.getByAddress(b);
        } catch (NumberFormatException | UnknownHostException e) {
            return null;
        }
    }

    /** The postmaster's pid: the first line of {@code postmaster.pid} (negative in single-user mode). */
    public static long postmasterPid(String postmasterPidFile) throws NotFound {
        return Postmaster.parse(postmasterPidFile).map(Postmaster.PidFile::pid).orElseThrow(() -> new NotFound(
                "postmaster.pid does not start with a pid: \"" + postmasterPidFile.lines().findFirst().orElse("").strip()
                        + "\""));
    }

    /** The fields of {@code /proc/<pid>/stat} after the command name, from field 3 (the state) on. */
    private static String[] statFields(String stat) throws NotFound {
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so cut at the last ')'.
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new NotFound("cannot read /proc/<pid>/stat: \"" + stat.strip() + "\"");
        }
        String[] f = stat.substring(close + 1).strip().split("\\s+");
        if (f.length < 20) {
            throw new NotFound("cannot read /proc/<pid>/stat: too few fields");
        }
        return f;
    }

    /** The start time (field 22 of {@code /proc/<pid>/stat}, clock ticks after boot). */
    public static long startTime(String stat) throws NotFound {
        try {
            return Long.parseLong(statFields(stat)[19]);
        } catch (NumberFormatException e) {
            throw new NotFound("cannot read the start time in /proc/<pid>/stat");
        }
    }

    /** The parent pid (field 4 of {@code /proc/<pid>/stat}). */
    public static long parentPid(String stat) throws NotFound {
        try {
            return Long.parseLong(statFields(stat)[1]);
        } catch (NumberFormatException e) {
            throw new NotFound("cannot read the parent pid in /proc/<pid>/stat");
        }
    }

    /** The state (field 3 of {@code /proc/<pid>/stat}): R, S, D, T, Z, ... */
    public static char state(String stat) throws NotFound {
        String s = statFields(stat)[0];
        return s.isEmpty() ? '?' : s.charAt(0);
    }

    /** {@code /proc/<pid>/cmdline} or {@code environ}: strings each ended by a NUL (the last one may lack it). */
    public static List<String> splitNul(byte[] content) {
        List<String> out = new ArrayList<>();
        int from = 0;
        for (int i = 0; i < content.length; i++) {
            if (content[i] == 0) {
                out.add(new String(content, from, i - from, StandardCharsets.UTF_8));
                from = i + 1;
            }
        }
        if (from < content.length) {
            out.add(new String(content, from, content.length - from, StandardCharsets.UTF_8));
        }
        return out;
    }

    /** {@code /proc/<pid>/environ} as a map (entries without '=' are skipped; the first '=' splits). */
    public static Map<String, String> environ(byte[] content) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String e : splitNul(content)) {
            int eq = e.indexOf('=');
            if (eq > 0) {
                env.put(e.substring(0, eq), e.substring(eq + 1));
            }
        }
        return env;
    }

    /**
     * Of the processes that hold a socket (a forked child may inherit it), the one whose parent
     * does not hold it; null when there is none or more than one.
     */
    static Long topmost(Map<Long, Long> parentByHolder) {
        Long top = null;
        for (Map.Entry<Long, Long> e : parentByHolder.entrySet()) {
            if (!parentByHolder.containsKey(e.getValue())) {
                if (top != null) {
                    return null;
                }
                top = e.getKey();
            }
        }
        return top;
    }

    /**
     * Whether {@code host} is this machine: a loopback or wildcard address, or an address of one of
     * its network interfaces. Names are resolved (every address must be local).
     */
    public static boolean isLocalHost(String host) {
        if (host == null || host.isBlank()) {
            return false;
        }
        String h = host.strip();
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        InetAddress[] all;
        try {
            all = InetAddress.getAllByName(h);
        } catch (UnknownHostException e) {
            return false;
        }
        for (InetAddress a : all) {
            if (!isLocalAddress(a)) {
                return false;
            }
        }
        return all.length > 0;
    }

    private static boolean isLocalAddress(InetAddress a) {
        if (a.isLoopbackAddress() || a.isAnyLocalAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(a) != null;
        } catch (SocketException e) {
            return false;
        }
    }

    /** The addresses {@code host} stands for (empty if it cannot be resolved). */
    public static Set<InetAddress> addresses(String host) {
        Set<InetAddress> out = new LinkedHashSet<>();
        String h = host == null ? "" : host.strip();
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        try {
            out.addAll(List.of(InetAddress.getAllByName(h)));
        } catch (UnknownHostException e) {
            // nothing
        }
        return out;
    }

    // ------------------------------------------------------------------ reading /proc

    /** The process with this pid, with its current start time. */
    public Proc proc(long pid) throws NotFound {
        return new Proc(pid, startTime(stat(pid)));
    }

    private String stat(long pid) throws NotFound {
        try {
            return Files.readString(proc.resolve(Long.toString(pid)).resolve("stat"));
        } catch (NoSuchFileException e) {
            throw new NotFound("pid " + pid + " is not running");
        } catch (IOException e) {
            throw new NotFound("cannot read /proc/" + pid + "/stat: " + e.getMessage());
        }
    }

    /** Whether the process still runs (not a zombie) and is the same one (same start time). */
    public boolean alive(Proc p) {
        try {
            String s = stat(p.pid());
            return startTime(s) == p.startTime() && state(s) != 'Z' && state(s) != 'X';
        } catch (NotFound e) {
            return false;
        }
    }

    /**
     * The process listening on TCP {@code port} (on the wildcard address or one of
     * {@code addresses}): the holder of the LISTEN socket's inode, from the processes this user may
     * read.
     */
    public Proc listener(int port, Set<InetAddress> addresses) throws NotFound {
        Set<String> sockets = new LinkedHashSet<>();
        for (String table : List.of("tcp", "tcp6")) {
            Path f = proc.resolve("net").resolve(table);
            if (!Files.isReadable(f)) {
                continue;
            }
            try {
                for (long inode : listenInodes(Files.readString(f), port, addresses)) {
                    sockets.add("socket:[" + inode + "]");
                }
            } catch (IOException e) {
                throw new NotFound("cannot read " + f + ": " + e.getMessage());
            }
        }
        if (sockets.isEmpty()) {
            throw new NotFound("nothing listens on port " + port + " on this machine");
        }
        Map<Long, Long> holders = new HashMap<>();
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc, p -> isPid(p.getFileName().toString()))) {
            for (Path dir : pids) {
                long pid = Long.parseLong(dir.getFileName().toString());
                if (holds(dir.resolve("fd"), sockets)) {
                    try {
                        holders.put(pid, parentPid(stat(pid)));
                    } catch (NotFound e) {
                        // exited meanwhile
                    }
                }
            }
        } catch (IOException e) {
            throw new NotFound("cannot list " + proc + ": " + e.getMessage());
        }
        if (holders.isEmpty()) {
            throw new NotFound("the process listening on port " + port + " is another user's (or cannot be read)");
        }
        Long top = topmost(holders);
        if (top == null) {
            throw new NotFound("several processes hold the socket listening on port " + port + ": pids "
                    + holders.keySet());
        }
        return proc(top);
    }

    /** True when a /proc entry's name is a process id. */
    static boolean isPid(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (!Character.isDigit(name.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** Whether one of the links in {@code fdDir} is one of {@code sockets}; false if it cannot be read. */
    private static boolean holds(Path fdDir, Set<String> sockets) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(fdDir)) {
            for (Path fd : fds) {
                try {
                    if (sockets.contains(Files.readSymbolicLink(fd).toString())) {
                        return true;
                    }
                } catch (IOException | UnsupportedOperationException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException e) {
            // another user's process, or gone
        }
        return false;
    }

    /**
     * The postmaster of {@code dataDir}: the pid in its postmaster.pid, if that process runs and
     * has the data directory as its working directory (so that a stale file or a recycled pid is
     * not taken for it).
     */
    public Proc postmaster(Path dataDir) throws NotFound {
        Path file = dataDir.resolve("postmaster.pid");
        String content;
        try {
            content = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new NotFound("no " + file + ": postgres is not running");
        } catch (AccessDeniedException e) {
            throw new NotFound("cannot read " + file + ": permission denied");
        } catch (IOException e) {
            throw new NotFound("cannot read " + file + ": " + e);
        }
        long pid = postmasterPid(content);
        Proc p = proc(pid);
        Postmaster postmaster = new Postmaster(dataDir, proc);
        if (!postmaster.runsInDataDir(pid)) {
            Path cwd = postmaster.workingDirectory(pid).orElse(null);
            throw new NotFound("pid " + pid + " from " + file + " is not the postmaster of " + dataDir
                    + (cwd == null ? " (its working directory cannot be read)" : " (it runs in " + cwd + ")"));
        }
        return p;
    }

    /** The target of {@code /proc/<pid>/<name>}, or null if it cannot be read. */
    private Path link(long pid, String name) {
        try {
            return Files.readSymbolicLink(proc.resolve(Long.toString(pid)).resolve(name));
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    /** How {@code p} was started, to start it again after a kill. */
    public Launch launch(Proc p) throws NotFound {
        Path dir = proc.resolve(Long.toString(p.pid()));
        try {
            List<String> argv = splitNul(Files.readAllBytes(dir.resolve("cmdline")));
            Map<String, String> env = environ(Files.readAllBytes(dir.resolve("environ")));
            Path cwd = link(p.pid(), "cwd");
            if (argv.isEmpty() || cwd == null) {
                throw new NotFound("cannot read how pid " + p.pid() + " was started (no command line or working directory)");
            }
            if (!alive(p)) {
                throw new NotFound("pid " + p.pid() + " exited while it was read");
            }
            return new Launch(argv, link(p.pid(), "exe"), cwd, env, regularFile(link(p.pid(), "fd/1")),
                    regularFile(link(p.pid(), "fd/2")));
        } catch (IOException e) {
            throw new NotFound("cannot read how pid " + p.pid() + " was started: " + e.getMessage());
        }
    }

    private static Path regularFile(Path p) {
        return p != null && p.isAbsolute() && Files.isRegularFile(p) ? p : null;
    }

    /** {@code p} and every process below it (children first is not promised). */
    public List<Proc> withDescendants(Proc p) {
        List<Proc> all = new ArrayList<>();
        Optional<ProcessHandle> h = ProcessHandle.of(p.pid());
        if (h.isPresent()) {
            for (ProcessHandle d : h.get().descendants().toList()) {
                try {
                    all.add(proc(d.pid()));
                } catch (NotFound e) {
                    // exited meanwhile
                }
            }
        }
        all.add(p);
        return all;
    }

    // ------------------------------------------------------------------ acting

    /**
     * SIGKILL to each process that is still the same one (start time checked just before); returns
     * the pids signalled.
     */
    public List<Long> kill(List<Proc> procs) {
        List<Long> done = new ArrayList<>();
        for (Proc p : procs) {
            if (alive(p) && ProcessHandle.of(p.pid()).map(ProcessHandle::destroyForcibly).orElse(false)) {
                done.add(p.pid());
            }
        }
        return done;
    }

    /** Waits until {@code p} is gone (or a zombie) for up to {@code millis}; true if it is. */
    public boolean awaitExit(Proc p, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (alive(p)) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /**
     * {@code kill -SIG pid} (STOP, CONT, ...), after checking that the pid is still the same process.
     *
     * @throws IOException if it is not, or kill failed
     */
    public void signal(Proc p, String sig) throws IOException, InterruptedException {
        if (!alive(p)) {
            throw new IOException(p + " is no longer running (or is another process now): not sent SIG" + sig);
        }
        Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).redirectErrorStream(true).start();
        if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0) {
            k.destroyForcibly();
            throw new IOException("kill -" + sig + " " + p.pid() + " failed: "
                    + new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
        }
    }

    /**
     * Starts a process again as {@code l} says: same command line, working directory and
     * environment, standard output and error appended to the files they went to (or to
     * {@code fallbackLog}), standard input from /dev/null, in a session of its own (setsid), so
     * that it outlives the drill and a Ctrl-C in the drill's terminal does not reach it.
     */
    public Proc start(Launch l, Path fallbackLog) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        Path setsid = Path.of("/usr/bin/setsid");
        if (Files.isExecutable(setsid)) {
            cmd.add(setsid.toString()); // in place (no fork): a child of the JVM is no process group leader
        }
        cmd.addAll(l.command());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(l.cwd().toFile());
        pb.environment().clear();
        pb.environment().putAll(l.env());
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Path out = l.stdout() != null ? l.stdout() : fallbackLog;
        Path err = l.stderr() != null ? l.stderr() : fallbackLog;
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        if (err.getParent() != null) {
            Files.createDirectories(err.getParent());
        }
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()));
        if (out.equals(err)) {
            pb.redirectErrorStream(true);
        } else {
            pb.redirectError(ProcessBuilder.Redirect.appendTo(err.toFile()));
        }
        Process started = pb.start();
        // The start time, to recognise the process later; it cannot have been recycled yet.
        for (int i = 0; i < 50; i++) {
            try {
                return proc(started.pid());
            } catch (NotFound e) {
                if (!started.isAlive()) {
                    throw new IOException(String.join(" ", l.argv()) + " exited at once with " + started.exitValue()
                            + " (see " + out + ")");
                }
                Thread.sleep(10);
            }
        }
        throw new IOException("cannot read /proc/" + started.pid() + "/stat of the restarted " + l.argv().get(0));
    }
}
