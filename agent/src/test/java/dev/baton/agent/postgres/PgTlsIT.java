package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.PostgresController.RewindCheck;
import dev.baton.agent.postgres.PostgresController.StopMode;
import dev.baton.agent.postgres.PostgresController.Upstream;
import dev.baton.agent.process.ProcessRunner.ProcessResult;
import dev.baton.agent.process.SystemProcessRunner;
import dev.baton.config.Authentication;
import dev.baton.config.BatonConfig;
import dev.baton.config.BootstrapConfig;
import dev.baton.config.Credentials;
import dev.baton.config.DynamicConfig;
import dev.baton.config.PostgresConfig;
import dev.baton.config.tls.CertificateAuthority;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: PostgreSQL with TLS on every connection, through Baton's own code paths
 * ({@link LocalPostgres}): a primary with {@code ssl=on} and a certificate from the cluster CA,
 * pg_hba requiring TLS and a client certificate ({@code clientcert=verify-ca}) of the replication
 * and rewind users and of the superuser; a replica cloned with pg_basebackup and streaming with
 * {@code sslmode=verify-full}; pg_rewind as the rewind user (not a superuser) after the two
 * diverged, after the new primary fenced the old one as the rewind user (issue 16); and a
 * connection without a client certificate refused. Runs as an unprivileged user
 * (PostgreSQL refuses root).
 */
class PgTlsIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final Duration VALID = Duration.ofDays(1);

    @TempDir
    Path tmp;

    private final SystemProcessRunner runner = new SystemProcessRunner();
    private final PgBinaries bin = PgBinaries.locate(null);
    private final List<LocalPostgres> started = new ArrayList<>();

    private Path ca;
    private Path serverCrt;
    private Path serverKey;
    private Path clientCrt;
    private Path clientKey;

    @AfterEach
    void stopAll() {
        for (LocalPostgres pg : started) {
            if (pg.isRunning()) {
                pg.stop(StopMode.IMMEDIATE, TIMEOUT);
            }
            pg.close();
        }
    }

    @Test
    void replicationCloneAndRewindRunOverVerifiedTlsWithClientCertificates() throws Exception {
        certificates();
        int p1 = freePort();
        int p2 = freePort();
        BatonConfig c1 = node("n1", p1);
        BatonConfig c2 = node("n2", p2);
        DynamicConfig dynamic = TestConfigs.dynamic(Map.of());

        LocalPostgres primary = track(new LocalPostgres(c1, bin, runner));
        primary.initdb();
        primary.configure(false, null, dynamic);
        primary.start(TIMEOUT);
        primary.ensureReplicationRole();
        try (Connection c = PgQueries.jdbc(c1).connect()) {
            assertEquals("t", one(c, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"),
                    "the agent's own connection is TLS with the superuser's certificate (PEM, through config.tls)");
            assertEquals("false|true", one(c, "SELECT rolsuper || '|' || rolcanlogin FROM pg_roles WHERE rolname = 'rewinder'"));
            assertEquals("t", one(c, "SELECT has_function_privilege('rewinder', "
                    + "'pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)', 'EXECUTE')"));
            exec(c, "CREATE TABLE t AS SELECT 1 AS x");
        }

        LocalPostgres replica = track(new LocalPostgres(c2, bin, runner));
        replica.basebackup("127.0.0.1", p1);
        replica.configure(true, new Upstream("127.0.0.1", p1, null), dynamic);
        replica.start(TIMEOUT);
        await("the replica streams", () -> replica.status().streaming());
        try (Connection c = PgQueries.jdbc(c1).connect()) {
            assertEquals("true|n2", one(c, "SELECT s.ssl || '|' || r.application_name FROM pg_stat_replication r "
                    + "JOIN pg_stat_ssl s USING (pid)"), "the WAL stream is TLS");
        }
        assertTrue(Files.readString(c2.postgresql().pgpass()).contains("127.0.0.1:" + p1 + ":*:repl:rep-pw\n"));

        // Without a client certificate the replication user is refused, with one it is let in.
        ProcessResult without = identifySystem(c2, p1, "sslmode=verify-full sslrootcert=" + ca
                + " sslcert=" + tmp.resolve("none.crt") + " sslkey=" + tmp.resolve("none.key"));
        assertFalse(without.ok(), without.output());
        assertTrue(without.output().contains("certificate"), without.output());
        ProcessResult with = identifySystem(c2, p1, "sslmode=verify-full sslrootcert=" + ca + " sslcert=" + clientCrt
                + " sslkey=" + clientKey);
        assertTrue(with.ok(), with.output());

        // Diverge: the replica is promoted while the old primary takes one more write.
        replica.promote(TIMEOUT);
        await("the replica is promoted", () -> !replica.status().inRecovery());
        try (Connection c = PgQueries.jdbc(c1).connect()) {
            exec(c, "INSERT INTO t VALUES (2)");
        }
        // Issue 16: the new primary fences the old one as the rewind user, over verified TLS.
        FenceResult fence = replica.fencePrimary("127.0.0.1", p1, Duration.ofSeconds(10));
        assertEquals(FenceResult.Outcome.FENCED, fence.outcome(), fence.detail());
        assertTrue(primary.fenced());
        primary.stop(StopMode.FAST, TIMEOUT);
        RewindCheck check = primary.checkRewind("127.0.0.1", p2);
        assertTrue(check.needed(), check.output());
        primary.rewind("127.0.0.1", p2);
        primary.configure(true, new Upstream("127.0.0.1", p2, null), dynamic);
        primary.start(TIMEOUT);
        await("the rewound node streams from the new primary", () -> primary.status().streaming());
        assertFalse(primary.fenced(), "the rejoin removed the fence");
        assertTrue(Files.readString(c1.postgresql().pgpass()).contains("127.0.0.1:" + p2 + ":*:rewinder:rw-pw\n"));
        try (Connection c = PgQueries.jdbc(c1).connect()) {
            assertEquals("1", one(c, "SELECT count(*) FROM t"), "the diverged write is gone");
        }
    }

    /** IDENTIFY_SYSTEM as the replication user over a replication connection with {@code tls} options. */
    private ProcessResult identifySystem(BatonConfig c, int port, String tls) {
        return runner.run(List.of(bin.path("psql"), "-w", "-X", "-A", "-t", "-d", "host=127.0.0.1 port=" + port
                + " user=repl replication=true connect_timeout=5 passfile="
                + c.postgresql().pgpass() + " " + tls, "-c", "IDENTIFY_SYSTEM"), Map.of(), null, TIMEOUT);
    }

    private void certificates() {
        CertificateAuthority authority = CertificateAuthority.create("baton-test-ca", VALID, Instant.now());
        ca = tmp.resolve("ca.crt");
        authority.self().write(ca, tmp.resolve("ca.key"));
        serverCrt = tmp.resolve("server.crt");
        serverKey = tmp.resolve("server.key");
        authority.issueNode(List.of("127.0.0.1", "localhost"), VALID, Instant.now()).write(serverCrt, serverKey);
        clientCrt = tmp.resolve("client.crt");
        clientKey = tmp.resolve("client.key");
        authority.issueNode(List.of("127.0.0.1"), VALID, Instant.now()).write(clientCrt, clientKey);
    }

    /** A node on 127.0.0.1:{@code port} with server TLS, and every user connecting with verified TLS and a certificate. */
    private BatonConfig node(String name, int port) {
        Map<String, String> tls = new LinkedHashMap<>();
        tls.put("sslmode", "verify-full");
        tls.put("sslrootcert", ca.toString());
        tls.put("sslcert", clientCrt.toString());
        tls.put("sslkey", clientKey.toString());
        Map<String, String> rewindTls = new LinkedHashMap<>(tls);
        rewindTls.put("sslmode", "verify-ca");
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("ssl", "on");
        parameters.put("ssl_cert_file", serverCrt.toString());
        parameters.put("ssl_key_file", serverKey.toString());
        parameters.put("ssl_ca_file", ca.toString());
        parameters.put("shared_buffers", "16MB");
        List<String> hba = List.of(
                "local   all          all                    peer",
                "hostssl replication  repl      127.0.0.1/32  scram-sha-256 clientcert=verify-ca",
                "hostssl postgres     rewinder  127.0.0.1/32  scram-sha-256 clientcert=verify-ca",
                "hostssl all          postgres  127.0.0.1/32  scram-sha-256 clientcert=verify-ca");
        Path dir = tmp.resolve(name);
        PostgresConfig pg = new PostgresConfig("127.0.0.1:" + port, null, dir.resolve("data"), null,
                dir.resolve(".pgpass"), new Authentication(new Credentials("postgres", "su-pw", tls),
                new Credentials("repl", "rep-pw", tls), new Credentials("rewinder", "rw-pw", rewindTls)),
                parameters, hba, null, false, true);
        return new BatonConfig("demo", null, name, null, null,
                new BootstrapConfig(DynamicConfig.defaults(), List.of(), List.of()), pg, null, null, null, null);
    }

    private LocalPostgres track(LocalPostgres pg) {
        started.add(pg);
        return pg;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next(), sql);
            return String.valueOf(rs.getString(1));
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(200);
        }
    }
}
