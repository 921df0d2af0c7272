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
import java.sql.Statement;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
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

    /** Starts a cluster in a new temporary directory and waits until {@code replicas} stream from its primary. */
    static LocalCluster startCluster(String prefix, LocalCluster.Options options, int replicas) throws Exception {
        LocalCluster c = LocalCluster.start(Files.createTempDirectory(prefix), options);
        try {
            awaitOrFail(c, "the cluster is up", () -> c.healthy(replicas));
        } catch (AssertionError | Exception e) {
            c.close();
            throw e;
        }
        return c;
    }

    static LocalCluster.Node primaryOf(LocalCluster c) throws InterruptedException {
        awaitOrFail(c, "there is a primary", () -> c.primary().isPresent());
        return c.primary().orElseThrow();
    }

    static void exec(LocalCluster c, LocalCluster.Node n, String sql) throws SQLException {
        try (Connection conn = connect(c, n); Statement st = conn.createStatement()) {
            st.execute(sql);
        }
    }

    /** The status code of a REST endpoint of {@code n}, -1 when it does not answer. */
    static int status(LocalCluster c, LocalCluster.Node n, String path) {
        return c.get(n, path).map(LocalCluster.Response::status).orElse(-1);
    }

    /**
     * Waits until {@code n}'s agent has read etcd {@code seconds} after now ({@code dcs_last_seen}
     * of its {@code /patroni} moved past it), so that "it did not act" is observed over that many
     * more HA cycles (loop_wait 1) instead of over a fixed sleep.
     */
    static void awaitMoreCycles(LocalCluster c, LocalCluster.Node n, int seconds) throws InterruptedException {
        awaitCyclesPast(c, n, Instant.now().plusSeconds(seconds));
    }

    /** Waits until {@code n}'s agent has run an HA cycle (read etcd) at or after {@code when}. */
    static void awaitCyclesPast(LocalCluster c, LocalCluster.Node n, Instant when) throws InterruptedException {
        long target = when.getEpochSecond();
        awaitOrFail(c, n.name() + "'s agent ran its HA loop at " + when + " or later", () -> c.get(n, "/patroni")
                .map(r -> r.body().path("dcs_last_seen").asLong(0) >= target).orElse(false));
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
