package dev.baton.cli;

import dev.baton.config.BatonConfig;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.model.ClusterView;
import dev.baton.config.TlsFiles;
import dev.baton.leader.etcd.EtcdAccess;
import dev.baton.leader.etcd.EtcdClusterStore;
import dev.baton.leader.etcd.EtcdTls;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Which cluster a command talks to: {@code -c FILE} (its whole {@code etcd3} section: hosts,
 * protocol, TLS files, user and password), or {@code --etcd HOST:PORT --scope NAME} with
 * {@code --etcd-cacert}/{@code --etcd-cert}/{@code --etcd-key} for TLS and etcd's user and password
 * from the environment ({@code BATON_ETCD3_USERNAME}/{@code PASSWORD}, or Patroni's
 * {@code PATRONI_ETCD3_*}), never from argv where every user of the machine can read them.
 */
public final class ClusterOptions {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Agent configuration (Patroni-style YAML).")
    Path config;

    @Option(names = "--etcd", paramLabel = "HOST:PORT", split = ",",
            description = "etcd endpoint(s), instead of -c; https://HOST:PORT for TLS.")
    List<String> etcd;

    @Option(names = "--scope", paramLabel = "NAME", description = "Cluster name, with --etcd (or to override -c).")
    String scope;

    @Option(names = "--namespace", paramLabel = "PATH", description = "Key namespace (default /service/).")
    String namespace;

    @Option(names = "--etcd-cacert", paramLabel = "FILE",
            description = "CA certificate(s) etcd's server certificate must chain to (TLS; etcd3.cacert).")
    Path etcdCacert;

    @Option(names = "--etcd-cert", paramLabel = "FILE", description = "Client certificate for etcd (TLS; etcd3.cert).")
    Path etcdCert;

    @Option(names = "--etcd-key", paramLabel = "FILE",
            description = "Its private key (etcd3.key; its password from BATON_ETCD3_KEY_PASSWORD).")
    Path etcdKey;

    /** The resolved target: how to reach etcd, and the cluster's keys there. */
    public record Target(EtcdAccess access, KeyLayout layout) {
        /** Plain access to {@code endpoints} (tests). */
        public Target(List<String> endpoints, KeyLayout layout) {
            this(EtcdAccess.plain(endpoints), layout);
        }

        /** The endpoints as {@code scheme://host:port}, for messages. */
        public List<String> endpoints() {
            return access.urls();
        }
    }

    Target resolve(PrintWriter err) {
        return resolve(err, null);
    }

    /** As {@link #resolve(PrintWriter)}, with {@code fallbackScope} used when neither --scope nor -c names one. */
    Target resolve(PrintWriter err, String fallbackScope) {
        return resolve(err, fallbackScope, System.getenv());
    }

    Target resolve(PrintWriter err, String fallbackScope, Map<String, String> env) {
        EtcdAccess access = null;
        String s = scope;
        String ns = namespace;
        if (config != null) {
            BatonConfig c = ConfigSupport.load(config, env, err);
            access = EtcdAccess.of(c.etcd());
            if (s == null) {
                s = c.scope();
            }
            if (ns == null) {
                ns = c.namespace();
            }
        }
        if (etcd != null) {
            access = withHosts(access, etcd, env);
        }
        if (access == null) {
            throw ExitException.badInput("no cluster given: use -c FILE, or --etcd HOST:PORT with --scope NAME");
        }
        access = withTlsOptions(access, env);
        if (access.https()) {
            EtcdTls.problem(access.tls()).ifPresent(p -> {
                throw ExitException.badInput(p.toString());
            });
        }
        if ((s == null || s.isBlank()) && fallbackScope != null) {
            s = fallbackScope;
        }
        if (s == null || s.isBlank()) {
            throw ExitException.badInput("no cluster scope: give --scope NAME (or -c FILE)");
        }
        return new Target(access, new KeyLayout(ns, s));
    }

    /**
     * The {@code --etcd} hosts: with {@code -c}, in place of the file's hosts (its protocol, files
     * and user stay); alone, plain access with the user and password of the environment.
     */
    private static EtcdAccess withHosts(EtcdAccess fromFile, List<String> hosts, Map<String, String> env) {
        for (String e : hosts) {
            String hostPort = e.strip().replaceFirst("(?i)^https?://", "").replaceAll("/+$", "");
            if (!hostPort.matches("[^:\\s/]+:\\d{1,5}") && !hostPort.matches("\\[[0-9a-fA-F:]+\\]:\\d{1,5}")) {
                throw ExitException.badInput("--etcd: must be HOST:PORT or https://HOST:PORT, got \"" + e + "\"");
            }
        }
        try {
            if (fromFile != null) {
                return new EtcdAccess(fromFile.scheme(), hosts, fromFile.tls(), fromFile.username(), fromFile.password());
            }
            return EtcdAccess.plain(hosts).withCredentials(envValue(env, "ETCD3_USERNAME"), envValue(env, "ETCD3_PASSWORD"));
        } catch (IllegalArgumentException e) {
            throw ExitException.badInput("--etcd: " + e.getMessage());
        }
    }

    /** {@code --etcd-cacert}, {@code --etcd-cert}, {@code --etcd-key} in place of the file's (any of them means TLS). */
    private EtcdAccess withTlsOptions(EtcdAccess access, Map<String, String> env) {
        if (etcdCacert == null && etcdCert == null && etcdKey == null) {
            return access;
        }
        if (etcdKey != null && etcdCert == null && access.tls().certfile() == null) {
            throw ExitException.badInput("--etcd-key: needs --etcd-cert, the client certificate");
        }
        TlsFiles t = access.tls();
        TlsFiles files = new TlsFiles(etcdCert != null ? etcdCert : t.certfile(), etcdKey != null ? etcdKey : t.keyfile(),
                t.keyfilePassword() != null ? t.keyfilePassword() : envValue(env, "ETCD3_KEY_PASSWORD"),
                etcdCacert != null ? etcdCacert : t.cafile());
        try {
            return access.withTls(files);
        } catch (IllegalArgumentException e) {
            throw ExitException.badInput(e.getMessage());
        }
    }

    /** {@code BATON_<name>}, else Patroni's {@code PATRONI_<name>}; null when neither is set or empty. */
    static String envValue(Map<String, String> env, String name) {
        for (String prefix : List.of("BATON_", "PATRONI_")) {
            String v = env.get(prefix + name);
            if (v != null && !v.isEmpty()) {
                return v;
            }
        }
        return null;
    }

    /**
     * A store for reading and operator actions (no lease is granted unless a write needs one).
     * Every etcd call is bounded by {@link #OP_TIMEOUT}: an operator waits seconds, not minutes,
     * to learn that etcd is unreachable.
     */
    EtcdClusterStore open(Target t) {
        try {
            return new EtcdClusterStore(t.access(), t.layout(), "baton-ctl", 10, OP_TIMEOUT, System::nanoTime);
        } catch (IllegalArgumentException e) {
            throw ExitException.badInput(e.getMessage());
        }
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
