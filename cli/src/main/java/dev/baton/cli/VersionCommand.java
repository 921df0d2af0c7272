package dev.baton.cli;

import picocli.CommandLine.Command;

@Command(name = "version", description = "Print Baton's version.")
public final class VersionCommand extends BaseCommand {
    @Override
    protected int execute() {
        out().println("baton " + Version.get());
        return EXIT_OK;
    }
}
