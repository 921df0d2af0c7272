package dev.baton.cli;

import picocli.CommandLine.Option;

/** {@code -f/--format table|json|yaml} of the commands that print the cluster as data. */
final class TableFormat {
    @Option(names = {"-f", "--format"}, defaultValue = "table", paramLabel = "FORMAT",
            description = "table (or pretty, patronictl's name for it), json or yaml (default: ${DEFAULT-VALUE}); "
                    + "list, history and remove also print tsv.")
    String format;

    /** The format asked for; exit 2 unless table (pretty), json or yaml. */
    String checked() {
        return BaseCommand.format(format.equals("pretty") ? "table" : format, "table", "json", "yaml");
    }

    /** As {@link #checked()}, also accepting patronictl's tsv (tab-separated, a header line first). */
    String checkedWithTsv() {
        return BaseCommand.format(format.equals("pretty") ? "table" : format, "table", "tsv", "json", "yaml");
    }
}
