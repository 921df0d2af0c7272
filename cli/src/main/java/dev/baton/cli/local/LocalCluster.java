package dev.baton.cli.local;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.agent.AgentJvmOptions;
import dev.baton.agent.client.AgentClient;
import dev.baton.agent.client.ClientSetupException;
import dev.baton.agent.client.RestClientSettings;
import dev.baton.agent.postgres.DataDirectories;
import dev.baton.agent.postgres.Postmaster;
import dev.baton.cli.support.Poll;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A throwaway Baton cluster on this machine: one etcd, N agents (each a child JVM running
 * {@code baton agent}) with their PostgreSQL, and optionally HAProxy routing to the primary with
 * {@code option httpchk GET /primary}. Used by {@code baton demo}, the drill and the integration tests.
 */
public final class LocalCluster implements AutoCloseable {
    /** {@code env --default-signal=HUP} if this machine's env has it (looked up once; see Node.start). */
    private static java.util.Optional<List<String>> defaultHangUp;

    /** How to build the cluster. */
    /**
     * @param dcsYaml      extra lines under {@code bootstrap.dcs} (e.g. "primary_start_timeout: 0")
     * @param nodeYaml     extra top-level YAML per node name (e.g. tags)
     * @param etcdProxies  put a controllable {@link TcpProxy} between each agent and etcd
     * @param callbacks    configure on_start/on_stop/on_role_change/on_restart/on_reload to append to {@code <node>/callbacks.log}
     * @param env          extra environment variables for the agent processes (e.g. AWS credentials for an emulator)
     * @param secure       lock every channel down ({@link LocalSecurity}): etcd over TLS with client certificates
     *                     and users, the REST API over HTTPS with client certificates and Basic auth, PostgreSQL
     *                     with TLS and verified replication
     */
    public record Options(int nodes, int ttl, int loopWait, int retryTimeout, boolean haproxy, String scope,
                          List<String> dcsYaml, Map<String, String> nodeYaml, boolean etcdProxies, boolean callbacks,
                          Map<String, String> env, boolean secure, Backup backup) {
        public static Options defaults() {
            return new Options(3, 10, 1, 3, true, "demo", List.of(), Map.of(), false, false, Map.of(), false, null);
        }

        /** The options as they were before issue 15 (no {@code backup} section). */
        public Options(int nodes, int ttl, int loopWait, int retryTimeout, boolean haproxy, String scope,
                       List<String> dcsYaml, Map<String, String> nodeYaml, boolean etcdProxies, boolean callbacks,
                       Map<String, String> env, boolean secure) {
            this(nodes, ttl, loopWait, retryTimeout, haproxy, scope, dcsYaml, nodeYaml, etcdProxies, callbacks, env, secure,
                    null);
        }

        /** Another cluster name (e.g. a cluster restored from this one's backups). */
        public Options withScope(String name) {
            return new Options(nodes, ttl, loopWait, retryTimeout, haproxy, name, dcsYaml, nodeYaml, etcdProxies,
                    callbacks, env, secure, backup);
        }

        /**
         * A {@code backup:} section on every node: a posix repository in {@code repository} (null: the
         * directory {@code repository} in the cluster's directory; give the same directory to two
         * clusters so that one restores from the other's backups), with {@code archive_timeout}.
         */
        public Options withBackup(Path repository, Integer archiveTimeout) {
            Backup b = backup == null ? new Backup(true, repository, archiveTimeout, List.of(), null)
                    : new Backup(true, repository, archiveTimeout, backup.createReplicaMethods(), backup.restore());
            return withBackup(b);
        }

        /** {@code postgresql.create_replica_methods} on every node (and on nodes added later), e.g. backup, basebackup. */
        public Options withCreateReplicaMethods(String... methods) {
            Backup b = backup == null ? new Backup(false, null, null, List.of(methods), null)
                    : new Backup(backup.section(), backup.repository(), backup.archiveTimeout(), List.of(methods),
                    backup.restore());
            return withBackup(b);
        }

        /**
         * {@code bootstrap: {method: restore, restore: {...}}}: the cluster is made from the backups of
         * scope {@code restore.fromScope()} in the repository (give it a scope of its own: {@link #withScope}).
         */
        public Options withRestore(Restore restore) {
            Backup b = backup == null ? new Backup(false, null, null, List.of(), restore)
                    : new Backup(backup.section(), backup.repository(), backup.archiveTimeout(),
                    backup.createReplicaMethods(), restore);
            return withBackup(b);
        }

        /**
         * Backups from a replica ({@link Backup#fromReplica}) and a full backup scheduled at
         * {@code fullSchedule} (null: none), on top of {@link #withBackup(Path, Integer)}.
         */
        public Options withBackupsFromReplica(String fullSchedule) {
            if (backup == null || !backup.section()) {
                throw new IllegalStateException("withBackup first");
            }
            return withBackup(new Backup(true, backup.repository(), backup.archiveTimeout(),
                    backup.createReplicaMethods(), backup.restore(), true, fullSchedule));
        }

        private Options withBackup(Backup b) {
            return new Options(nodes, ttl, loopWait, retryTimeout, haproxy, scope, dcsYaml, nodeYaml, etcdProxies,
                    callbacks, env, secure, b);
        }

        public Options withSecurity() {
            return new Options(nodes, ttl, loopWait, retryTimeout, haproxy, scope, dcsYaml, nodeYaml, etcdProxies,
                    callbacks, env, true, backup);
        }

        public Options withEnv(Map<String, String> variables) {
            return new Options(nodes, ttl, loopWait, retryTimeout, haproxy, scope, dcsYaml, nodeYaml, etcdProxies,
                    callbacks, Map.copyOf(variables), secure, backup);
        }

        public Options withCallbacks() {
            return new Options(nodes, ttl, loopWait, retryTimeout, haproxy, scope, dcsYaml, nodeYaml, etcdProxies, true, env, secure, backup);
        }

        public Options withNodes(int n) {
            return new Options(n, ttl, loopWait, retryTimeout, haproxy, scope, dcsYaml, nodeYaml, etcdProxies, callbacks, env, secure, backup);
        }

        public Options withHaproxy(boolean h) {
            return new Options(nodes, ttl, loopWait, retryTimeout, h, scope, dcsYaml, nodeYaml, etcdProxies, callbacks, env, secure, backup);
        }

        public Options withTimings(int ttl, int loopWait, int retryTimeout) {
            return new Options(nodes, ttl, loopWait, retryTimeout, haproxy, scope, dcsYaml, nodeYaml, etcdProxies, callbacks, env, secure, backup);
        }

        /** ttl with the timings the demo and the drill use: loop_wait 1, retry_timeout min(3, (ttl-1)/2), at least 1. */
        public Options withTtl(int ttl) {
            return withTimings(ttl, 1, Math.max(1, Math.min(3, (ttl - 1) / 2)));
        }

        public Options withDcs(String... lines) {
            return new Options(nodes, ttl, loopWait, retryTimeout, haproxy, scope, List.of(lines), nodeYaml, etcdProxies, callbacks, env, secure, backup);
        }

        public Options withNodeYaml(Map<String, String> yaml) {
            return new Options(nodes, ttl, loopWait, retryTimeout, haproxy, scope, dcsYaml, Map.copyOf(yaml), etcdProxies, callbacks, env, secure, backup);
        }

        public Options withEtcdProxies() {
            return new Options(nodes, ttl, loopWait, retryTimeout, haproxy, scope, dcsYaml, nodeYaml, true, callbacks, env, secure, backup);
        }
    }

    /**
     * The nodes' {@code backup} section and what goes with it (docs/backup.md).
     *
     * @param section              whether the nodes get a {@code backup} section (a posix repository)
     * @param repository           the posix repository's directory; null: {@code repository} in the cluster's directory
     * @param archiveTimeout       {@code backup.archive_timeout} in seconds, or null for the default
     * @param createReplicaMethods {@code postgresql.create_replica_methods}, empty for the default
     * @param restore              bootstrap from the repository ({@code bootstrap.method: restore}), or null for initdb
     * @param fromReplica          {@code backup.server} on every node (a CA and certificates of its own, CommonName
     *                             baton-backup, host localhost) and {@code backup.from_replica: true}
     * @param fullSchedule         {@code backup.schedule.full} (a cron expression), or null
     */
    public record Backup(boolean section, Path repository, Integer archiveTimeout, List<String> createReplicaMethods,
                         Restore restore, boolean fromReplica, String fullSchedule) {
        public Backup {
            createReplicaMethods = createReplicaMethods == null ? List.of() : List.copyOf(createReplicaMethods);
        }

        public Backup(boolean section, Path repository, Integer archiveTimeout, List<String> createReplicaMethods,
                      Restore restore) {
            this(section, repository, archiveTimeout, createReplicaMethods, restore, false, null);
        }
    }

    /**
     * {@code bootstrap.restore}: the backups of {@code fromScope} (null: the cluster's own), to
     * {@code targetTime} or {@code targetLsn} (both null: latest).
     */
    public record Restore(String fromScope, java.time.Instant targetTime, String targetLsn) {
        public static Restore latest(String fromScope) {
            return new Restore(fromScope, null, null);
        }

        public static Restore toTime(String fromScope, java.time.Instant time) {
            return new Restore(fromScope, time, null);
        }
    }

    private final Path dir;
    private final Options options;
    private final LocalEtcd etcd;
    private final List<Node> nodes = new ArrayList<>();
    private final AgentClient agents;
    private final String superPassword;
    private final String replPassword;
    /** Certificates and passwords with {@link Options#secure()}, else null. */
    private LocalSecurity security;
    private Process haproxy;
    private int haproxyPort;
    private boolean keepFiles;
    /** Whether this cluster started its etcd (else it runs on another cluster's: {@link #startStandby}). */
    private final boolean ownEtcd;

    private LocalCluster(Path dir, Options options, RestClientSettings client) throws IOException {
        this(dir, options, client, null);
    }

    /** {@code sameUsersAs}: take its superuser and replication passwords (a cluster restored from its backups). */
    private LocalCluster(Path dir, Options options, RestClientSettings client, LocalCluster sameUsersAs)
            throws IOException {
        this(dir, options, client, sameUsersAs, null);
    }

    /** {@code sharedEtcd}: run on that cluster's etcd (another scope) instead of an own one; it is not stopped here. */
    private LocalCluster(Path dir, Options options, RestClientSettings client, LocalCluster sameUsersAs,
                         LocalCluster sharedEtcd) throws IOException {
        this.dir = dir;
        this.options = options;
        if (options.secure()) {
            security = LocalSecurity.create(dir.resolve("certs"));
        }
        try {
            // A secured cluster is called as its operator: the operator's certificate, the CA, the REST password.
            this.agents = AgentClient.create(security != null ? security.restClient() : client, Duration.ofSeconds(1));
        } catch (ClientSetupException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        this.ownEtcd = sharedEtcd == null;
        this.etcd = sharedEtcd != null ? sharedEtcd.etcd
                : new LocalEtcd(dir.resolve("etcd"), security == null ? null : security.etcd("/service/" + options.scope() + "/"));
        SecureRandom random = new SecureRandom();
        byte[] b = new byte[12];
        random.nextBytes(b);
        String generatedSuper = HexFormat.of().formatHex(b);
        random.nextBytes(b);
        String generatedRepl = HexFormat.of().formatHex(b);
        this.superPassword = sameUsersAs != null ? sameUsersAs.superPassword : generatedSuper;
        this.replPassword = sameUsersAs != null ? sameUsersAs.replPassword : generatedRepl;
    }

    /** Creates the directory layout and starts etcd and every agent (and HAProxy). Does not wait for health. */
    public static LocalCluster start(Path dir, Options options) throws IOException, InterruptedException {
        return start(dir, options, RestClientSettings.PLAIN);
    }

    /**
     * As {@link #start(Path, Options)}, calling the agents' REST APIs with {@code client} (their TLS
     * and credentials, when the node configurations turn them on).
     *
     * @throws IllegalArgumentException naming the client setting whose file cannot be used
     */
    public static LocalCluster start(Path dir, Options options, RestClientSettings client)
            throws IOException, InterruptedException {
        return started(new LocalCluster(dir, options, client));
    }

    /** Starts every member of {@code c}, or closes it again when that fails. */
    private static LocalCluster started(LocalCluster c) throws IOException, InterruptedException {
        try {
            c.startAll();
            return c;
        } catch (IOException | InterruptedException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /**
     * Starts a cluster made from {@code source}'s backups ({@link Options#withRestore}, usually with
     * {@link Options#withScope another scope} and {@code source}'s {@link #repository()}): its nodes use
     * {@code source}'s superuser and replication passwords, which the restored database holds.
     */
    public static LocalCluster startRestored(Path dir, Options options, LocalCluster source)
            throws IOException, InterruptedException {
        return started(new LocalCluster(dir, options, RestClientSettings.PLAIN, source));
    }

    /**
     * Starts a second cluster (its {@link Options#withScope own scope}, usually a standby cluster of
     * {@code primary} through {@link Options#withDcs}) on {@code primary}'s etcd, with its superuser and
     * replication passwords (the standby cluster's clone holds {@code primary}'s roles).
     */
    public static LocalCluster startStandby(Path dir, Options options, LocalCluster primary)
            throws IOException, InterruptedException {
        return started(new LocalCluster(dir, options, RestClientSettings.PLAIN, primary, primary));
    }

    private void startAll() throws IOException, InterruptedException {
        Files.createDirectories(dir);
        if (ownEtcd) {
            etcd.start();
        }
        for (int i = 1; i <= options.nodes(); i++) {
            Node n = new Node("node" + i, Ports.free(), Ports.free(), dir.resolve("node" + i));
            nodes.add(n);
            writeConfig(n);
        }
        if (options.haproxy()) {
            startHaproxy();
        }
        for (Node n : nodes) {
            n.start();
        }
    }

    public Path dir() {
        return dir;
    }

    /** Adds a member with a fresh configuration; it is not started (call {@link Node#start()}). */
    public Node addNode() throws IOException {
        Node n = new Node("node" + (nodes.size() + 1), Ports.free(), Ports.free(), dir.resolve("node" + (nodes.size() + 1)));
        nodes.add(n);
        writeConfig(n);
        return n;
    }

    public String etcdEndpoint() {
        return etcd.endpoint();
    }

    public LocalEtcd etcd() {
        return etcd;
    }

    public String scope() {
        return options.scope();
    }

    public List<Node> nodes() {
        return List.copyOf(nodes);
    }

    public Node node(String name) {
        return nodes.stream().filter(n -> n.name.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node " + name));
    }

    /** The superuser password (for tests and the demo's writer; never printed). */
    /** The cluster's certificates and passwords, or null unless {@link Options#secure()}. */
    public LocalSecurity security() {
        return security;
    }

    public String superuserPassword() {
        return superPassword;
    }

    public int haproxyPort() {
        return haproxyPort;
    }

    /** The backup repository's directory (posix), or null without {@link Options#withBackup}. */
    public Path repository() {
        Backup b = options.backup();
        if (b == null || !b.section()) {
            return null;
        }
        return b.repository() != null ? b.repository() : dir.resolve("repository");
    }

    /** The cluster's options (its scope, size, backup section). */
    public Options options() {
        return options;
    }

    /** Keep the directory (logs, data) after close, e.g. when a test fails. */
    public void keepFiles() {
        keepFiles = true;
    }

    private void writeConfig(Node n) throws IOException {
        Files.createDirectories(n.dir);
        if (security != null && !Files.exists(security.certFile(n.name))) {
            security.issueNode(n.name);
        }
        if (options.etcdProxies() && n.etcdProxy == null) {
            n.etcdProxy = new TcpProxy("127.0.0.1", etcd.clientPort());
        }
        StringBuilder y = new StringBuilder();
        y.append("scope: ").append(options.scope()).append('\n')
                .append("name: ").append(n.name).append('\n')
                .append("restapi:\n  listen: 127.0.0.1:").append(n.restPort).append('\n')
                .append(security == null ? "" : security.restapiYaml(n.name))
                .append(security == null ? "" : security.ctlYaml())
                .append("etcd3:\n  hosts: ").append(n.etcdProxy != null ? n.etcdProxy.endpoint() : etcd.endpoint()).append('\n')
                .append(security == null ? "" : security.etcdYaml(n.name))
                .append("bootstrap:\n").append(restoreYaml()).append("  dcs:\n")
                .append("    ttl: ").append(options.ttl()).append('\n')
                .append("    loop_wait: ").append(options.loopWait()).append('\n')
                .append("    retry_timeout: ").append(options.retryTimeout()).append('\n')
                .append(dcsLines())
                .append("    postgresql:\n      use_pg_rewind: true\n      parameters:\n")
                .append("        max_connections: 50\n        shared_buffers: 16MB\n")
                .append("  initdb:\n  - encoding: UTF8\n  - data-checksums\n")
                .append("postgresql:\n  listen: 127.0.0.1:").append(n.pgPort).append('\n')
                .append("  data_dir: ").append(n.dataDir()).append('\n')
                .append("  pgpass: ").append(n.dir.resolve("pgpass")).append('\n')
                .append(security == null ? "" : security.postgresqlYaml(n.name))
                .append("  authentication:\n")
                .append("    superuser:\n      username: postgres\n      password: ").append(superPassword).append('\n')
                .append("    replication:\n      username: replicator\n      password: ").append(replPassword).append('\n')
                .append(security == null ? "" : security.userSslYaml(n.name))
                .append(security == null ? "" : security.rewindYaml(n.name));
        Backup backup = options.backup();
        if (backup != null && !backup.createReplicaMethods().isEmpty()) {
            y.append("  create_replica_methods: [").append(String.join(", ", backup.createReplicaMethods())).append("]\n");
        }
        if (options.callbacks()) {
            Path script = n.dir.resolve("callback.sh");
            Files.writeString(script, "#!/bin/sh\necho \"$*\" >> '" + n.callbackLog() + "'\n");
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
            y.append("  callbacks:\n");
            for (String action : List.of("on_start", "on_stop", "on_role_change", "on_restart", "on_reload")) {
                y.append("    ").append(action).append(": ").append(script).append('\n');
            }
        }
        Path repo = repository();
        if (repo != null) {
            Files.createDirectories(repo);
            y.append(backupYaml(repo, backup.archiveTimeout()));
            if (backup.fullSchedule() != null) {
                y.append("  schedule:\n    full: \"").append(backup.fullSchedule()).append("\"\n");
            }
            if (backup.fromReplica()) {
                y.append(backupServerYaml(n));
            }
        }
        y.append(options.nodeYaml().getOrDefault(n.name, "")).append('\n');
        Files.writeString(n.config(), y.toString());
        Files.setPosixFilePermissions(n.config(), PosixFilePermissions.fromString("rw-------"));
    }

    /**
     * {@code backup.from_replica} and {@code backup.server} of {@code n}: its own free port on
     * 127.0.0.1, reached as localhost, with a certificate (CommonName baton-backup, DNS name
     * localhost) from the cluster's backup CA, made on first use in {@code backup-tls}.
     */
    private String backupServerYaml(Node n) throws IOException {
        Path tls = dir.resolve("backup-tls");
        Path caCrt = tls.resolve("ca.crt");
        java.time.Instant now = java.time.Instant.now();
        if (!Files.exists(caCrt)) {
            Files.createDirectories(tls);
            dev.baton.config.tls.CertificateAuthority.create("baton local backup CA", Duration.ofDays(30), now).self()
                    .write(caCrt, tls.resolve("ca.key"));
        }
        Path crt = tls.resolve(n.name + ".crt");
        Path key = tls.resolve(n.name + ".key");
        if (!Files.exists(crt)) {
            try {
                dev.baton.config.tls.CertificateAuthority.load(caCrt, tls.resolve("ca.key"))
                        .issue("baton-backup", List.of("localhost"), java.util.EnumSet.allOf(
                                dev.baton.config.tls.CertificateAuthority.Usage.class), Duration.ofDays(30), now)
                        .write(crt, key);
            } catch (dev.baton.config.tls.TlsException e) {
                throw new IOException("cannot issue the backup certificate of " + n.name + ": " + e.getMessage(), e);
            }
        }
        if (n.backupPort == 0) {
            n.backupPort = Ports.free();
        }
        return "  from_replica: true\n  server:\n    listen: 127.0.0.1:" + n.backupPort + "\n"
                + "    connect_address: localhost:" + n.backupPort + "\n"
                + "    certfile: " + crt + "\n    keyfile: " + key + "\n    cafile: " + caCrt + "\n";
    }

    /** The top-level {@code backup} section: a posix repository in {@code repo}, {@code archive_timeout} unless null. */
    static String backupYaml(Path repo, Integer archiveTimeout) {
        return "backup:\n  repository:\n    type: posix\n    path: " + repo + "\n"
                + (archiveTimeout == null ? "" : "  archive_timeout: " + archiveTimeout + "\n");
    }

    private String restoreYaml() {
        return restoreYaml(options.backup() == null ? null : options.backup().restore());
    }

    /** {@code method: restore} and {@code restore:} under {@code bootstrap} ({@link Options#withRestore}); "" for null. */
    static String restoreYaml(Restore r) {
        if (r == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder("  method: restore\n  restore:\n");
        if (r.fromScope() != null) {
            sb.append("    from_scope: ").append(r.fromScope()).append('\n');
        }
        if (r.targetTime() != null) {
            sb.append("    target_time: \"").append(r.targetTime()).append("\"\n");
        } else if (r.targetLsn() != null) {
            sb.append("    target_lsn: \"").append(r.targetLsn()).append("\"\n");
        } else {
            sb.append("    target: latest\n");
        }
        return sb.toString();
    }

    private String dcsLines() {
        StringBuilder sb = new StringBuilder();
        for (String line : options.dcsYaml()) {
            sb.append("    ").append(line).append('\n');
        }
        return sb.toString();
    }

    private void startHaproxy() throws IOException {
        haproxyPort = Ports.free();
        StringBuilder cfg = new StringBuilder("""
                global
                    maxconn 200
                    log stdout format iso local0 info
                defaults
                    log global
                    mode tcp
                    timeout connect 500ms
                    retries 1
                    option redispatch 1
                    timeout client 30m
                    timeout server 30m
                    timeout check 1s
                listen primary
                """);
        cfg.append("    bind 127.0.0.1:").append(haproxyPort).append('\n')
                .append("    option httpchk GET /primary\n")
                .append("    http-check expect status 200\n")
                .append("    default-server inter 200ms fastinter 100ms downinter 100ms fall 2 rise 1 "
                        + "on-marked-down shutdown-sessions\n");
        for (Node n : nodes) {
            cfg.append("    server ").append(n.name).append(" 127.0.0.1:").append(n.pgPort)
                    .append(" check port ").append(n.restPort)
                    .append(security == null ? "" : security.haproxyCheckSsl()).append('\n');
        }
        Path file = dir.resolve("haproxy.cfg");
        Files.writeString(file, cfg.toString());
        haproxy = new ProcessBuilder(Binaries.require("haproxy", "haproxy").toString(), "-f", file.toString(), "-db")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("haproxy.log").toFile()))
                .start();
    }

    // ------------------------------------------------------------------ observing

    /** GET a node's REST endpoint: status code and parsed JSON body (empty on connection failure). */
    public Optional<Response> get(Node n, String path) {
        try {
            AgentClient.Reply r = agents.get(n.restBase(), path, Duration.ofSeconds(2));
            return Optional.of(new Response(r.status(), r.json()));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** A REST answer. */
    public record Response(int status, JsonNode body) {
    }

    /** The node whose /primary answers 200, if exactly one does. */
    public Optional<Node> primary() {
        List<Node> primaries = new ArrayList<>();
        for (Node n : nodes) {
            if (n.isAgentAlive() && get(n, "/primary").map(r -> r.status() == 200).orElse(false)) {
                primaries.add(n);
            }
        }
        return primaries.size() == 1 ? Optional.of(primaries.get(0)) : Optional.empty();
    }

    /** True when one node is the primary and every other running node streams from it. */
    public boolean healthy(int expectedReplicas) {
        Optional<Node> p = primary();
        if (p.isEmpty()) {
            return false;
        }
        int streaming = 0;
        for (Node n : nodes) {
            if (n != p.get() && get(n, "/replica").map(r -> r.status() == 200).orElse(false)) {
                streaming++;
            }
        }
        return streaming >= expectedReplicas;
    }

    /** Polls {@code condition} every 200 ms until it holds or the deadline passes. */
    public static boolean await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        return Poll.system().until(timeout, Duration.ofMillis(200), condition);
    }

    // ------------------------------------------------------------------ teardown

    @Override
    public void close() {
        List<Thread> stoppers = new ArrayList<>();
        for (Node n : nodes) {
            Thread t = new Thread(() -> n.stop(Duration.ofSeconds(30)), "stop-" + n.name);
            t.start();
            stoppers.add(t);
        }
        for (Thread t : stoppers) {
            try {
                t.join(40_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Node n : nodes) {
            n.killPostgres();
            n.killLeftPgBackRestServer();
            if (n.etcdProxy != null) {
                n.etcdProxy.close();
            }
        }
        if (haproxy != null) {
            haproxy.destroy();
            try {
                haproxy.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            haproxy.destroyForcibly();
        }
        if (ownEtcd) {
            etcd.close();
        }
        if (!keepFiles) {
            DataDirectories.deleteTreeQuietly(dir); // best effort: a leftover temp directory is harmless
        }
    }

    /** One member: its agent process and the postgres it runs. */
    public final class Node {
        private final String name;
        private final int pgPort;
        private final int restPort;
        /** backup.server's port, once {@link Backup#fromReplica} gave it one. */
        private int backupPort;
        private final Path dir;
        private Process agent;
        private TcpProxy etcdProxy;

        Node(String name, int pgPort, int restPort, Path dir) {
            this.name = name;
            this.pgPort = pgPort;
            this.restPort = restPort;
            this.dir = dir;
        }

        public String name() {
            return name;
        }

        public int pgPort() {
            return pgPort;
        }

        public int restPort() {
            return restPort;
        }

        /** The agent's REST base, {@code http://127.0.0.1:<port>}. */
        public String restBase() {
            return (security == null ? "http" : "https") + "://127.0.0.1:" + restPort;
        }

        public Path config() {
            return dir.resolve("baton.yml");
        }

        public Path dataDir() {
            return dir.resolve("data");
        }

        /** Where this node's callbacks (with {@link Options#callbacks()}) append their arguments. */
        public Path callbackLog() {
            return dir.resolve("callbacks.log");
        }

        public Path agentLog() {
            return dir.resolve("agent.log");
        }

        /** The proxy between this agent and etcd (with {@link Options#etcdProxies()}), else null. */
        public TcpProxy etcdProxy() {
            return etcdProxy;
        }

        public String jdbcUrl() {
            return "jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres";
        }

        /**
         * {@code env --default-signal=HUP} (coreutils 8.31 or later; it execs the command, so the
         * agent keeps its pid) when this machine's env has it, else empty.
         */
        private static java.util.Optional<List<String>> defaultHangUp() {
            synchronized (LocalCluster.class) {
                if (defaultHangUp == null) {
                    java.util.Optional<List<String>> found = java.util.Optional.empty();
                    java.util.Optional<Path> env = Binaries.find("env", "/usr/bin");
                    if (env.isPresent()) {
                        try {
                            Process p = new ProcessBuilder(env.get().toString(), "--default-signal=HUP", "true")
                                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                            if (p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0) {
                                found = java.util.Optional.of(List.of(env.get().toString(), "--default-signal=HUP"));
                            }
                        } catch (IOException e) {
                            // no such option: the agents inherit this process's SIGHUP disposition
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    defaultHangUp = found;
                }
                return defaultHangUp;
            }
        }

        /** Starts the agent process (java -cp <our class path> dev.baton.cli.Baton agent -c FILE). */
        public synchronized void start() throws IOException {
            if (agent != null && agent.isAlive()) {
                return;
            }
            String java = ProcessHandle.current().info().command().orElse("java");
            // The launchers' agent options (deploy/baton-agent.jvmopts): see docs/performance.md, Footprint.
            List<String> command = new ArrayList<>(List.of(java));
            command.addAll(AgentJvmOptions.options());
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.baton.cli.Baton",
                    "agent", "-c", config().toString()));
            // SIGHUP as under systemd: a JVM started with SIGHUP ignored (a test run under nohup)
            // cannot handle it, and the agent's SIGHUP reload would never run.
            defaultHangUp().ifPresent(env -> command.addAll(0, env));
            // In a session and process group of its own (as under systemd): a signal to the agent's
            // group (kill -STOP -PGID) reaches the agent and what it started, never this JVM.
            dev.baton.agent.watchdog.WatchdogSetup.findSetsid(System.getenv("PATH"))
                    .ifPresent(setsid -> command.addAll(0, List.of(setsid.toString(), "-w")));
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(agentLog().toFile()));
            pb.environment().putAll(AgentJvmOptions.ENVIRONMENT);
            pb.environment().putAll(options.env());
            agent = pb.start();
        }

        public synchronized boolean isAgentAlive() {
            return agent != null && agent.isAlive();
        }

        public synchronized Process agentProcess() {
            return agent;
        }

        /** SIGTERM to the agent; waits for it to exit. Returns its exit code, or -1 if it had to be killed. */
        public synchronized int stop(Duration timeout) {
            if (agent == null) {
                return -1;
            }
            agent.destroy();
            try {
                if (agent.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    return agent.exitValue();
                }
                agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return -1;
        }

        /** SIGKILL to the agent only (postgres keeps running). */
        public synchronized void killAgent() throws InterruptedException {
            if (agent != null) {
                agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }

        /** SIGKILL to the agent and the postmaster: the whole node dies at once. */
        public synchronized void kill() throws InterruptedException {
            // Every postgres process dies at once, as on a real crash: a postmaster killed alone
            // leaves backends that can still commit locally for a moment.
            long pid = postmasterPid();
            List<ProcessHandle> postgres = new ArrayList<>();
            if (pid > 0) {
                ProcessHandle.of(pid).ifPresent(h -> {
                    postgres.addAll(h.descendants().toList());
                    postgres.add(h);
                });
            }
            if (agent != null) {
                postgres.addAll(agent.descendants().toList()); // its pgBackRest server dies with the node
                agent.destroyForcibly();
            }
            postgres.forEach(ProcessHandle::destroyForcibly);
            if (agent != null) {
                agent.waitFor(10, TimeUnit.SECONDS);
            }
        }

        /**
         * SIGKILL to a pgBackRest server an agent killed alone left behind (its command line names
         * this node's pgBackRest configuration file); the next agent would have stopped it.
         */
        void killLeftPgBackRestServer() {
            String marker = "--config=" + dataDir().toAbsolutePath().normalize() + ".pgbackrest.conf";
            ProcessHandle.allProcesses().filter(h -> h.info().arguments()
                    .map(a -> java.util.Arrays.asList(a).contains(marker)).orElse(false))
                    .forEach(ProcessHandle::destroyForcibly);
        }

        /** SIGKILL to this node's postgres processes only (the agent lives on). */
        public void killPostgresNow() {
            long pid = postmasterPid();
            if (pid > 0) {
                ProcessHandle.of(pid).ifPresent(h -> {
                    List<ProcessHandle> all = new ArrayList<>(h.descendants().toList());
                    all.add(h);
                    all.forEach(ProcessHandle::destroyForcibly);
                });
            }
        }

        /** The live postmaster's pid from postmaster.pid, or -1. */
        public long postmasterPid() {
            Postmaster pm = new Postmaster(dataDir());
            return pm.postmasterPid().filter(pid -> ProcessHandle.of(pid).map(pm::isLive).orElse(false)).orElse(-1L);
        }

        /** Makes sure no postgres of this node is left running (children exit with the postmaster). */
        void killPostgres() {
            long pid = postmasterPid();
            if (pid > 0) {
                ProcessHandle.of(pid).ifPresent(h -> {
                    h.destroy();
                    try {
                        h.onExit().get(20, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        h.destroyForcibly();
                    }
                });
            }
        }

        public String lastLogLines(int n) {
            try {
                List<String> lines = Files.readAllLines(agentLog());
                return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
            } catch (IOException e) {
                return "(no log)";
            }
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
