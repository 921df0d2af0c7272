package dev.baton.agent.watchdog;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * The rules of the fencing watchdog, which runs as a process of its own ({@link WatchdogMain})
 * beside the agent, so that it keeps working when the agent's JVM is stopped (SIGSTOP, a frozen
 * VM, a stop-the-world pause) or killed.
 *
 * <p>The agent ({@link ProcessWatchdog}) talks to it through its standard input, one command per
 * line:
 * <ul>
 *   <li>{@code arm <remaining-millis> [<deadline-nanos>]}: this node holds the leader lease for at
 *       least {@code remaining-millis} more (the agent's sure-until). The optional second field is
 *       the same deadline on the {@link System#nanoTime()} scale (CLOCK_MONOTONIC, which the agent
 *       and its child share); when present the earlier of the two counts, so that a heartbeat that
 *       was delayed on its way never extends the deadline.</li>
 *   <li>{@code disarm}: not the primary any more (demotion, pause, shutdown).</li>
 *   <li>{@code exit}: disarm and exit 0.</li>
 * </ul>
 *
 * <p>The rules: armed, and the deadline passes without a newer {@code arm}: fence (once), then
 * stay disarmed and keep listening, since the agent may come back. Woken more than 1 s past the
 * deadline (the watchdog itself was frozen), it first waits up to 200 ms for input the agent wrote
 * meanwhile, and applies it before it decides. End of input (the agent's
 * process is gone, e.g. SIGKILL) while armed: fence at once, exit 1. End of input while disarmed:
 * exit 0 quietly. Lines it does not understand are ignored with a warning; they never move the
 * deadline. Fencing is {@link FenceAction}: kill every postgres process of the data directory.
 *
 * <p>If a Linux watchdog device is configured, every valid {@code arm} also keeps it alive, and
 * {@code disarm} stops it (magic close). After a fence that left no postgres process behind it is
 * stopped too; after a fence that failed it is left running without keep-alives, so the kernel
 * resets the machine when its timeout runs out: the last resort.
 */
public final class FencingWatchdog {
    /** The logger of the watchdog process: its lines read "watchdog: ..." in the agent's log. */
    static final Logger LOG = Logger.getLogger("dev.baton.watchdog");

    /** What the SEVERE line of a fence contains (tests and operators grep for it). */
    public static final String FENCING = "fencing postgres now";

    /** Woken this far past the deadline, the process was frozen (or starved) rather than late by a tick. */
    static final long FROZEN_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** After a freeze: how long input already sent is waited for before the fence. */
    static final long FROZEN_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    /** A clock of another machine could be anywhere; beyond this skew the absolute field is ignored. */
    private static final long SHARED_CLOCK_SLACK = TimeUnit.SECONDS.toNanos(1);

    /** Stops postgres from accepting writes; true when no postgres process of the data directory is left. */
    @FunctionalInterface
    public interface FenceAction {
        boolean fence();
    }

    /** The Linux watchdog device, or none. */
    public interface Device {
        /** A valid heartbeat arrived: open the device if needed and keep it alive. */
        void keepalive();

        /** Stop it (magic close): disarmed, or fenced successfully. */
        void disable();

        /** The fence failed: stop keeping it alive, so the machine resets at its timeout. */
        void abandon();

        Device NONE = new Device() {
            @Override
            public void keepalive() {
            }

            @Override
            public void disable() {
            }

            @Override
            public void abandon() {
            }
        };
    }

    /** What the caller should do after a line. */
    public enum Step { CONTINUE, EXIT }

    private final LongSupplier ticker;
    private final FenceAction action;
    private final Device device;
    private boolean armed;
    private long deadline;
    private long lastHeartbeat;
    private int fences;
    private boolean clockWarned;
    private boolean deviceAbandoned;
    private volatile long frozenGraceNanos = FROZEN_GRACE_NANOS;

    public FencingWatchdog(LongSupplier ticker, FenceAction action, Device device) {
        this.ticker = ticker;
        this.action = action;
        this.device = device == null ? Device.NONE : device;
    }

    public synchronized boolean isArmed() {
        return armed;
    }

    /** How often it has fenced. */
    public synchronized int fences() {
        return fences;
    }

    /** How far past the deadline it is when armed (0 otherwise or before it). */
    synchronized long overdueNanos() {
        return armed ? Math.max(0, ticker.getAsLong() - deadline) : 0;
    }

    /** The grace after a freeze (tests make it longer, to observe it without racing). */
    void frozenGrace(java.time.Duration grace) {
        this.frozenGraceNanos = grace.toNanos();
    }

    /** Nanoseconds until the deadline (0 when passed), or {@link Long#MAX_VALUE} when disarmed. */
    public synchronized long nanosUntilDeadline() {
        if (!armed) {
            return Long.MAX_VALUE;
        }
        return Math.max(0, deadline - ticker.getAsLong());
    }

    /** Applies one input line. */
    public synchronized Step line(String raw) {
        String line = raw.strip();
        if (line.isEmpty()) {
            return Step.CONTINUE;
        }
        String[] f = line.split("\\s+");
        switch (f[0].toLowerCase(Locale.ROOT)) {
            case "arm" -> arm(f, line);
            case "disarm" -> {
                if (f.length != 1) {
                    ignore(line);
                } else {
                    disarm("the agent disarmed it");
                }
            }
            case "exit" -> {
                if (f.length != 1) {
                    ignore(line);
                    return Step.CONTINUE;
                }
                if (armed) {
                    LOG.warning("asked to exit while armed: disarming without fencing");
                }
                armed = false;
                device.disable();
                LOG.info("exiting: the agent asked for it");
                return Step.EXIT;
            }
            default -> ignore(line);
        }
        return Step.CONTINUE;
    }

    private void arm(String[] f, String line) {
        if (f.length < 2 || f.length > 3) {
            ignore(line);
            return;
        }
        long remainingMillis;
        Long absolute = null;
        try {
            remainingMillis = Long.parseLong(f[1]);
            if (f.length == 3) {
                absolute = Long.parseLong(f[2]);
            }
        } catch (NumberFormatException e) {
            ignore(line);
            return;
        }
        if (Math.abs(remainingMillis) > TimeUnit.DAYS.toMillis(1)) {
            ignore(line);
            return;
        }
        long now = ticker.getAsLong();
        long remaining = TimeUnit.MILLISECONDS.toNanos(remainingMillis);
        long d = now + remaining;
        if (absolute != null) {
            // The absolute deadline was computed when the agent wrote the line; on a shared clock it
            // lies at most `remaining` ahead of now (earlier if the line waited in the pipe).
            long ahead = absolute - now;
            if (ahead <= remaining + SHARED_CLOCK_SLACK && ahead >= -TimeUnit.HOURS.toNanos(1)) {
                if (absolute - d < 0) {
                    d = absolute;
                }
            } else if (!clockWarned) {
                clockWarned = true;
                LOG.warning("the agent's monotonic clock differs from mine; using the remaining time only");
            }
        }
        boolean wasArmed = armed;
        armed = true;
        deadline = d;
        lastHeartbeat = now;
        if (d - now > 0) {
            device.keepalive();
            deviceAbandoned = false;
        } else {
            LOG.warning(String.format(Locale.ROOT, "a heartbeat arrived %d ms after its own deadline",
                    TimeUnit.NANOSECONDS.toMillis(now - d)));
        }
        if (!wasArmed && d - now > 0) {
            LOG.info(String.format(Locale.ROOT, "armed: fencing postgres unless the agent renews its lease within %d ms",
                    TimeUnit.NANOSECONDS.toMillis(d - now)));
        }
    }

    private void disarm(String why) {
        if (armed) {
            LOG.info("disarmed: " + why);
        }
        armed = false;
        device.disable();
    }

    private static void ignore(String line) {
        String shown = line.length() > 80 ? line.substring(0, 80) + "..." : line;
        StringBuilder sb = new StringBuilder();
        for (char c : shown.toCharArray()) {
            sb.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        LOG.warning("ignoring an input line I do not understand: \"" + sb + "\"");
    }

    /** Fences if armed and the deadline has passed; true if it fenced. */
    public synchronized boolean check() {
        if (!armed) {
            return false;
        }
        long now = ticker.getAsLong();
        if (now - deadline < 0) {
            return false;
        }
        LOG.severe(String.format(Locale.ROOT, "no heartbeat from the agent for %d ms, %d ms past the deadline "
                        + "of its lease: %s", TimeUnit.NANOSECONDS.toMillis(now - lastHeartbeat),
                TimeUnit.NANOSECONDS.toMillis(now - deadline), FENCING));
        fenceNow();
        return true;
    }

    /** The input ended (the agent's process is gone); returns the exit status. */
    public synchronized int eof() {
        if (!armed) {
            device.disable();
            LOG.fine("the agent closed my input while disarmed: exiting");
            return 0;
        }
        LOG.severe("my input ended while armed (the agent's process died): " + FENCING);
        fenceNow();
        return 1;
    }

    private void fenceNow() {
        armed = false;
        fences++;
        boolean clean;
        try {
            clean = action.fence();
        } catch (RuntimeException e) {
            LOG.severe("fencing failed: " + e);
            clean = false;
        }
        if (clean) {
            device.disable();
        } else {
            deviceAbandoned = true;
            device.abandon();
        }
    }

    /**
     * The process is shutting down (after exit, end of input, or SIGTERM/SIGINT). A signal is not
     * a sign that the agent died, so there is no fence; the agent starts a new watchdog at its next
     * renewal. The device is stopped, unless a failed fence left it to reset the machine.
     */
    public synchronized void terminated() {
        if (armed) {
            LOG.warning("terminated while armed: not fencing; the agent starts a new watchdog at its next renewal");
        }
        armed = false;
        if (!deviceAbandoned) {
            device.disable();
        }
    }

    // ------------------------------------------------------------------ the process's main loop

    /** A batch of lines read together, or the end of the input. */
    private record Batch(List<String> lines, boolean eof) {
    }

    /**
     * Runs until {@code exit} or the end of {@code in}; returns the exit status. The input is read
     * by a thread of its own. Lines that arrived together are applied together before the deadline
     * is checked, so a backlog of heartbeats (after a slow start) counts by its latest one.
     */
    public int run(BufferedReader in) throws InterruptedException {
        BlockingQueue<Batch> queue = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> read(in, queue), "watchdog-stdin");
        reader.setDaemon(true);
        reader.start();
        while (true) {
            long wait = nanosUntilDeadline();
            Batch b = wait == Long.MAX_VALUE ? queue.take() : queue.poll(wait, TimeUnit.NANOSECONDS);
            if (b == null) {
                b = queue.poll();
            }
            if (b == null && overdueNanos() > FROZEN_NANOS) {
                // Woken long after the deadline: this process was frozen (SIGSTOP, a paused VM) or
                // starved. The agent may have said something meanwhile (a disarm after it demoted
                // itself) that the input thread has not handed over yet: take it first, so as not
                // to kill the postgres the agent has since started for another purpose (a rewind).
                b = queue.poll(frozenGraceNanos, TimeUnit.NANOSECONDS);
            }
            if (b == null) {
                check();
                continue;
            }
            for (String l : b.lines()) {
                if (line(l) == Step.EXIT) {
                    return 0;
                }
            }
            if (b.eof()) {
                return eof();
            }
        }
    }

    private static void read(BufferedReader in, BlockingQueue<Batch> queue) {
        try {
            while (true) {
                String first = in.readLine();
                if (first == null) {
                    queue.add(new Batch(List.of(), true));
                    return;
                }
                List<String> lines = new ArrayList<>();
                lines.add(first);
                // The agent writes each line with one write(2), so what is ready is whole lines.
                while (lines.size() < 1000 && in.ready()) {
                    String more = in.readLine();
                    if (more == null) {
                        queue.add(new Batch(lines, true));
                        return;
                    }
                    lines.add(more);
                }
                queue.add(new Batch(lines, false));
            }
        } catch (IOException e) {
            LOG.warning("cannot read my input (" + e.getMessage() + "): treating it as closed");
            queue.add(new Batch(List.of(), true));
        }
    }
}
