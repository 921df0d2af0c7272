package dev.baton.agent.watchdog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.WatchdogConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watchdog child's own session (setsid), and what happens without it. */
class WatchdogSetupTest {
    @TempDir
    Path tmp;

    @Test
    void setsidIsTheFirstExecutableOnPath() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Path notExecutable = Files.createDirectories(tmp.resolve("plain"));
        Files.writeString(notExecutable.resolve("setsid"), "");
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path setsid = Files.writeString(bin.resolve("setsid"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(setsid, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(Optional.of(setsid), WatchdogSetup.findSetsid(empty + "::" + notExecutable + ":" + bin));
        assertEquals(Optional.empty(), WatchdogSetup.findSetsid(empty.toString()));
        assertEquals(Optional.empty(), WatchdogSetup.findSetsid(null));
    }

    @Test
    void theChildRunsUnderSetsidWhenThereIsOne() {
        List<String> command = List.of("/usr/bin/perl", "/x/baton-watchdog.pl", "--data-dir", "/d");
        assertEquals(List.of("/usr/bin/setsid", "-w", "/usr/bin/perl", "/x/baton-watchdog.pl", "--data-dir", "/d"),
                WatchdogSetup.inNewSession(Optional.of(Path.of("/usr/bin/setsid")), command));
        assertEquals(command, WatchdogSetup.inNewSession(Optional.empty(), command));
    }

    @Test
    void withoutSetsidRequiredFailsClosedAndTheOtherModesWarn() {
        Optional<Path> none = Optional.empty();
        String required = WatchdogSetup.setsidProblem(new WatchdogConfig("required", "/dev/watchdog", 5), none);
        assertTrue(required.startsWith("is required, but setsid is not on PATH: the fencing watchdog would share the "
                + "agent's process group"), required);
        String automatic = WatchdogSetup.setsidProblem(new WatchdogConfig("automatic", "/dev/watchdog", 5), none);
        assertTrue(automatic.startsWith("setsid is not on PATH"), automatic);
        assertNull(WatchdogSetup.setsidProblem(new WatchdogConfig("required", "/dev/watchdog", 5),
                Optional.of(Path.of("/usr/bin/setsid"))));
        assertNull(WatchdogSetup.setsidProblem(new WatchdogConfig("required", "/dev/watchdog", 5,
                "/run/baton/watchdog.sock"), none), "the service needs no setsid: no child is started");
    }

    @Test
    void withoutPerlRequiredFailsClosedAndTheOtherModesAreTold() {
        Optional<Path> none = Optional.empty();
        String required = WatchdogSetup.perlProblem(new WatchdogConfig("required", "/dev/watchdog", 5), none);
        assertTrue(required.startsWith("is required, but perl is not on PATH: the fencing watchdog process (a perl "
                + "script) cannot start"), required);
        String automatic = WatchdogSetup.perlProblem(new WatchdogConfig("automatic", "/dev/watchdog", 5), none);
        assertTrue(automatic.startsWith("perl is not on PATH"), automatic);
        assertNull(WatchdogSetup.perlProblem(new WatchdogConfig("required", "/dev/watchdog", 5),
                Optional.of(Path.of("/usr/bin/perl"))));
        assertNull(WatchdogSetup.perlProblem(new WatchdogConfig("required", "/dev/watchdog", 5,
                "/run/baton/watchdog.sock"), none), "the service's unit runs perl itself");
    }
}
