package dev.baton.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@link ClusterSelection} with the configuration file as {@code -c/--config/--config-file}: every cluster command's. */
public final class ClusterOptions extends ClusterSelection {

    @Option(names = {"-c", "--config", "--config-file"}, paramLabel = "FILE",
            description = "Agent configuration (Patroni-style YAML); also accepted before the command (baton -c FILE list).")
    void config(Path file) {
        this.config = file;
    }
}
