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
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Which cluster a command talks to: {@code -c FILE} (its whole {@code etcd3} section: hosts,
 * protocol, TLS files, user and password), or {@code --etcd HOST:PORT --scope NAME} with
 * {@code --etcd-cacert}/{@code --etcd-cert}/{@code --etcd-key} for TLS and etcd's user and password
 * from the environment ({@code BATON_ETCD3_USERNAME}/{@code PASSWORD}, or Patroni's
 * {@code PATRONI_ETCD3_*}), never from argv where every user of the machine can read them.
 *
 * <p>patronictl's grammar too: the positional {@code CLUSTER_NAME} (checked against the scope, or
 * the scope itself when nothing else names one), {@code --dcs-url etcd3://HOST:PORT} and, given
 * before the command ({@code baton -c FILE list}), the top-level {@code -c}, {@code -d} and
 * {@code -k} of {@link Baton}. The configuration file's option is declared by the subclasses:
 * {@link ClusterOptions} as {@code -c/--config/--config-file}, {@code query}'s without {@code -c},
 * which is its SQL command there as in patronictl.
 */
public abstract class ClusterSelection {

    /** The agent configuration file, set by the subclass's option. */
    Path config;

    @Parameters(index = "0", arity = "0..1", paramLabel = "CLUSTER_NAME",
            description = "The cluster (patronictl's CLUSTER_NAME): must be the scope of -c or --scope; without them, "
                    + "it is the scope.")
    String clusterName;

    @Option(names = "--etcd", paramLabel = "HOST:PORT", split = ",",
            description = "etcd endpoint(s), instead of -c; https://HOST:PORT for TLS.")
    List<String> etcd;

    @Option(names = {"--dcs-url", "--dcs"}, paramLabel = "URL",
            description = "patronictl's form of --etcd: etcd3://HOST:PORT or HOST:PORT (port 2379 when left out).")
    String dcsUrl;

    @Option(names = "--group", paramLabel = "N", description = "Citus group (patronictl): not supported.")
    Integer group;

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

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

    /**
     * The configuration file: this command's {@code -c}, else the one given before the command
     * ({@code baton -c FILE list}, patronictl's place for it); both and different is exit 2.
     */
    Path config() {
        return config(System.getenv());
    }

    /** patronictl's variable for its {@code -c/--config-file}, read when neither place gives one. */
    static final String CONFIG_FILE_VARIABLE = "PATRONICTL_CONFIG_FILE";
    /** patronictl's variable for its {@code -d/--dcs-url}, read when neither place gives one. */
    static final String DCS_URL_VARIABLE = "DCS_URL";

    /** {@link #config()}, else {@code PATRONICTL_CONFIG_FILE} as patronictl reads it. */
    Path config(Map<String, String> env) {
        Path before = root().map(b -> b.config).orElse(null);
        if (config != null && before != null && !config.equals(before)) {
            throw ExitException.badInput("two configuration files: " + before + " before the command and " + config
                    + " after it; give one");
        }
        if (config == null && before == null) {
            String v = env.get(CONFIG_FILE_VARIABLE);
            return v == null || v.isBlank() ? null : Path.of(v);
        }
        return config != null ? config : before;
    }

    /** The top-level command when this runs under {@code baton} (absent in tests that parse the options alone). */
    java.util.Optional<Baton> root() {
        if (mixee != null && mixee.root().userObject() instanceof Baton b) {
            return java.util.Optional.of(b);
        }
        return java.util.Optional.empty();
    }

    /** {@code --dcs-url}, here or before the command. */
    String dcsUrl() {
        return dcsUrl(System.getenv());
    }

    /** {@link #dcsUrl()}, else {@code DCS_URL} as patronictl reads it (not with {@code --etcd}, Baton's own form). */
    String dcsUrl(Map<String, String> env) {
        String before = root().map(b -> b.dcsUrl).orElse(null);
        if (dcsUrl != null && before != null && !dcsUrl.equals(before)) {
            throw ExitException.badInput("two DCS URLs: " + before + " before the command and " + dcsUrl
                    + " after it; give one");
        }
        if (dcsUrl == null && before == null && etcd == null) {
            String v = env.get(DCS_URL_VARIABLE);
            return v == null || v.isBlank() ? null : v;
        }
        return dcsUrl != null ? dcsUrl : before;
    }

    Target resolve(PrintWriter err) {
        return resolve(err, System.getenv());
    }

    Target resolve(PrintWriter err, Map<String, String> env) {
        if (group != null) {
            throw ExitException.failed("not supported yet: --group (Citus clusters); Baton runs one PostgreSQL cluster "
                    + "per scope");
        }
        Path file = config(env);
        List<String> hosts = etcd;
        String url = dcsUrl(env);
        if (url != null) {
            if (hosts != null) {
                throw ExitException.badInput("--dcs-url and --etcd both name etcd: give one");
            }
            hosts = List.of(DcsUrl.hostPort(url));
        }
        EtcdAccess access = null;
        String s = scope;
        String ns = namespace;
        String scopeFrom = "--scope";
        if (file != null) {
            BatonConfig c = ConfigSupport.load(file, env, err);
            access = EtcdAccess.of(c.etcd());
            if (s == null) {
                s = c.scope();
                scopeFrom = "the scope of " + file;
            }
            if (ns == null) {
                ns = c.namespace();
            }
        }
        if (hosts != null) {
            access = withHosts(access, hosts, env);
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
        try {
            s = scope(s, scopeFrom, clusterName);
        } catch (ExitException e) {
            throw clusterName == null ? e : new ExitException(e.code(), e.getMessage() + order());
        }
        return new Target(access, new KeyLayout(ns, s));
    }

    /** For a command that takes more after the cluster name: patronictl's order of them, as a hint. */
    private String order() {
        if (mixee == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (var p : mixee.positionalParameters()) {
            if (p.index().min() > 0) {
                sb.append(' ').append(p.paramLabel()).append(p.arity().max() > 1 ? "..." : "");
            }
        }
        return sb.length() == 0 ? "" : " (patronictl's order: " + mixee.qualifiedName() + " CLUSTER_NAME" + sb + ")";
    }

    /**
     * The scope: the one of {@code --scope} or the file, checked against the {@code CLUSTER_NAME}
     * given (a different one is exit 2 naming both); without either, the cluster name itself.
     */
    static String scope(String scope, String scopeFrom, String clusterName) {
        boolean named = scope != null && !scope.isBlank();
        if (clusterName != null) {
            if (clusterName.isBlank()) {
                throw ExitException.badInput("CLUSTER_NAME: must not be empty");
            }
            if (named && !scope.equals(clusterName)) {
                throw ExitException.badInput("CLUSTER_NAME \"" + clusterName + "\" is not the cluster \"" + scope
                        + "\" (" + scopeFrom + "); give the same name, or leave CLUSTER_NAME out");
            }
            return clusterName;
        }
        if (!named) {
            throw ExitException.badInput("no cluster scope: give --scope NAME, -c FILE or the cluster name");
        }
        return scope;
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
        Target t = resolve(err);
        return new ClusterSession(t, () -> open(t));
    }
}
