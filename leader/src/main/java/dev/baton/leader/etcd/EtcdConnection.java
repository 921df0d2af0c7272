package dev.baton.leader.etcd;

import dev.baton.leader.StoreUnavailableException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLException;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * The transport under {@link EtcdClusterStore}: one jetcd client, the shared deadline of every
 * call, cancellation of what the caller gave up on, and the mapping of every failure to
 * {@link StoreUnavailableException} (the layer Patroni's {@code etcd3.py} calls
 * {@code Etcd3Client}).
 *
 * <h2>Timeouts</h2>
 * A public store call takes one {@link #deadline()} of {@code opTimeout} and waits on each jetcd
 * future at most until then; a future it stops waiting for is cancelled. Each gRPC attempt also
 * carries {@code opTimeout} as its deadline ({@link DeadlineInterceptor}) and jetcd's own retries
 * are capped by {@code retryMaxDuration(opTimeout)}, so no abandoned request lingers and is
 * replayed later. {@link #setOpTimeout} changes it (the cluster's {@code retry_timeout} changed):
 * new calls get the new deadline at once, and the client is rebuilt with it before the next call.
 *
 * <h2>Rebuild after connectivity failures</h2>
 * gRPC backs off reconnecting to an endpoint it could not reach, up to two minutes, and jetcd
 * offers no way to reset that. So after a connectivity failure ({@link EtcdErrors.Kind}) the next
 * call, at most once per {@link #MIN_REBUILD_INTERVAL_NANOS}, replaces the client with a fresh
 * one, which connects at once. Leases live on the server, so this is invisible to callers.
 * An "invalid auth token" answer (the token expired) also marks the client broken: jetcd asks for a
 * new token itself on that answer, and a new client is the fallback if it did not.
 *
 * <h2>TLS and authentication</h2>
 * Each client is built from the {@link EtcdAccess}: with https the key material is read from its
 * files at every build ({@link EtcdTls}), so rotated certificates are used by the next client
 * ({@link #reconnect()} forces one), and every member must present a certificate the CA signed
 * for one of the configured hosts; the same user and password go to every member. A key file
 * that cannot be read at a rebuild keeps the old client and fails the call, naming the key.
 *
 * <p>All time is read from the injected monotonic ticker. It must follow real time
 * ({@link System#nanoTime()} in production): it bounds real waits.
 */
final class EtcdConnection {

    /** The store's layers log under one name, the store's, as operators know it from the logs. */
    private static final Logger LOG = Logger.getLogger(EtcdClusterStore.class.getName());

    /** A broken client is replaced at most this often. */
    static final long MIN_REBUILD_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);
    private static final long CLOSE_WAIT_MILLIS = 5000;

    private final String endpointsText;
    private volatile Duration opTimeout;
    private volatile long opTimeoutNanos;
    private final LongSupplier ticker;
    private final Function<Duration, Client> clients;

    private final Object clientLock = new Object();
    private Client client;                  // guarded by clientLock
    private long clientBuiltAtNanos;        // guarded by clientLock
    private boolean clientBroken;           // guarded by clientLock
    private boolean clientStale;            // guarded by clientLock: built with another opTimeout
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * A connection through jetcd; performs no I/O but reading the TLS files.
     *
     * @throws IllegalArgumentException naming the key when the TLS files cannot be used
     */
    static EtcdConnection open(EtcdAccess access, Duration opTimeout, LongSupplier ticker) {
        return new EtcdConnection(access.describe(), opTimeout, ticker,
                (Function<Duration, Client>) timeout -> buildClient(access, timeout));
    }

    /**
     * @param endpointsText the endpoints for error messages
     * @param clients       builds a client (again after a connectivity failure); must do no I/O
     */
    EtcdConnection(String endpointsText, Duration opTimeout, LongSupplier ticker, Supplier<Client> clients) {
        this(endpointsText, opTimeout, ticker, (Function<Duration, Client>) timeout -> clients.get());
    }

    /**
     * @param clients builds a client with the given opTimeout (again after a connectivity failure
     *                or a new opTimeout); must do no I/O
     */
    EtcdConnection(String endpointsText, Duration opTimeout, LongSupplier ticker, Function<Duration, Client> clients) {
        this.endpointsText = Objects.requireNonNull(endpointsText, "endpointsText");
        this.opTimeout = Objects.requireNonNull(opTimeout, "opTimeout");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.clients = Objects.requireNonNull(clients, "clients");
        this.opTimeoutNanos = opTimeout.toNanos();
        synchronized (clientLock) {
            this.client = clients.apply(opTimeout);
            this.clientBuiltAtNanos = ticker.getAsLong();
        }
    }

    /** The bound of every call from now on; the client is rebuilt with it before the next call. */
    void setOpTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        synchronized (clientLock) {
            if (timeout.equals(opTimeout)) {
                return;
            }
            opTimeout = timeout;
            opTimeoutNanos = timeout.toNanos();
            clientStale = true;
        }
        LOG.info(() -> "etcd requests to " + endpointsText + " now time out after " + timeout.toMillis() + " ms");
    }

    /** The bound of every call. */
    Duration opTimeout() {
        return opTimeout;
    }

    /** The endpoints as {@code scheme://host:port}, comma separated (used in error messages). */
    String endpoints() {
        return endpointsText;
    }

    /** The monotonic ticker every deadline is read from. */
    LongSupplier ticker() {
        return ticker;
    }

    /** The shared deadline of one public call, {@code opTimeout} from now. */
    Deadline deadline() {
        return Deadline.in(ticker, opTimeoutNanos);
    }

    boolean isClosed() {
        return closed.get();
    }

    /** The client to use for the next call, replacing it first if it was marked broken. */
    Client client() {
        Client old = null;
        Client current;
        synchronized (clientLock) {
            if (closed.get() || client == null) {
                throw new StoreUnavailableException("etcd store for " + endpointsText + " is closed");
            }
            if (clientStale || (clientBroken && ticker.getAsLong() - clientBuiltAtNanos >= MIN_REBUILD_INTERVAL_NANOS)) {
                Client fresh;
                try {
                    fresh = clients.apply(opTimeout);
                } catch (IllegalArgumentException e) {
                    // The key files changed under us (a rotation half done?): keep the old client.
                    clientBuiltAtNanos = ticker.getAsLong();
                    throw new StoreUnavailableException("etcd " + endpointsText + ": cannot build a new client: "
                            + e.getMessage(), e);
                }
                old = client;
                client = fresh;
                clientBuiltAtNanos = ticker.getAsLong();
                clientBroken = false;
                clientStale = false;
                LOG.fine(() -> "reconnecting to etcd " + endpointsText + " with a new client");
            }
            current = client;
        }
        if (old != null) {
            closeInBackground(null, old);
        }
        return current;
    }

    /**
     * Replaces the client before the next call (after a reload: re-reads the TLS files). Leases
     * live on the server, and the watch follows the new client.
     */
    void reconnect() {
        synchronized (clientLock) {
            clientStale = true;
        }
    }

    /** The current client without rebuilding it; null once closed (the watch uses it). */
    Client currentClient() {
        if (closed.get()) {
            return null;
        }
        synchronized (clientLock) {
            return client;
        }
    }

    /** Starts one request on {@code c} and waits for it until the call's deadline, mapping every failure. */
    <T> T await(Client c, Supplier<CompletableFuture<T>> request, Deadline d, String what) {
        CompletableFuture<T> future;
        try {
            future = request.get();
        } catch (RuntimeException e) {
            throw failure(c, what, EtcdErrors.unwrap(e));
        }
        try {
            return future.get(d.remainingNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            markBroken(c);
            throw new StoreUnavailableException("etcd " + endpointsText + ": " + what + " got no answer within "
                    + opTimeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("etcd " + endpointsText + ": interrupted during " + what, e);
        } catch (ExecutionException | CompletionException | CancellationException e) {
            throw failure(c, what, EtcdErrors.unwrap(e));
        } catch (RuntimeException e) {
            throw failure(c, what, EtcdErrors.unwrap(e));
        }
    }

    private StoreUnavailableException failure(Client c, String what, Throwable cause) {
        if (EtcdErrors.kind(cause) == EtcdErrors.Kind.CONNECTIVITY || EtcdErrors.isInvalidToken(cause)) {
            markBroken(c);
        }
        String refusal = EtcdErrors.accessRefusal(cause);
        if (refusal != null) {
            return new EtcdAccessDeniedException("etcd " + endpointsText + ": " + what + " refused: " + refusal, cause);
        }
        return new StoreUnavailableException("etcd " + endpointsText + ": " + what + " failed: "
                + EtcdErrors.describe(cause), cause);
    }

    private void markBroken(Client c) {
        synchronized (clientLock) {
            if (c == client) {
                clientBroken = true;
            }
        }
    }

    /** Marks the connection closed: every later call throws. False if it was closed already. */
    boolean markClosed() {
        return closed.compareAndSet(false, true);
    }

    /**
     * Closes {@code first} (the watch, may be null) and then the client, after
     * {@link #markClosed()}, on a background thread: the caller waits for that at most
     * {@link #CLOSE_WAIT_MILLIS}, so a hung etcd cannot hang it.
     */
    void release(AutoCloseable first) {
        Client c;
        synchronized (clientLock) {
            c = client;
            client = null;
        }
        Thread closer = closeInBackground(first, c);
        try {
            closer.join(CLOSE_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closer.isAlive()) {
            LOG.warning(() -> "closing the etcd client for " + endpointsText + " did not finish within "
                    + CLOSE_WAIT_MILLIS + " ms; leaving it to a background thread");
        }
    }

    private static Thread closeInBackground(AutoCloseable first, Client c) {
        Thread t = new Thread(() -> {
            if (first != null) {
                closeQuietly(first, "watcher");
            }
            if (c != null) {
                closeQuietly(c, "client");
            }
        }, "baton-etcd-close");
        t.setDaemon(true);
        t.start();
        return t;
    }

    static void closeQuietly(AutoCloseable closeable, String what) {
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.log(Level.FINE, "closing etcd " + what + " failed", e);
        }
    }

    /**
     * A jetcd client for {@code access}, TLS files read now.
     *
     * @throws IllegalArgumentException naming the key when the TLS files cannot be used
     */
    static Client buildClient(EtcdAccess access, Duration opTimeout) {
        ClientBuilder builder = Client.builder();
        if (access.https()) {
            builder.sslContext(sslContext(access));
        }
        if (access.authenticated()) {
            builder.user(ByteSequence.from(access.username(), UTF_8))
                    .password(ByteSequence.from(access.password(), UTF_8));
        }
        return configure(builder, access, opTimeout).build();
    }

    /** Netty's TLS context: the client certificate, if any, and trust in the CA for the configured hosts. */
    private static SslContext sslContext(EtcdAccess access) {
        EtcdTls.Material m;
        try {
            m = EtcdTls.load(access.tls());
        } catch (EtcdTls.KeyMaterialException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        try {
            var ssl = GrpcSslContexts.forClient().trustManager(EtcdTls.hostChecking(m.trust(), access.hosts()));
            if (m.keys() != null) {
                ssl.keyManager(m.keys());
            }
            return ssl.build();
        } catch (SSLException e) {
            throw new IllegalArgumentException("etcd3: cannot create a TLS context: " + e.getMessage(), e);
        }
    }

    private static ClientBuilder configure(ClientBuilder builder, EtcdAccess access, Duration opTimeout) {
        // Failsafe (jetcd's retry library) insists on retryDelay < retryMaxDelay and < retryMaxDuration.
        long retryDelayMillis = Math.max(1, Math.min(100, opTimeout.toMillis() / 4));
        return builder
                .endpoints(access.uris())
                // Fail fast while disconnected instead of queueing until the deadline.
                .waitForReady(false)
                .connectTimeout(opTimeout)
                .retryMaxAttempts(2)
                .retryDelay(retryDelayMillis)
                .retryMaxDelay(retryDelayMillis * 5)
                .retryChronoUnit(ChronoUnit.MILLIS)
                .retryMaxDuration(opTimeout)
                // etcd answers pings without an open stream with GOAWAY "too_many_pings".
                .keepaliveTime(Duration.ofSeconds(10))
                .keepaliveTimeout(Duration.ofSeconds(5))
                .keepaliveWithoutCalls(false)
                .interceptor(new DeadlineInterceptor(opTimeout));
    }
}
