package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.FenceResult.Outcome;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

/** How fencing reads what the old primary (or the network) answered, without a server. */
class PgFenceTest {

    private static FenceResult failingWith(SQLException e) {
        return new PgFence((host, port, connect, login) -> {
            throw e;
        }).fence("10.0.0.1", 5432, Duration.ofSeconds(2));
    }

    @Test
    void aRefusedConnectionIsAServerThatIsNotRunning() {
        FenceResult r = failingWith(new PSQLException("Connection to 10.0.0.1:5432 refused.",
                PSQLState.CONNECTION_UNABLE_TO_CONNECT, new ConnectException("Connection refused")));
        assertEquals(Outcome.NOT_RUNNING, r.outcome());
        assertTrue(r.detail().startsWith("10.0.0.1:5432: "), r.detail());
        assertEquals(Outcome.NOT_RUNNING, failingWith(new SQLException(
                "FATAL: the database system is shutting down", "57P03")).outcome());
    }

    @Test
    void timeoutsAndLostRoutesAreUnreachable() {
        assertEquals(Outcome.UNREACHABLE, failingWith(new PSQLException("The connection attempt failed.",
                PSQLState.CONNECTION_UNABLE_TO_CONNECT, new SocketTimeoutException("Connect timed out"))).outcome());
        assertEquals(Outcome.UNREACHABLE, failingWith(new PSQLException("The connection attempt failed.",
                PSQLState.CONNECTION_UNABLE_TO_CONNECT, new NoRouteToHostException("No route to host"))).outcome());
        assertEquals(Outcome.UNREACHABLE, failingWith(new PSQLException("Connection attempt timed out.",
                PSQLState.CONNECTION_UNABLE_TO_CONNECT)).outcome());
        assertEquals(Outcome.UNREACHABLE, failingWith(new PSQLException(
                "An I/O error occurred while sending to the backend.", PSQLState.CONNECTION_FAILURE)).outcome());
        assertEquals(Outcome.UNREACHABLE, failingWith(new SQLException(
                "FATAL: terminating connection due to administrator command", "57P01")).outcome());
    }

    @Test
    void aServerStartingUpOrRecoveringIsAskedAgainThenCountsAsUnreachable() {
        AtomicInteger attempts = new AtomicInteger();
        FenceResult r = new PgFence((host, port, connect, login) -> {
            attempts.incrementAndGet();
            throw new SQLException("FATAL: the database system is in recovery mode", "57P03");
        }).fence("10.0.0.1", 5432, Duration.ofMillis(900));
        assertEquals(Outcome.UNREACHABLE, r.outcome(), "it may be writable again in a moment");
        assertTrue(attempts.get() > 1, "asked again within the budget");
        assertFalse(r.outcome().fenced());
    }

    @Test
    void authenticationTlsAndPrivilegesAreRefusalsThatNameNoSecret() {
        FenceResult auth = failingWith(new SQLException(
                "FATAL: password authentication failed for user \"rewinder\"", "28P01"));
        assertEquals(Outcome.REFUSED, auth.outcome());
        assertEquals("10.0.0.1:5432 refused the fencing login: FATAL: password authentication failed for user "
                + "\"rewinder\"", auth.detail());
        assertEquals(Outcome.REFUSED, failingWith(new SQLException(
                "FATAL: no pg_hba.conf entry for host \"10.0.0.2\"", "28000")).outcome());
        assertEquals(Outcome.REFUSED, failingWith(new PSQLException("SSL error", PSQLState.CONNECTION_FAILURE,
                new SSLHandshakeException("PKIX path building failed"))).outcome());
        FenceResult priv = failingWith(new SQLException("ERROR: permission denied to set parameter", "42501"));
        assertEquals(Outcome.REFUSED, priv.outcome());
        assertTrue(priv.detail().contains("lacks a privilege"), priv.detail());
    }

    @Test
    void aSilentHostTakesNoLongerThanTheBudget() {
        PgFence silent = new PgFence((host, port, connect, login) -> {
            try {
                Thread.sleep(Duration.ofMinutes(5).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new SQLException("never");
        });
        FenceResult r = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> silent.fence("10.0.0.1", 5432, Duration.ofMillis(300)));
        assertEquals(Outcome.UNREACHABLE, r.outcome());
        assertEquals(Outcome.UNREACHABLE, silent.fence("h", 1, Duration.ZERO).outcome());
    }

    @Test
    void aServerThatAcceptsButNeverAnswersIsUnreachableWithinTheBudget() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50,
                java.net.InetAddress.getLoopbackAddress())) {
            PgFence fence = new PgFence(new dev.baton.config.Credentials("rewinder", "secret-pw"));
            FenceResult r = assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> fence.fence("127.0.0.1", silent.getLocalPort(), Duration.ofSeconds(1)));
            assertEquals(Outcome.UNREACHABLE, r.outcome(), r.detail());
            assertFalse(r.detail().contains("secret-pw"));
        }
    }

    @Test
    void aPortNobodyListensOnIsNotRunningAtOnceWithoutTheDriver() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        int closed = port;
        FenceResult probed = PgFence.tcpFirst("127.0.0.1", closed, Duration.ofSeconds(1));
        assertEquals(Outcome.NOT_RUNNING, probed.outcome(), probed.detail());
        FenceResult r = new PgFence(new dev.baton.config.Credentials("rewinder", "secret-pw"))
                .fence("127.0.0.1", closed, Duration.ofSeconds(2));
        assertEquals(Outcome.NOT_RUNNING, r.outcome(), r.detail());
        assertTrue(r.detail().contains("127.0.0.1:" + closed), r.detail());
    }

    @Test
    void aPrecheckThatDecidesEndsTheFenceWithoutConnecting() {
        AtomicInteger connects = new AtomicInteger();
        PgFence.Connector counting = (host, port, connect, login) -> {
            connects.incrementAndGet();
            throw new SQLException("unexpected", "08001");
        };
        FenceResult dead = new PgFence(counting, (host, port, connect) -> FenceResult.of(Outcome.NOT_RUNNING,
                host + ":" + port + ": refused")).fence("10.0.0.1", 5432, Duration.ofSeconds(2));
        assertEquals(Outcome.NOT_RUNNING, dead.outcome());
        assertEquals(0, connects.get(), "no login, no thread: the precheck said it");
        new PgFence(counting, PgFence.NONE).fence("10.0.0.1", 5432, Duration.ofSeconds(2));
        assertEquals(1, connects.get(), "a precheck that says nothing leaves the fence to the connection");
    }

    @Test
    void theWarmUpRunsWithoutAnyServerAndNeverThrows() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), PgFence::warmUp);
    }

    @Test
    void aListeningPortPassesTheProbeToTheDriver() throws Exception {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertNull(PgFence.tcpFirst("127.0.0.1", s.getLocalPort(), Duration.ofSeconds(1)));
        }
    }

    @Test
    void theConnectTimeoutIsShortAndLeavesHalfTheBudget() {
        assertEquals(Duration.ofSeconds(3), PgFence.connectTimeout(Duration.ofSeconds(10)));
        assertEquals(Duration.ofSeconds(2), PgFence.connectTimeout(Duration.ofSeconds(4)));
    }

    @Test
    void onlyTheWarningOfACancelledSynchronousReplicationWaitProvesTheFence() {
        assertEquals(null, PgFence.syncWaitCancelled(null));
        assertEquals(null, PgFence.syncWaitCancelled(new java.sql.SQLWarning("there is no transaction in progress")),
                "a commit that merely took long proves nothing");
        java.sql.SQLWarning chained = new java.sql.SQLWarning("something else");
        chained.setNextWarning(new java.sql.SQLWarning(
                "canceling wait for synchronous replication due to user request"));
        assertEquals("canceling wait for synchronous replication due to user request",
                PgFence.syncWaitCancelled(chained));
    }
}
