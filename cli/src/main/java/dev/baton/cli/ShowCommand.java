package dev.baton.cli;

import dev.baton.leader.model.ClusterView;
import picocli.CommandLine.Mixin;

/**
 * The commands that show the cluster as read once from etcd ({@code list}, {@code topology},
 * {@code history}): which cluster, and {@code --format table|json|yaml}.
 */
abstract class ShowCommand extends BaseCommand {

    @Mixin
    ClusterOptions cluster;

    @Mixin
    TableFormat format;

    @Override
    protected final int execute() {
        String f = format.checked();
        ClusterOptions.Read read = cluster.read(err());
        show(f, read.scope(), read.view());
        return EXIT_OK;
    }

    /** Prints the cluster {@code scope} as {@code view} shows it, in {@code format} (table, json or yaml). */
    protected abstract void show(String format, String scope, ClusterView view);
}
