package dev.baton.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "resume", description = "End maintenance mode: remove \"pause\" from the config key.")
public final class ResumeCommand extends BaseCommand {

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--wait", description = "Wait until no member shows the pause in its member key.")
    boolean await;

    @Option(names = "--timeout", defaultValue = "120", paramLabel = "SECONDS",
            description = "With --wait, how long to wait (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    protected int execute() throws InterruptedException {
        return PauseCommand.toggle(this, cluster, false, await, timeoutSeconds);
    }
}
