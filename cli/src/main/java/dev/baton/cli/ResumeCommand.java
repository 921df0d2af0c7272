package dev.baton.cli;

import picocli.CommandLine.Command;

@Command(name = "resume", description = "End maintenance mode: remove \"pause\" from the config key.")
public final class ResumeCommand extends MaintenanceToggle {
    @Override
    boolean pause() {
        return false;
    }
}
