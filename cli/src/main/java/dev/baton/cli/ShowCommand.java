package dev.baton.cli;

import dev.baton.leader.model.ClusterView;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Mixin;

/**
 * The commands that show the cluster as read once from etcd ({@code list}, {@code topology},
 * {@code history}): which cluster, and {@code --format table|json|yaml}; {@code list} and
 * {@code topology} also refresh it ({@link WatchOptions}).
 */
abstract class ShowCommand extends BaseCommand {

    @Mixin
    ClusterOptions cluster;

    @Mixin
    TableFormat format;

    @Override
    protected final int execute() throws InterruptedException {
        String f = checkedFormat();
        long every = watchMillis();
        List<String> names = new ArrayList<>();
        names.add(cluster.clusterName);
        names.addAll(moreClusterNames());
        Baton.Watch watch = spec.root().userObject() instanceof Baton b ? b.watch : new Baton.Watch(Thread::sleep,
                Long.MAX_VALUE);
        boolean clear = every > 0 && System.console() != null;
        for (long round = 1; ; round++) {
            if (clear) {
                out().print("\033[H\033[2J"); // as patronictl clears a terminal before each refresh
            }
            beforeEachRefresh();
            for (String name : names) {
                cluster.clusterName = name;
                ClusterOptions.Read read = cluster.read(err());
                show(f, read.scope(), read.view());
            }
            out().flush();
            if (every == 0 || round >= watch.maxRefreshes()) {
                return EXIT_OK;
            }
            watch.sleeper().sleep(every);
        }
    }

    /** The format asked for, checked. */
    protected String checkedFormat() {
        return format.checked();
    }

    /** Milliseconds between refreshes, 0 to show once. */
    protected long watchMillis() {
        return 0;
    }

    /** Cluster names after the first (patronictl's list and topology take several). */
    protected List<String> moreClusterNames() {
        return List.of();
    }

    /** Printed before each refresh (list -t: the time). */
    protected void beforeEachRefresh() {
    }

    /** Prints the cluster {@code scope} as {@code view} shows it, in {@code format} (table, json or yaml). */
    protected abstract void show(String format, String scope, ClusterView view);
}
