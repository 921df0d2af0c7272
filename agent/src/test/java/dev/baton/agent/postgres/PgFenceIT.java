package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.FenceResult.Outcome;
import dev.baton.agent.postgres.PostgresController.StopMode;
import dev.baton.agent.postgres.PostgresController.Upstream;
import dev.baton.agent.process.SystemProcessRunner;
import dev.baton.config.Authentication;
import dev.baton.config.BatonConfig;
import dev.baton.config.BootstrapConfig;
import dev.baton.config.Credentials;
import dev.baton.config.DynamicConfig;
import dev.baton.config.PostgresConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, fence before promote, against real PostgreSQL 15: a primary with clients connected
 * and writing, and a streaming replica. Fenced as the rewind user (no superuser, with the grants
 * Baton gives it), the primary acknowledges no commit, to the connected clients (their sessions
 * are gone) or new ones (read-only, and a read-write commit waits until cancelled); the replica
 * still receives everything up to the reported flush position; the data directory says it is
 * fenced until a start removes the fence. Also: a standby is not a primary, a stopped server is
 * not running, a wrong password is refused. Runs as an unprivileged user (PostgreSQL refuses root).
 */
class PgFenceIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final Duration BUDGET = Duration.ofSeconds(10);
    private static final Credentials REWIND = new Credentials("rewinder", "rw-pw");
    private static final Credentials SUPERUSER = new Credentials("postgres", "su-pw");

    @TempDir
    Path tmp;

    private final SystemProcessRunner runner = new SystemProcessRunner();
    private final PgBinaries bin = PgBinaries.locate(null);
    private final List<LocalPostgres> started = new ArrayList<>();
    private final List<Connection> connections = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stopAll() {
        threads.shutdownNow();
        for (Connection c : connections) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // a terminated session
            }
        }
        for (LocalPostgres pg : started) {
            if (pg.isRunning()) {
                pg.stop(StopMode.IMMEDIATE, TIMEOUT);
            }
            pg.close();
        }
    }

    @Test
    void aFencedPrimaryAcknowledgesNoCommitUntilARestartRemovesTheFence() throws Exception {
        int p1 = freePort();
        int p2 = freePort();
        BatonConfig c1 = node("n1", p1);
        DynamicConfig dynamic = TestConfigs.dynamic(Map.of());
        LocalPostgres primary = track(new LocalPostgres(c1, bin, runner));
        primary.initdb();
        primary.configure(false, null, dynamic);
        primary.start(TIMEOUT);
        primary.ensureReplicationRole();
        try (Connection su = connect(p1, SUPERUSER)) {
            exec(su, "CREATE ROLE app LOGIN PASSWORD 'app-pw'");
            exec(su, "CREATE TABLE t (x int)");
            exec(su, "GRANT ALL ON t TO app");
            assertEquals("f", one(su, "SELECT rolsuper FROM pg_roles WHERE rolname = 'rewinder'"));
            assertEquals("t", one(su, "SELECT pg_has_role('rewinder', 'pg_signal_backend', 'MEMBER')"));
            assertEquals("t", one(su, "SELECT has_parameter_privilege('rewinder', 'synchronous_standby_names', "
                    + "'ALTER SYSTEM')"));
        }
        primary.ensureFenceGrants(); // idempotent: a leader gives them again to clusters bootstrapped before

        LocalPostgres replica = track(new LocalPostgres(node("n2", p2), bin, runner));
        replica.basebackup("127.0.0.1", p1);
        replica.configure(true, new Upstream("127.0.0.1", p1, null), dynamic);
        replica.start(TIMEOUT);
        await("the replica streams", () -> replica.status().streaming());
        assertEquals(Outcome.NOT_PRIMARY, primary.fencePrimary("127.0.0.1", p2, BUDGET).outcome());

        // A client connected before the fence, writing; a superuser's session too.
        Connection app = connect(p1, new Credentials("app", "app-pw"));
        Connection suSession = connect(p1, SUPERUSER);
        long acknowledged = 0;
        for (int i = 0; i < 20; i++) {
            exec(app, "INSERT INTO t VALUES (" + i + ")");
            acknowledged = Lsn.parse(one(app, "SELECT pg_current_wal_lsn()::text"));
        }

        FenceResult fence = primary.fencePrimary("127.0.0.1", p1, BUDGET);
        assertEquals(Outcome.FENCED, fence.outcome(), fence.detail());
        assertTrue(fence.flushLsn() >= acknowledged, fence.detail());
        assertTrue(fence.detail().contains("superuser session(s) (their commits wait too)"), fence.detail()
                + ": a fencer that is no superuser cannot terminate a superuser's session");
        assertFalse(fence.detail().contains("rw-pw"));
        assertThrows(SQLException.class, () -> exec(app, "INSERT INTO t VALUES (100)"),
                "the connected client's session is gone");
        await("the replica received all the old primary flushed (walsenders stay)",
                () -> replica.status().receivedLsn() >= fence.flushLsn());

        // A new client: read-only by default, and a read-write commit is not acknowledged.
        Connection late = connect(p1, new Credentials("app", "app-pw"));
        SQLException readOnly = assertThrows(SQLException.class, () -> exec(late, "INSERT INTO t VALUES (101)"));
        assertEquals("25006", readOnly.getSQLState(), readOnly.getMessage());
        SQLWarning warning = commitWaitsUntilCancelled(late);
        assertTrue(warning.getMessage().contains(PgFence.SYNC_WAIT_WARNING), warning.getMessage());
        // The superuser's session it left waits too.
        assertTrue(commitWaitsUntilCancelled(suSession).getMessage().contains(PgFence.SYNC_WAIT_WARNING));

        assertTrue(primary.fenced());
        assertThrows(PostgresException.class, () -> primary.setSynchronousStandbyNames(null),
                "a resumed agent cannot undo the fence");
        assertEquals(Outcome.REFUSED, new PgFence(new Credentials("rewinder", "wrong")).fence("127.0.0.1", p1, BUDGET)
                .outcome());

        // Fencing again works, and a superuser fencer terminates superusers' sessions too.
        FenceResult again = new PgFence(SUPERUSER).fence("127.0.0.1", p1, BUDGET);
        assertEquals(Outcome.FENCED, again.outcome(), again.detail());
        assertFalse(again.detail().contains("superuser session"), again.detail());
        assertThrows(SQLException.class, () -> one(suSession, "SELECT 1"));

        primary.stop(StopMode.FAST, TIMEOUT);
        FenceResult stopped = primary.fencePrimary("127.0.0.1", p1, BUDGET);
        assertEquals(Outcome.NOT_RUNNING, stopped.outcome(), stopped.detail());
        assertTrue(primary.fenced(), "stopping does not undo the fence");

        // Only the start path removes it: the node is writable again.
        primary.configure(false, null, dynamic);
        assertFalse(primary.fenced());
        primary.start(TIMEOUT);
        try (Connection c = connect(p1, new Credentials("app", "app-pw"))) {
            exec(c, "INSERT INTO t VALUES (200)");
            assertEquals("", one(c, "SHOW synchronous_standby_names"));
            assertEquals("off", one(c, "SHOW default_transaction_read_only"));
        }
    }

    /** BEGIN READ WRITE, a write and COMMIT: the commit does not return until it is cancelled; its warning. */
    private SQLWarning commitWaitsUntilCancelled(Connection c) throws Exception {
        exec(c, "BEGIN READ WRITE");
        exec(c, "INSERT INTO t VALUES (102)");
        Statement commit = c.createStatement();
        Future<SQLWarning> f = threads.submit(() -> {
            commit.execute("COMMIT");
            return commit.getWarnings();
        });
        assertThrows(TimeoutException.class, () -> f.get(2, TimeUnit.SECONDS), "the commit is not acknowledged");
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            commit.cancel();
            try {
                SQLWarning w = f.get(1, TimeUnit.SECONDS);
                assertTrue(w != null, "the server said why the commit returned");
                return w;
            } catch (TimeoutException e) {
                assertTrue(System.nanoTime() < deadline, "the cancelled commit returns");
            }
        }
    }

    private BatonConfig node(String name, int port) {
        Path dir = tmp.resolve(name);
        PostgresConfig pg = new PostgresConfig("127.0.0.1:" + port, null, dir.resolve("data"), null,
                dir.resolve(".pgpass"), new Authentication(SUPERUSER, new Credentials("repl", "rep-pw"), REWIND),
                Map.of("shared_buffers", "16MB"), List.of(), null, false, true);
        return new BatonConfig("demo", null, name, null, null,
                new BootstrapConfig(DynamicConfig.defaults(), List.of(), List.of()), pg, null, null, null, null);
    }

    private Connection connect(int port, Credentials user) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user.username());
        p.setProperty("password", user.password());
        p.setProperty("connectTimeout", "10");
        Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
        connections.add(c);
        return c;
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
