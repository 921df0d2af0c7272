package dev.baton.cli;

import dev.baton.agent.watchdog.WatchdogMain;
import dev.baton.agent.watchdog.WatchdogScript;
import dev.baton.agent.watchdog.WatchdogSetup;
import dev.baton.config.BatonConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code baton watchdog}: the fencing watchdog (see docs/failure-modes.md §12) under the command
 * line's name. The watchdog itself is a perl script ({@link WatchdogScript}); this command resolves
 * its options and runs it. Three uses:
 * <ul>
 *   <li>{@code baton watchdog -c FILE --write-options OUT}: resolves the agent's configuration
 *       (data directory, name, device, {@code watchdog.service_socket}) into the script's options
 *       file and exits. deploy/systemd/baton-watchdog.service runs it as ExecStartPre and then the
 *       script itself ({@code perl baton-watchdog --options-file OUT}), so no JVM stays resident;</li>
 *   <li>{@code baton watchdog -c FILE [--listen SOCKET]}: the same, then runs the script as the
 *       service, as a child of this JVM (units written for earlier versions);</li>
 *   <li>{@code baton watchdog --data-dir DIR ...}: runs the script as the child watchdog reading
 *       standard input, so that an agent of an earlier version, which starts {@code baton watchdog}
 *       from its own class path, still gets its watchdog after an upgrade replaced the jar under it.</li>
 * </ul>
 */
@Command(name = "watchdog", hidden = true, description = {
        "Fencing watchdog: reads heartbeats ('arm <remaining-ms> [<deadline-nanos>]', 'disarm', 'exit') on standard "
                + "input, or with --listen / -c from the agent over a Unix socket, and kills every postgres process of "
                + "the data directory when an armed deadline passes, or when the input ends while armed (the agent died).",
        "Exit status: 0 after 'exit' or the end of the input while disarmed, 1 after fencing because the "
                + "input ended while armed, 2 for bad input."})
public final class WatchdogCommand extends BaseCommand {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "The agent's configuration: run as the watchdog service for it (data directory, name and "
                    + "device from the file; the socket from watchdog.service_socket unless --listen is given).")
    Path config;

    @Option(names = "--listen", paramLabel = "SOCKET",
            description = "Run as a service on this Unix socket (mode 0600, only this user may connect).")
    Path listen;

    @Option(names = "--write-options", paramLabel = "FILE",
            description = "With -c: write the resolved options for the script's --options-file to FILE and exit.")
    Path writeOptions;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "PostgreSQL data directory to fence.")
    Path dataDir;

    @Option(names = "--name", paramLabel = "NAME", description = "Member name, for the log.")
    String name;

    @Option(names = "--device", paramLabel = "PATH",
            description = "Linux watchdog device to keep alive while armed (watchdog.device).")
    Path device;

    @Option(names = "--device-required", description = "watchdog.mode is required: failing to open the device is SEVERE.")
    boolean deviceRequired;

    @Override
    protected int execute() throws Exception {
        WatchdogScript.Options options;
        if (config != null) {
            if (dataDir != null || name != null || device != null || deviceRequired) {
                throw ExitException.badInput("with -c, the data directory, name and device come from the file");
            }
            BatonConfig c = ConfigSupport.load(config, System.getenv(), err());
            try {
                options = WatchdogSetup.serviceOptions(c, listen);
            } catch (IllegalArgumentException e) {
                throw ExitException.badInput(config + ": " + e.getMessage());
            }
        } else if (dataDir == null) {
            throw ExitException.badInput("--data-dir or -c is required");
        } else {
            options = new WatchdogScript.Options(dataDir, name, device, deviceRequired, listen);
        }
        if (writeOptions != null) {
            if (config == null) {
                throw ExitException.badInput("--write-options needs -c");
            }
            String text;
            try {
                text = options.toOptionsFile();
            } catch (IllegalArgumentException e) {
                throw ExitException.badInput(config + ": " + e.getMessage());
            }
            writeAtomically(writeOptions, text);
            return 0;
        }
        return WatchdogMain.run(options.toArgs());
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
