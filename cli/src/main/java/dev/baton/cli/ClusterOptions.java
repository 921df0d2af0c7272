package dev.baton.cli;

import dev.baton.config.BatonConfig;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.etcd.EtcdClusterStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Which cluster a command talks to: {@code -c FILE}, or {@code --etcd HOST:PORT --scope NAME}. */
public final class ClusterOptions {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Agent configuration (Patroni-style YAML).")
    Path config;

    @Option(names = "--etcd", paramLabel = "HOST:PORT", split = ",", description = "etcd endpoint(s), instead of -c.")
    List<String> etcd;

    @Option(names = "--scope", paramLabel = "NAME", description = "Cluster name, with --etcd (or to override -c).")
    String scope;

    @Option(names = "--namespace", paramLabel = "PATH", description = "Key namespace (default /service/).")
    String namespace;

    /** The resolved target. */
    public record Target(List<String> endpoints, KeyLayout layout) {
    }

    Target resolve(PrintWriter err) {
        return resolve(err, null);
    }

    /** As {@link #resolve(PrintWriter)}, with {@code fallbackScope} used when neither --scope nor -c names one. */
    Target resolve(PrintWriter err, String fallbackScope) {
        List<String> endpoints = new ArrayList<>();
        String s = scope;
        String ns = namespace;
        if (config != null) {
            BatonConfig c = ConfigSupport.load(config, System.getenv(), err);
            endpoints.addAll(c.etcd().hosts());
            if (s == null) {
                s = c.scope();
            }
            if (ns == null) {
                ns = c.namespace();
            }
        }
        if (etcd != null) {
            endpoints.clear();
            endpoints.addAll(etcd);
        }
        if (endpoints.isEmpty()) {
            throw ExitException.badInput("no cluster given: use -c FILE, or --etcd HOST:PORT with --scope NAME");
        }
        for (String e : endpoints) {
            if (!e.matches("[^:\\s]+:\\d{1,5}") && !e.matches("\\[[0-9a-fA-F:]+\\]:\\d{1,5}")) {
                throw ExitException.badInput("--etcd: must be HOST:PORT, got \"" + e + "\"");
            }
        }
        if ((s == null || s.isBlank()) && fallbackScope != null) {
            s = fallbackScope;
        }
        if (s == null || s.isBlank()) {
            throw ExitException.badInput("no cluster scope: give --scope NAME (or -c FILE)");
        }
        return new Target(endpoints, new KeyLayout(ns, s));
    }

    /**
     * A store for reading and operator actions (no lease is granted unless a write needs one).
     * Every etcd call is bounded by {@link #OP_TIMEOUT}: an operator waits seconds, not minutes,
     * to learn that etcd is unreachable.
     */
    EtcdClusterStore open(Target t) {
        return new EtcdClusterStore(t.endpoints(), t.layout(), "baton-ctl", 10, OP_TIMEOUT, System::nanoTime);
    }

    static final Duration OP_TIMEOUT = Duration.ofSeconds(3);

    /** The cluster as read once from etcd, with its scope. */
    record Read(String scope, ClusterView view) {
    }

    /** Resolves the target and reads the cluster once (for the commands that only show it). */
    Read read(PrintWriter err) {
        try (ClusterSession s = connect(err)) {
            return new Read(s.scope(), s.view());
        }
    }

    /** Resolves the target and opens a session on it (the caller closes it). */
    ClusterSession connect(PrintWriter err) {
        return connect(err, null);
    }

    ClusterSession connect(PrintWriter err, String fallbackScope) {
        Target t = resolve(err, fallbackScope);
        return new ClusterSession(t, () -> open(t));
    }
}
