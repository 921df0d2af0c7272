package dev.baton.agent.watchdog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.WatchdogConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mode rules and the device's timeout check (the device protocol itself: WatchdogScriptTest). */
class WatchdogDeviceTest {
    @TempDir
    Path tmp;

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
