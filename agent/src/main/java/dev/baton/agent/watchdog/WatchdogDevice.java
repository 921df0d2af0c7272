package dev.baton.agent.watchdog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.OptionalInt;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Linux watchdog device ({@code watchdog.device}, e.g. {@code /dev/watchdog} of softdog or a
 * hardware timer), as far as plain Java can drive it: opening it starts the kernel's timer, every
 * write keeps it alive, and writing the magic character {@code V} before closing stops it. Java
 * cannot issue ioctls, so Baton can neither set the timeout (set it with the driver, e.g.
 * {@code softdog soft_margin=N}) nor query it except through sysfs; a device with
 * {@code nowayout} could never be stopped and is not used.
 *
 * <p>The watchdog process opens it on the first heartbeat of a leadership term and stops it on
 * disarm. If the process dies, or a fence fails, without stopping it, the kernel resets the
 * machine when the timeout runs out.
 */
public final class WatchdogDevice implements FencingWatchdog.Device {
    private static final Logger LOG = FencingWatchdog.LOG;
    private static final ByteBuffer KEEPALIVE = ByteBuffer.wrap(new byte[] {0}).asReadOnlyBuffer();
    private static final ByteBuffer MAGIC_CLOSE = ByteBuffer.wrap(new byte[] {'V'}).asReadOnlyBuffer();

    private final Path path;
    private final boolean required;
    private FileChannel channel;
    private boolean openFailed;

    /** {@code required} only raises the level of the log line when it cannot be opened. */
    public WatchdogDevice(Path path, boolean required) {
        this.path = path;
        this.required = required;
    }

    public synchronized boolean isOpen() {
        return channel != null;
    }

    @Override
    public synchronized void keepalive() {
        if (channel == null) {
            try {
                channel = FileChannel.open(path, StandardOpenOption.WRITE);
                openFailed = false;
                OptionalInt timeout = probe(path).timeoutSeconds();
                LOG.info("opened the watchdog device " + path + (timeout.isPresent()
                        ? " (timeout " + timeout.getAsInt() + " s)" : "") + ": if this watchdog stops keeping it "
                        + "alive, the kernel resets the machine");
            } catch (IOException | UnsupportedOperationException e) {
                if (!openFailed) {
                    openFailed = true;
                    LOG.log(required ? Level.SEVERE : Level.WARNING, "cannot open the watchdog device " + path + " ("
                            + e + "): fencing relies on this watchdog process alone");
                }
                return;
            }
        }
        try {
            channel.write(KEEPALIVE.duplicate());
        } catch (IOException e) {
            LOG.severe("cannot keep the watchdog device " + path + " alive: " + e.getMessage());
        }
    }

    @Override
    public synchronized void disable() {
        openFailed = false;
        if (channel == null) {
            return;
        }
        try {
            channel.write(MAGIC_CLOSE.duplicate());
            LOG.info("stopped the watchdog device " + path);
        } catch (IOException e) {
            LOG.severe("cannot stop the watchdog device " + path + " (" + e.getMessage()
                    + "): the kernel may reset the machine");
        } finally {
            closeQuietly();
        }
    }

    @Override
    public synchronized void abandon() {
        if (channel != null) {
            LOG.severe("leaving the watchdog device " + path + " without keep-alives: the kernel resets the machine "
                    + "when its timeout runs out");
        }
    }

    private void closeQuietly() {
        try {
            channel.close();
        } catch (IOException e) {
            // closed either way
        }
        channel = null;
    }

    // ------------------------------------------------------------------ probing (no open: that would start it)

    /** What can be known about a device without opening it. */
    public record Probe(boolean usable, String problem, OptionalInt timeoutSeconds) {
    }

    /** Exists, writable by this user, and not nowayout (per sysfs, when it says). */
    public static Probe probe(Path device) {
        OptionalInt timeout = sysfsInt(device, "timeout");
        if (!Files.exists(device)) {
            return new Probe(false, "does not exist", timeout);
        }
        if (!Files.isWritable(device)) {
            return new Probe(false, "is not writable by this user", timeout);
        }
        if (sysfsInt(device, "nowayout").orElse(0) == 1) {
            return new Probe(false, "has nowayout set, so it could never be stopped again", timeout);
        }
        return new Probe(true, null, timeout);
    }

    /** /sys/class/watchdog/watchdogN/ATTR; /dev/watchdog is the legacy name of watchdog0. */
    static OptionalInt sysfsInt(Path device, String attribute) {
        try {
            Path real = Files.exists(device) ? device.toRealPath() : device;
            String name = real.getFileName() == null ? "" : real.getFileName().toString();
            if (name.equals("watchdog")) {
                name = "watchdog0";
            }
            Path file = Path.of("/sys/class/watchdog", name, attribute);
            if (!Files.isReadable(file)) {
                return OptionalInt.empty();
            }
            return OptionalInt.of(Integer.parseInt(Files.readString(file).trim()));
        } catch (IOException | RuntimeException e) {
            return OptionalInt.empty();
        }
    }
}
