package dev.baton.cli;

import picocli.CommandLine.Option;

/** {@code --force}: do not ask for a confirmation (the commands that change something ask otherwise). */
final class ForceOption {
    @Option(names = "--force", description = "Do not ask for a confirmation.")
    boolean force;
}
