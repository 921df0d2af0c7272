package dev.baton.cli;

import dev.baton.agent.watchdog.WatchdogMain;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code baton watchdog}: the fencing watchdog (see docs/failure-modes.md) under the command line's
 * name. The agent starts {@link WatchdogMain} directly; this hidden command stays so that an agent
 * of an earlier version, which starts {@code baton watchdog} from its own class path, still gets
 * its watchdog after an upgrade replaced the jar under it. Not meant to be run by hand.
 */
@Command(name = "watchdog", hidden = true, description = {
        "Fencing watchdog, started by the agent: reads heartbeats on standard input ('arm <remaining-ms> "
                + "[<deadline-nanos>]', 'disarm', 'exit') and kills every postgres process of the data directory "
                + "when an armed deadline passes, or when the input ends while armed (the agent died).",
        "Exit status: 0 after 'exit' or the end of the input while disarmed, 1 after fencing because the "
                + "input ended while armed."})
public final class WatchdogCommand extends BaseCommand {

    @Option(names = "--data-dir", required = true, paramLabel = "DIR", description = "PostgreSQL data directory to fence.")
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
        return WatchdogMain.run(System.in, new WatchdogMain.Options(dataDir, name, device, deviceRequired));
    }
}
