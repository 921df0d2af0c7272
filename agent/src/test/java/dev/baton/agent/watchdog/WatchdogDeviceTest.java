package dev.baton.agent.watchdog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.WatchdogConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The device protocol against a plain file standing in for /dev/watchdog, and the mode rules. */
class WatchdogDeviceTest {
    @TempDir
    Path tmp;

    @Test
    void keepalivesWhileArmedThenTheMagicCloseOnDisable() throws Exception {
        Path dev = Files.createFile(tmp.resolve("watchdog"));
        WatchdogDevice d = new WatchdogDevice(dev, false);
        d.keepalive();
        assertTrue(d.isOpen());
        d.keepalive();
        d.disable();
        assertFalse(d.isOpen());
        assertArrayEquals(new byte[] {0, 0, 'V'}, Files.readAllBytes(dev));
        d.disable();
        assertArrayEquals(new byte[] {0, 0, 'V'}, Files.readAllBytes(dev), "disabling twice writes nothing");
    }

    @Test
    void abandoningLeavesItOpenWithoutTheMagicClose() throws Exception {
        Path dev = Files.createFile(tmp.resolve("watchdog"));
        WatchdogDevice d = new WatchdogDevice(dev, false);
        d.keepalive();
        d.abandon();
        assertTrue(d.isOpen());
        assertArrayEquals(new byte[] {0}, Files.readAllBytes(dev));
    }

    @Test
    void aMissingDeviceIsNeverCreatedAndNeverThrows() {
        Path dev = tmp.resolve("absent");
        WatchdogDevice d = new WatchdogDevice(dev, true);
        d.keepalive();
        d.keepalive();
        d.disable();
        assertFalse(Files.exists(dev));
    }

    @Test
    void modeOffUsesNoDevice() throws Exception {
        Path dev = Files.createFile(tmp.resolve("watchdog"));
        assertNull(WatchdogSetup.device(new WatchdogConfig("off", dev.toString(), 5), 10));
    }

    @Test
    void modeAutomaticUsesAUsableDeviceAndGoesOnWithoutAMissingOne() throws Exception {
        Path dev = Files.createFile(tmp.resolve("watchdog"));
        assertEquals(dev, WatchdogSetup.device(new WatchdogConfig("automatic", dev.toString(), 5), 10));
        assertNull(WatchdogSetup.device(new WatchdogConfig("automatic", tmp.resolve("absent").toString(), 5), 10));
    }

    @Test
    void modeRequiredRefusesAMissingDeviceNamingTheKey() throws Exception {
        Path absent = tmp.resolve("absent");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WatchdogSetup.device(new WatchdogConfig("required", absent.toString(), 5), 10));
        assertTrue(e.getMessage().contains("watchdog.device " + absent + " does not exist"), e.getMessage());
        Path dev = Files.createFile(tmp.resolve("watchdog"));
        assertEquals(dev, WatchdogSetup.device(new WatchdogConfig("required", dev.toString(), 5), 10));
    }

    @Test
    void theChildCommandLineStartsWatchdogMainOfTheAgentModule() {
        List<String> c = WatchdogSetup.command("/jdk/bin/java", "a.jar:b.jar",
                new WatchdogMain.Options(Path.of("/data"), "node1", Path.of("/dev/watchdog"), true));
        assertEquals("/jdk/bin/java", c.get(0));
        assertEquals(List.of("-cp", "a.jar:b.jar", "dev.baton.agent.watchdog.WatchdogMain", "--data-dir", "/data",
                "--name", "node1", "--device", "/dev/watchdog", "--device-required"),
                c.subList(1 + WatchdogSetup.JVM_OPTIONS.size(), c.size()));
        List<String> noDevice = WatchdogSetup.command("java", "cp",
                new WatchdogMain.Options(Path.of("/data"), "n", null, true));
        assertFalse(noDevice.contains("--device"));
        assertFalse(noDevice.contains("--device-required"));
    }

    @Test
    void theDeviceTimeoutIsCheckedAgainstTheTtlInForce() {
        Path dev = Path.of("/dev/watchdog");
        WatchdogConfig wd = new WatchdogConfig("automatic", dev.toString(), 5);
        assertNull(WatchdogSetup.timeoutProblem(dev, java.util.OptionalInt.of(55), wd, 60));
        assertNull(WatchdogSetup.timeoutProblem(dev, java.util.OptionalInt.empty(), wd, 10));
        // The cluster's ttl went from 60 down to 30: a 55 s device timeout no longer fits.
        assertEquals("watchdog.device /dev/watchdog has a timeout of 55 s, more than ttl (30) - safety_margin = 25 s: "
                + "a reset would come after the leader key may have expired. Baton cannot set the timeout; set it "
                + "with the driver (e.g. softdog soft_margin)",
                WatchdogSetup.timeoutProblem(dev, java.util.OptionalInt.of(55), wd, 30));
        assertNull(WatchdogSetup.timeoutProblem(dev, java.util.OptionalInt.of(15),
                new WatchdogConfig("automatic", dev.toString(), -1), 30), "safety_margin -1 means ttl/2");
    }
}
