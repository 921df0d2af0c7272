package dev.baton.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "show-config", description = "Print the cluster's dynamic configuration (the config key in etcd).")
public final class ShowConfigCommand extends BaseCommand {

    @Mixin
    ClusterOptions cluster;

    @Option(names = {"-f", "--format"}, defaultValue = "yaml", paramLabel = "FORMAT",
            description = "yaml or json (default: ${DEFAULT-VALUE}).")
    String format;

    @Override
    protected int execute() {
        format(format, "yaml", "json");
        try (ClusterSession s = cluster.connect(err())) {
            out().print(Formats.print(ConfigKey.read(s).json(), format));
        }
        return EXIT_OK;
    }
}
