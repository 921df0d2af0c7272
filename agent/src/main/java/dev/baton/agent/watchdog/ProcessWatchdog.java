package dev.baton.agent.watchdog;

import dev.baton.agent.ha.Watchdog;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * The agent's side of the fencing watchdog: a child process (the perl script of
 * {@link WatchdogScript}, which holds the rules) that it feeds heartbeats through the child's
 * standard input.
 *
 * <p>The child is started when the agent starts ({@link #prepare}, disarmed: a promotion's first
 * arm then pays for no process start), else at the first {@link #arm}, and again at the next arm
 * whenever it has died. The HA loop never waits on it: {@link #arm} and
 * {@link #disarm} only leave the latest message in a one-slot mailbox; a writer thread of its own
 * writes it, each line with one write, and computes the remaining time when it writes, so a
 * message that waited is never stale. Older heartbeats are dropped: only the latest matters.
 * Should the child stop reading, only the writer thread blocks.
 *
 * <p>The child's standard output and error are the agent's own (inherited), so its lines
 * ({@code watchdog: ...}) land in the agent's log, and keep landing there after the agent died.
 * The child runs in a session and process group of its own ({@code setsid}, see
 * {@link WatchdogSetup}), so a signal to the agent's process group does not reach it.
 *
 * <p>With {@link #ofService} the same lines go over a Unix socket to the same script running
 * as the watchdog service ({@code --listen}) of its own unit instead of a child's standard input; a lost connection is re-established at the
 * next arm, as a dead child is restarted.
 */
public final class ProcessWatchdog implements Watchdog {
    private static final Logger LOG = Logger.getLogger(ProcessWatchdog.class.getName());

    /** Starts the child process, with a pipe on its standard input. */
    @FunctionalInterface
    public interface Launcher {
        Process start() throws IOException;
    }

    private record Message(boolean arm, long deadline) {
    }

    private static final Message DISARM = new Message(false, 0);
    /** Start the child (connect the service) without arming it. */
    private static final Message PREPARE = new Message(false, -1);

    private final Launcher launcher;
    private final LongSupplier ticker;
    private final long minRestartNanos;
    private final String noun;
    private final boolean service;
    private volatile IntConsumer ttlCheck = ttl -> { };

    private final Object lock = new Object();
    private Message pending;
    private boolean exitRequested;
    private boolean closed;
    private Thread writer;

    // The writer thread's own (process is read by close() too).
    private volatile Process process;
    private OutputStream stdin;
    private boolean lastSentArm;
    private long lastStart;
    private boolean everStarted;
    private int starts;

    /**
     * @param ticker          the scale of {@link #arm}'s deadlines (the HA loop's ticker)
     * @param minRestartDelay a child that dies is restarted at the next arm, but not sooner than
     *                        this after the previous start (so a child that cannot start does
     *                        not cost a process start per cycle)
     */
    public ProcessWatchdog(Launcher launcher, LongSupplier ticker, Duration minRestartDelay) {
        this(launcher, ticker, minRestartDelay, "the fencing watchdog process", false);
    }

    private ProcessWatchdog(Launcher launcher, LongSupplier ticker, Duration minRestartDelay, String noun,
            boolean service) {
        this.launcher = launcher;
        this.ticker = ticker;
        this.minRestartNanos = minRestartDelay.toNanos();
        this.noun = noun;
        this.service = service;
    }

    /**
     * Feeds the watchdog service listening on {@code socket} (watchdog.service_socket): the
     * connection is made at the first arm and again at the next arm after it was lost.
     */
    public static ProcessWatchdog ofService(Path socket, LongSupplier ticker) {
        return ofService(socket, ticker, Duration.ofSeconds(5));
    }

    static ProcessWatchdog ofService(Path socket, LongSupplier ticker, Duration minReconnectDelay) {
        return new ProcessWatchdog(() -> ServiceConnection.connect(socket, Duration.ofSeconds(5)), ticker,
                minReconnectDelay, "the fencing watchdog service at " + socket, true);
    }

    /**
     * Runs {@code command} as the child, its standard output and error inherited, with {@code env}
     * added to the agent's environment (less the passwords, which it does not need).
     */
    public static ProcessWatchdog of(List<String> command, Map<String, String> env, LongSupplier ticker) {
        return of(() -> command, env, ticker);
    }

    /** The child's command line, made at each start (the script it runs is checked then). */
    @FunctionalInterface
    public interface Command {
        List<String> get() throws IOException;
    }

    /** {@link #of(List, Map, LongSupplier)} with the command line made at each start. */
    public static ProcessWatchdog of(Command command, Map<String, String> env, LongSupplier ticker) {
        Launcher launcher = () -> {
            ProcessBuilder pb = new ProcessBuilder(command.get())
                    .redirectInput(ProcessBuilder.Redirect.PIPE)
                    .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.INHERIT);
            // BATON_LOG_FORMAT and the like stay: the watchdog reads them. No password (either prefix) does.
            pb.environment().keySet().removeIf(k -> (k.startsWith("BATON_") || k.startsWith("PATRONI_"))
                    && k.contains("PASSWORD"));
            pb.environment().putAll(env);
            return pb.start();
        };
        return new ProcessWatchdog(launcher, ticker, Duration.ofSeconds(5));
    }

    /**
     * Starts the child (connects the service) now, disarmed, so that a promotion's first arm does
     * not wait for a process start (a perl start is tens of milliseconds of CPU, on the two cores
     * the promotion needs). The device, if any, is opened only by the first arm, as before.
     */
    @Override
    public void prepare() {
        offer(PREPARE);
    }

    @Override
    public void arm(long deadlineNanos) {
        offer(new Message(true, deadlineNanos));
    }

    @Override
    public void disarm() {
        offer(DISARM);
    }

    /** What to do when the lease ttl changes (check a device's timeout); the arm deadlines follow by themselves. */
    public void onLeaseTtlChanged(IntConsumer check) {
        this.ttlCheck = check;
    }

    @Override
    public void leaseTtlChanged(int ttlSeconds) {
        ttlCheck.accept(ttlSeconds);
    }

    private void offer(Message m) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            if (m == PREPARE && pending != null) {
                return; // an arm or disarm is on its way: it starts the child if needed
            }
            if (writer == null) {
                if (!m.arm() && m != PREPARE) {
                    return; // never armed: no child to tell
                }
                writer = new Thread(this::writeLoop, "baton-watchdog-writer");
                writer.setDaemon(true);
                writer.start();
            }
            pending = m;
            lock.notifyAll();
        }
    }

    /** The child, if one was started (for tests and diagnostics). */
    public Optional<Process> process() {
        return Optional.ofNullable(process);
    }

    /** How many children were started. */
    public synchronized int starts() {
        return starts;
    }

    private void writeLoop() {
        while (true) {
            Message m;
            synchronized (lock) {
                while (pending == null && !exitRequested) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                m = pending;
                pending = null;
            }
            if (m == null) {
                finish();
                return;
            }
            send(m);
        }
    }

    private void send(Message m) {
        if (m == PREPARE) {
            ensureProcess();
        } else if (m.arm()) {
            if (!ensureProcess()) {
                return;
            }
            long remaining = m.deadline() - ticker.getAsLong();
            long absolute = System.nanoTime() + remaining;
            write("arm " + Math.floorDiv(remaining, 1_000_000L) + " " + absolute + "\n");
            lastSentArm = true;
        } else if (lastSentArm && process != null && process.isAlive()) {
            write("disarm\n");
            lastSentArm = false;
        }
    }

    private boolean ensureProcess() {
        Process p = process;
        if (p != null && p.isAlive()) {
            return true;
        }
        if (p != null) {
            LOG.warning(service ? "lost the connection to " + noun + " (pid " + p.pid() + "); connecting again"
                    : noun + " " + p.pid() + " exited with status " + p.exitValue() + "; starting a new one");
            dropProcess();
        }
        long now = System.nanoTime();
        if (everStarted && now - lastStart < minRestartNanos) {
            return false;
        }
        everStarted = true;
        lastStart = now;
        try {
            p = launcher.start();
        } catch (IOException | RuntimeException e) {
            LOG.severe((service ? "cannot connect to " : "cannot start ") + noun + " (" + e.getMessage()
                    + "): if this agent stops, nothing outside it stops postgres");
            return false;
        }
        synchronized (this) {
            starts++;
        }
        process = p;
        stdin = p.getOutputStream();
        lastSentArm = false;
        LOG.info(service ? "connected to " + noun + " (pid " + p.pid() + ")" : "started " + noun + " " + p.pid());
        return true;
    }

    private void write(String line) {
        try {
            // One write(2) per line (the stream's buffer holds it whole until the flush).
            stdin.write(line.getBytes(StandardCharsets.US_ASCII));
            stdin.flush();
        } catch (IOException e) {
            Process p = process;
            LOG.warning("lost " + noun + (p != null ? " " + p.pid() : "") + " (" + e.getMessage()
                    + "); " + (service ? "connecting again" : "a new one starts") + " at the next renewal");
            if (p != null) {
                p.destroy();
            }
            dropProcess();
        }
    }

    private void dropProcess() {
        if (stdin != null) {
            try {
                stdin.close();
            } catch (IOException e) {
                // gone either way
            }
        }
        stdin = null;
        process = null;
        lastSentArm = false;
    }

    /** Last message: exit, then end of input. */
    private void finish() {
        Process p = process;
        if (p == null) {
            return;
        }
        if (p.isAlive()) {
            try {
                stdin.write("exit\n".getBytes(StandardCharsets.US_ASCII));
                stdin.flush();
            } catch (IOException e) {
                // it is gone, which is what exit asks for
            }
        }
        try {
            stdin.close();
        } catch (IOException e) {
            // same
        }
    }

    /** Disarms, tells the child to exit, closes its input and waits briefly for it. Idempotent. */
    @Override
    public void close() {
        Thread w;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            w = writer;
            if (w == null) {
                return;
            }
            pending = DISARM;
            exitRequested = true;
            lock.notifyAll();
        }
        try {
            w.join(2_000);
            Process p = process;
            if (w.isAlive()) {
                LOG.warning(noun + " does not read its input; " + (service ? "closing the connection" : "killing it"));
                if (p != null) {
                    p.destroyForcibly();
                }
                w.join(1_000);
            }
            if (p != null && !p.waitFor(2, TimeUnit.SECONDS)) {
                LOG.warning(noun + " " + p.pid() + (service ? " did not close the connection; closing it"
                        : " did not exit; terminating it"));
                p.destroy();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
