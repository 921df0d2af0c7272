package dev.baton.leader.etcd;

import dev.baton.leader.KeyLayout;
import dev.baton.leader.StoreUnavailableException;
import io.etcd.jetcd.Client;
import io.grpc.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The transport's deadline, error mapping and client rebuild, on a fake ticker and stand-in clients (no etcd). */
class EtcdConnectionTest {

    private static final Duration OP_TIMEOUT = Duration.ofSeconds(3);
    private static final long SECOND = 1_000_000_000L;

    private final AtomicLong ticker = new AtomicLong(-5 * SECOND);   // nanoTime may be negative
    private final List<Client> built = new ArrayList<>();
    private final EtcdConnection connection = new EtcdConnection("h1:2379,h2:2379", OP_TIMEOUT, ticker::get,
            this::fakeClient);

    /** A client that is never called: the connection only hands it out, compares and closes it. */
    private Client fakeClient() {
        Client c = (Client) Proxy.newProxyInstance(Client.class.getClassLoader(), new Class<?>[] {Client.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "toString" -> "fake client " + built.indexOf(proxy);
                    default -> null;
                });
        built.add(c);
        return c;
    }

    @Test
    void theDeadlineOfACallIsTheOpTimeoutOnTheInjectedTicker() {
        Deadline d = connection.deadline();
        assertEquals(OP_TIMEOUT.toNanos(), d.remainingNanos());
        ticker.addAndGet(OP_TIMEOUT.toNanos() - 1);
        assertEquals(1, d.remainingNanos());
    }

    @Test
    void anAnswerIsReturned() {
        Client c = connection.client();
        assertEquals("ok", connection.await(c, () -> CompletableFuture.completedFuture("ok"), connection.deadline(), "read"));
    }

    @Test
    void noAnswerByTheDeadlineIsUnavailableCancelsTheRequestAndRebuildsTheClient() {
        Client c = connection.client();
        Deadline d = connection.deadline();
        ticker.addAndGet(OP_TIMEOUT.toNanos());        // the call's time is up
        CompletableFuture<String> never = new CompletableFuture<>();

        StoreUnavailableException e = assertThrows(StoreUnavailableException.class,
                () -> connection.await(c, () -> never, d, "read /service/demo/"));
        assertEquals("etcd h1:2379,h2:2379: read /service/demo/ got no answer within 3000 ms", e.getMessage());
        assertInstanceOf(TimeoutException.class, e.getCause());
        assertTrue(never.isCancelled(), "the abandoned request is cancelled");

        Client fresh = connection.client();
        assertNotSame(c, fresh, "a fresh client connects at once, without gRPC's backoff");
        assertSame(fresh, connection.client(), "and is kept while it works");
        assertEquals(2, built.size());
    }

    @Test
    void aBrokenClientIsReplacedAtMostOncePerInterval() {
        Client first = connection.client();
        failWithUnavailable(first);
        assertSame(first, connection.client(), "built just now: not replaced yet");
        ticker.addAndGet(EtcdConnection.MIN_REBUILD_INTERVAL_NANOS - 1);
        assertSame(first, connection.client());
        ticker.incrementAndGet();
        Client second = connection.client();
        assertNotSame(first, second);

        failWithUnavailable(second);
        ticker.addAndGet(EtcdConnection.MIN_REBUILD_INTERVAL_NANOS / 2);
        assertSame(second, connection.client(), "the interval counts from the last rebuild");
        ticker.addAndGet(EtcdConnection.MIN_REBUILD_INTERVAL_NANOS / 2);
        assertNotSame(second, connection.client());
        assertEquals(3, built.size());
    }

    private void failWithUnavailable(Client c) {
        assertThrows(StoreUnavailableException.class, () -> connection.await(c,
                () -> CompletableFuture.failedFuture(Status.UNAVAILABLE.asRuntimeException()), connection.deadline(), "read"));
    }

    @Test
    void aConnectivityFailureIsUnavailableAndMarksTheClientBroken() {
        Client c = connection.client();
        StoreUnavailableException e = assertThrows(StoreUnavailableException.class, () -> connection.await(c,
                () -> CompletableFuture.failedFuture(Status.UNAVAILABLE.withDescription("io exception").asRuntimeException()),
                connection.deadline(), "lease keep-alive"));
        assertEquals("etcd h1:2379,h2:2379: lease keep-alive failed: UNAVAILABLE: io exception", e.getMessage());
        ticker.addAndGet(EtcdConnection.MIN_REBUILD_INTERVAL_NANOS);
        assertNotSame(c, connection.client());
    }

    @Test
    void aServerVerdictIsUnavailableButKeepsTheClient() {
        Client c = connection.client();
        StoreUnavailableException e = assertThrows(StoreUnavailableException.class, () -> connection.await(c,
                () -> CompletableFuture.failedFuture(Status.NOT_FOUND
                        .withDescription("etcdserver: requested lease not found").asRuntimeException()),
                connection.deadline(), "lease keep-alive"));
        assertTrue(EtcdErrors.isLeaseNotFound(e.getCause()), "the cause is kept for the lease keeper");
        ticker.addAndGet(10 * EtcdConnection.MIN_REBUILD_INTERVAL_NANOS);
        assertSame(c, connection.client());
    }

    @Test
    void aRequestThatCannotEvenStartIsUnavailable() {
        Client c = connection.client();
        StoreUnavailableException e = assertThrows(StoreUnavailableException.class, () -> connection.await(c,
                () -> {
                    throw new IllegalStateException("executor shut down");
                }, connection.deadline(), "put status key"));
        assertEquals("etcd h1:2379,h2:2379: put status key failed: executor shut down", e.getMessage());
    }

    @Test
    void anInterruptedWaitIsUnavailableAndKeepsTheInterrupt() {
        Client c = connection.client();
        CompletableFuture<String> never = new CompletableFuture<>();
        Thread.currentThread().interrupt();
        try {
            StoreUnavailableException e = assertThrows(StoreUnavailableException.class,
                    () -> connection.await(c, () -> never, connection.deadline(), "read"));
            assertEquals("etcd h1:2379,h2:2379: interrupted during read", e.getMessage());
            assertTrue(Thread.currentThread().isInterrupted());
            assertTrue(never.isCancelled());
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void aNewOpTimeoutBoundsTheNextCallAndRebuildsTheClientWithIt() {
        List<Duration> builtWith = new ArrayList<>();
        EtcdConnection conn = new EtcdConnection("h1:2379", OP_TIMEOUT, ticker::get,
                (java.util.function.Function<Duration, Client>) timeout -> {
                    builtWith.add(timeout);
                    return fakeClient();
                });
        Client first = conn.client();
        conn.setOpTimeout(Duration.ofSeconds(10));
        assertEquals(Duration.ofSeconds(10).toNanos(), conn.deadline().remainingNanos());
        Client second = conn.client();
        assertNotSame(first, second, "rebuilt at once, not after the rebuild interval");
        assertEquals(List.of(OP_TIMEOUT, Duration.ofSeconds(10)), builtWith);
        assertSame(second, conn.client());
        conn.setOpTimeout(Duration.ofSeconds(10));
        assertSame(second, conn.client(), "the same timeout again changes nothing");
    }

    @Test
    void aClosedConnectionRefusesEveryCallAndClosesOnce() {
        assertTrue(connection.markClosed());
        connection.release(null);
        StoreUnavailableException e = assertThrows(StoreUnavailableException.class, connection::client);
        assertEquals("etcd store for h1:2379,h2:2379 is closed", e.getMessage());
        assertNull(connection.currentClient());
        assertTrue(connection.isClosed());
        assertFalse(connection.markClosed(), "closing twice is a no-op");
    }

    @ParameterizedTest(name = "\"{0}\" -> {1} {2} {3}")
    @CsvSource({
            "h:2379,                 h:2379,        h,        ",
            "http://h:2379,          h:2379,        h,        HTTP",
            "http://h:2379/,         h:2379,        h,        HTTP",
            "HTTPS://h:2379,         h:2379,        h,        HTTPS",
            "https://h:2379//,       h:2379,        h,        HTTPS",
            "' 10.0.0.1:2379 ',      10.0.0.1:2379, 10.0.0.1, ",
            "[::1]:2379,             [::1]:2379,    ::1,      ",
    })
    void endpointsAreSchemeHostAndPort(String endpoint, String hostPort, String host, EtcdAccess.Scheme scheme) {
        Endpoints.Endpoint e = Endpoints.parse(endpoint);
        assertEquals(hostPort, e.hostPort());
        assertEquals(host, e.host());
        assertEquals(scheme, e.scheme());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "nohost", "h:", ":2379", "h:0", "h:99999", "h:port", "ftp://h:2379", "h:2379/v3",
            "https://http://h:2379", "http://https://h:2379"})
    void badEndpointsAreRefused(String endpoint) {
        assertThrows(IllegalArgumentException.class, () -> Endpoints.parse(endpoint));
    }

    @Test
    void theStoreValidatesItsArgumentsBeforeBuildingAnyClient() {
        KeyLayout layout = new KeyLayout("/service/", "x");
        Duration t = Duration.ofSeconds(1);
        assertThrows(IllegalArgumentException.class, () -> EtcdClusterStore.connect(List.of(), layout, "n", 10, t));
        assertThrows(IllegalArgumentException.class, () -> EtcdClusterStore.connect(List.of("nohost"), layout, "n", 10, t));
        assertThrows(IllegalArgumentException.class, () -> EtcdClusterStore.connect(List.of("h:99999"), layout, "n", 10, t));
        assertThrows(IllegalArgumentException.class, () -> EtcdClusterStore.connect(List.of("https://h:2379", "http://g:2379"), layout, "n", 10, t));
        assertThrows(IllegalArgumentException.class, () -> EtcdClusterStore.connect(List.of("h:1"), layout, "a/b", 10, t));
        assertThrows(IllegalArgumentException.class, () -> EtcdClusterStore.connect(List.of("h:1"), layout, " ", 10, t));
        assertThrows(IllegalArgumentException.class, () -> EtcdClusterStore.connect(List.of("h:1"), layout, "n", 0, t));
        assertThrows(IllegalArgumentException.class,
                () -> EtcdClusterStore.connect(List.of("h:1"), layout, "n", 10, Duration.ofMillis(9)));
    }
}
