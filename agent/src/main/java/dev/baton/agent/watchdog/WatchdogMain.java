package dev.baton.agent.watchdog;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** The body of {@code baton watchdog}: the rules on the real clock, the real fence, the device if any. */
public final class WatchdogMain {
    private WatchdogMain() {
    }

    /**
     * Reads heartbeats from {@code in} until {@code exit} or its end; returns the exit status (0,
     * or 1 after fencing because the input ended while armed).
     *
     * @param device         the Linux watchdog device to drive, or null
     * @param deviceRequired only raises the level of the log line when the device cannot be opened
     */
    public static int run(InputStream in, Path dataDir, String name, Path device, boolean deviceRequired)
            throws InterruptedException {
        WatchdogDevice dev = device == null ? null : new WatchdogDevice(device, deviceRequired);
        PostgresFence fence = new PostgresFence(dataDir);
        fence.warmUp();
        FencingWatchdog watchdog = new FencingWatchdog(System::nanoTime, fence, dev);
        Runtime.getRuntime().addShutdownHook(new Thread(watchdog::terminated, "watchdog-shutdown"));
        FencingWatchdog.LOG.info("fencing watchdog" + (name == null ? "" : " of " + name) + " started (pid "
                + ProcessHandle.current().pid() + ", data directory " + dataDir + ", watchdog device "
                + (device == null ? "none" : device) + ")");
        return watchdog.run(new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII)));
    }
}
