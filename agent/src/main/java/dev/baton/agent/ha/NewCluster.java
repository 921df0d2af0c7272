package dev.baton.agent.ha;

import dev.baton.agent.postgres.DataDirInfo;
import dev.baton.agent.postgres.PostgresController;
import dev.baton.agent.postgres.PostgresController.StopMode;
import dev.baton.agent.postgres.PostgresException;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterStore;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * The steps a new cluster's first primary shares however its data directory was made (initdb, a
 * restore from the backup repository or a custom bootstrap method): the post_bootstrap script and
 * the roles, registering it in etcd once postgres runs, and undoing a failed bootstrap (postgres
 * stopped, the data directory it made emptied, the keys released) so that the next cycle can try again.
 */
final class NewCluster {
    private static final Logger LOG = Logger.getLogger(NewCluster.class.getName());

    private NewCluster() {
    }

    /**
     * The post_bootstrap script, the replication role and the bootstrap users (Patroni 3's order;
     * a failure of any fails the bootstrap, while the {@code initialize} key is still empty), then
     * the {@code initialize} key filled in with the system identifier, the {@code config} and
     * {@code history} keys, then a CHECKPOINT. Returns what is on disk.
     */
    static DataDirInfo register(PostgresController pg, ClusterStore store, LoopContext ctx, DynamicConfig initial) {
        pg.runPostBootstrap();
        pg.ensureReplicationRole();
        pg.createBootstrapUsers();
        ctx.dataDirChanged();
        DataDirInfo info = pg.inspectDataDir();
        if (!store.replaceInitialize("", info.systemId())) {
            throw new PostgresException("the initialize key changed while bootstrapping");
        }
        store.casConfig(initial.toJson(), 0);
        store.putHistory("[]");
        pg.checkpoint();
        return info;
    }

    /**
     * After a failed bootstrap ({@code what}, e.g. "bootstrap"): postgres stopped, the data
     * directory emptied, the {@code initialize} and leader keys released. A failure of the cleanup
     * is logged; the caller rethrows the original failure.
     */
    static void undo(PostgresController pg, ClusterStore store, String what, RuntimeException failure) {
        LOG.severe(what + " failed, cleaning up so that it can be retried: " + failure.getMessage());
        try {
            pg.stop(StopMode.IMMEDIATE, Duration.ofSeconds(30));
            pg.removeDataDirectory();
            store.deleteInitialize("");
            store.releaseLeader();
        } catch (RuntimeException cleanup) {
            LOG.warning("cleanup after the failed " + what + " failed: " + cleanup.getMessage());
        }
    }
}
