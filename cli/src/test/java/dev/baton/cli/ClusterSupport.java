package dev.baton.cli;

import dev.baton.leader.model.ClusterView;
import dev.baton.cli.local.LocalCluster;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.etcd.EtcdClusterStore;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.function.BooleanSupplier;

/** Helpers shared by the integration tests: waiting, reading etcd, connecting to a node. */
final class ClusterSupport {
    /** Generous deadlines: tests wait for conditions, they do not time them. */
    static final Duration LONG = Duration.ofSeconds(120);

    private ClusterSupport() {
    }

    static void awaitOrFail(LocalCluster cluster, String what, BooleanSupplier condition) throws InterruptedException {
        if (!LocalCluster.await(LONG, condition)) {
            cluster.keepFiles();
            StringBuilder logs = new StringBuilder();
            for (LocalCluster.Node n : cluster.nodes()) {
                logs.append("\n--- ").append(n.name()).append(" agent log (tail)\n").append(n.lastLogLines(40));
            }
            throw new AssertionError("timed out waiting until " + what + "; files kept in " + cluster.dir() + logs);
        }
    }

    static ClusterSnapshot snapshot(LocalCluster cluster) {
        try (EtcdClusterStore store = new EtcdClusterStore(List.of(cluster.etcdEndpoint()),
                new KeyLayout("/service/", cluster.scope()), "test-reader", 10, Duration.ofSeconds(5), System::nanoTime)) {
            return store.read();
        }
    }

    static ClusterView view(LocalCluster cluster) {
        return ClusterView.of(snapshot(cluster), DynamicConfig.defaults());
    }

    static Connection connect(LocalCluster cluster, LocalCluster.Node node) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", cluster.superuserPassword());
        p.setProperty("connectTimeout", "5");
        return DriverManager.getConnection(node.jdbcUrl(), p);
    }
}
