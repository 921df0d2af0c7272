package dev.baton.agent.watchdog;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * The Linux watchdog device ({@code watchdog.device}, e.g. {@code /dev/watchdog} of softdog or a
 * hardware timer), as the agent sees it before it starts the watchdog process: what can be known
 * without opening it (opening it would start the kernel's timer). The watchdog process (the script
 * of {@link WatchdogScript}) drives it: it opens it on the first heartbeat of a leadership term,
 * writes a keep-alive at every heartbeat, and stops it on disarm (the magic character {@code V}
 * before closing); if the process dies, or a fence fails, without stopping it, the kernel resets
 * the machine when the timeout runs out. Baton sets no timeout (set it with the driver, e.g.
 * {@code softdog soft_margin=N}) and does not use a device with {@code nowayout}, which could
 * never be stopped.
 */
public final class WatchdogDevice {
    private WatchdogDevice() {
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
