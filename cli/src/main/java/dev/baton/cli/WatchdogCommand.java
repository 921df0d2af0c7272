package dev.baton.cli;

import dev.baton.agent.watchdog.WatchdogMain;
import dev.baton.agent.watchdog.WatchdogSetup;
import dev.baton.config.BatonConfig;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code baton watchdog}: the fencing watchdog (see docs/failure-modes.md §12) under the command
 * line's name. Two uses:
 * <ul>
 *   <li>{@code baton watchdog -c FILE [--listen SOCKET]}: the watchdog as a service of its own
 *       (deploy/systemd/baton-watchdog.service), listening on {@code watchdog.service_socket} for
 *       the agent of the same configuration;</li>
 *   <li>{@code baton watchdog --data-dir DIR ...}: the child the agent starts. The agent starts
 *       {@link WatchdogMain} directly; this form stays so that an agent of an earlier version,
 *       which starts {@code baton watchdog} from its own class path, still gets its watchdog after
 *       an upgrade replaced the jar under it.</li>
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
        WatchdogMain.Options options;
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
            options = new WatchdogMain.Options(dataDir, name, device, deviceRequired, listen);
        }
        return WatchdogMain.run(System.in, options);
    }
}
