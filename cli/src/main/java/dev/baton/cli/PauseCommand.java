package dev.baton.cli;

import picocli.CommandLine.Command;

@Command(name = "pause", description = {"Maintenance mode: agents take no automatic action.",
        "Sets \"pause\": true in the config key. Agents keep their leases but take no automatic action",
        "(no failover, no fencing). 'baton resume' ends it."})
public final class PauseCommand extends MaintenanceToggle {
    @Override
    boolean pause() {
        return true;
    }
}
