package dev.baton.agent.watchdog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Linux watchdog device path against the kernel's {@code softdog}: the watchdog script opens
 * {@code /dev/watchdog} (starting the kernel's timer) on an arm, keeps it alive, and stops it with
 * the magic close on disarm and on exit. The timer is never left to expire.
 *
 * <p>Needs softdog loaded and its device writable by this user, which takes root:
 * {@code BATON_TEST_SOFTDOG=1 scripts/test.sh} does it ({@code modprobe softdog soft_noboot=1}).
 * Otherwise every test is skipped, and the reason is printed and reported. A device that is not
 * softdog (a hardware timer) is never touched.
 */
class SoftdogIT {
    private static final Path DEVICE = Path.of("/dev/watchdog");
    private static final Path SYSFS = Path.of("/sys/class/watchdog/watchdog0");

    @TempDir
    Path tmp;

    /** Why softdog cannot be tested here, or empty. */
    static Optional<String> unavailable() {
        if (!Files.exists(DEVICE)) {
            return Optional.of(DEVICE + " does not exist: the softdog module is not loaded (as root: "
                    + "modprobe softdog soft_noboot=1, or run scripts/test.sh with BATON_TEST_SOFTDOG=1)");
        }
        String identity = sysfs("identity").orElse("unknown");
        if (!identity.equals("Software Watchdog")) {
            return Optional.of(DEVICE + " is not softdog (identity \"" + identity + "\"): not touching another watchdog");
        }
        WatchdogDevice.Probe probe = WatchdogDevice.probe(DEVICE);
        if (!probe.usable()) {
            return Optional.of(DEVICE + " " + probe.problem() + " (scripts/test.sh with BATON_TEST_SOFTDOG=1 gives "
                    + "the test user write access)");
        }
        return Optional.empty();
    }

    private static Optional<String> reason;

    @BeforeAll
    static void lookForSoftdog() {
        reason = unavailable();
        reason.ifPresent(r -> System.out.println("SoftdogIT skipped: " + r));
    }

    /** Per test, so that each one is reported as skipped, with the reason (a class-level skip counts 0 tests). */
    @BeforeEach
    void softdogIsLoaded() {
        Assumptions.assumeTrue(reason.isEmpty(), () -> "SoftdogIT skipped: " + reason.orElse(""));
    }

    private static Optional<String> sysfs(String attribute) {
        try {
            return Optional.of(Files.readString(SYSFS.resolve(attribute)).trim());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** "active" or "inactive", when the kernel shows it (CONFIG_WATCHDOG_SYSFS). */
    private static void assertState(String expected) {
        sysfs("state").ifPresent(s -> assertEquals(expected, s, "the kernel's watchdog state"));
    }

    @Test
    void theDeviceShowsItsTimeoutAndIsUsable() {
        WatchdogDevice.Probe probe = WatchdogDevice.probe(DEVICE);
        assertTrue(probe.usable(), String.valueOf(probe.problem()));
        assertTrue(probe.timeoutSeconds().isPresent(), "softdog's timeout (soft_margin) from sysfs");
        assertState("inactive");
    }

    @Test
    void theWatchdogProcessDrivesTheDeviceAndStopsItOnExit() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        Path log = tmp.resolve("watchdog.log");
        Path perl = dev.baton.agent.process.Executables.onPath("perl").orElse(Path.of("/usr/bin/perl"));
        Path script = WatchdogScript.extract(tmp.resolve("private"), WatchdogScript.content());
        Process p = new ProcessBuilder(WatchdogScript.command(perl, script,
                new WatchdogScript.Options(data, "softdog-it", DEVICE, true)))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write("arm 60000\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
            Await.until("the watchdog process opened " + DEVICE, () -> read(log).contains("opened the watchdog device"));
            assertState("active");
            in.write("arm 60000\ndisarm\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
            Await.until("the watchdog process stopped " + DEVICE, () -> read(log).contains("stopped the watchdog device"));
            assertState("inactive");
            in.write("arm 60000\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
            Await.until("opened again", () -> read(log).split("opened the watchdog device", -1).length == 3);
            assertState("active");
            in.write("exit\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
        } finally {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        assertEquals(0, p.exitValue(), read(log));
        assertTrue(read(log).contains("stopped the watchdog device " + DEVICE), read(log));
        assertState("inactive");
        assertFalse(List.of(read(log).split("\n")).stream().anyMatch(l -> l.contains("SEVERE")), read(log));
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }
}
