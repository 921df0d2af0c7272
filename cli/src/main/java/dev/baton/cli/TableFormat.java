package dev.baton.cli;

import picocli.CommandLine.Option;

/** {@code -f/--format table|json|yaml} of the commands that print the cluster as data. */
final class TableFormat {
    @Option(names = {"-f", "--format"}, defaultValue = "table", paramLabel = "FORMAT",
            description = "table, json or yaml (default: ${DEFAULT-VALUE}).")
    String format;

    /** The format asked for; exit 2 unless table, json or yaml. */
    String checked() {
        return BaseCommand.format(format, "table", "json", "yaml");
    }
}
