package dev.baton.cli.drill;

import dev.baton.config.DynamicConfig;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.LeaderKey;
import dev.baton.leader.etcd.EtcdAccess;
import dev.baton.leader.etcd.EtcdClusterStore;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.HistoryEntry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What {@link LocalTarget} and {@link RemoteTarget} share: the cluster's keys in etcd, read with
 * short calls (the drill polls every 100 ms and must not hang while etcd is away).
 */
abstract class EtcdTarget implements DrillTarget {
    protected final EtcdClusterStore store;

    protected EtcdTarget(EtcdAccess access, KeyLayout layout, Duration timeout) {
        this.store = new EtcdClusterStore(access, layout, "baton-drill", 10, timeout, System::nanoTime);
    }

    /** The cluster as etcd has it now; throws when etcd cannot be read. */
    public ClusterView view() {
        return ClusterView.of(store.read(), DynamicConfig.defaults());
    }

    @Override
    public Optional<String> leaderKey() {
        try {
            return store.read().leaderKey().map(LeaderKey::name);
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public List<HistoryEntry> history() {
        try {
            return view().history();
        } catch (RuntimeException e) {
            return List.of();
        }
    }
}
