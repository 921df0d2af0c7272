package dev.baton.leader.etcd;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.VertxLeaseGrpc;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdExceptionFactory;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.vertx.core.streams.WriteStream;

import java.lang.reflect.Field;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One long-lived {@code LeaseKeepAlive} stream per client, on which each renewal sends exactly one
 * request and waits for its one response: one message per renewal as etcd counts them.
 *
 * <p>jetcd 0.8.4's {@code keepAliveOnce} opens a new stream per call and sends its request twice
 * (once, then again with the half-close: {@code WriteStream.end(request)}), so etcd counted two
 * keep-alive messages and one new stream per renewal. jetcd's {@code keepAlive} keeps a stream
 * but renews in the background, which Baton must not do (a hung HA loop must lose its lease).
 * This class renews only when asked: no request is ever sent but by {@link #send}.
 *
 * <p>jetcd does not expose its lease stub, so it is read from the lease client's field
 * {@code leaseStub} (the stub jetcd uses itself, with the client's credentials and the
 * "require leader" header). Should that fail (another jetcd version), {@link #send} falls back to
 * {@code keepAliveOnce}, logged once. The stream carries no gRPC deadline
 * ({@link DeadlineInterceptor#LONG_LIVED}); each request is bounded by the caller's deadline, and
 * a request given up on (cancelled), a stream error or end, or another client closes the stream:
 * the next {@link #send} opens a new one, so a late answer is never taken for the next one's.
 *
 * <p>Callers serialise their calls (the lease keeper's lock); one request is in flight at a time.
 */
final class KeepAliveStream {

    private static final Logger LOG = Logger.getLogger(EtcdClusterStore.class.getName());

    private final Object lock = new Object();
    private Client client;          // guarded by lock: the client the stream was opened on
    private Stream stream;          // guarded by lock: null when none is open
    private boolean fallback;       // guarded by lock: the stub could not be found
    private long opened;            // guarded by lock: streams opened so far

    /** One open stream and its one outstanding request. */
    private final class Stream {
        private WriteStream<LeaseKeepAliveRequest> requests;
        private CompletableFuture<LeaseKeepAliveResponse> pending;   // guarded by lock
        private long pendingId;                                      // guarded by lock

        void onResponse(io.etcd.jetcd.api.LeaseKeepAliveResponse r) {
            CompletableFuture<LeaseKeepAliveResponse> f;
            synchronized (lock) {
                f = pending;
                if (f == null || r.getID() != pendingId) {
                    return;   // not asked for (cannot happen: one request at a time)
                }
                pending = null;
            }
            if (r.getTTL() <= 0) {
                // What keepAliveOnce reports for a lease etcd no longer knows.
                f.completeExceptionally(EtcdExceptionFactory.newEtcdException(ErrorCode.NOT_FOUND,
                        "etcdserver: requested lease not found"));
            } else {
                f.complete(new LeaseKeepAliveResponse(r));
            }
        }

        void onEnd(Throwable error) {
            CompletableFuture<LeaseKeepAliveResponse> f;
            synchronized (lock) {
                if (stream == this) {
                    stream = null;
                }
                f = pending;
                pending = null;
            }
            if (f != null) {
                f.completeExceptionally(error != null ? error
                        : EtcdExceptionFactory.newEtcdException(ErrorCode.UNAVAILABLE, "lease keep-alive stream ended"));
            }
        }
    }

    /**
     * Sends one keep-alive request for {@code leaseId} on {@code c}'s stream (opened first if
     * needed) and returns its answer; cancelling the returned future closes the stream.
     */
    CompletableFuture<LeaseKeepAliveResponse> send(Client c, long leaseId) {
        Stream s;
        CompletableFuture<LeaseKeepAliveResponse> f = new CompletableFuture<>();
        synchronized (lock) {
            if (fallback) {
                return c.getLeaseClient().keepAliveOnce(leaseId);
            }
            if (client != c || stream == null) {
                closeLocked();
                VertxLeaseGrpc.LeaseVertxStub stub = stubOf(c.getLeaseClient());
                if (stub == null) {
                    fallback = true;
                    LOG.warning("jetcd's lease stub not found: lease renewals use keepAliveOnce (two messages each)");
                    return c.getLeaseClient().keepAliveOnce(leaseId);
                }
                Stream fresh = new Stream();
                stub.withOption(DeadlineInterceptor.LONG_LIVED, true).leaseKeepAliveWithHandler(
                        out -> fresh.requests = out, fresh::onResponse, v -> fresh.onEnd(null), fresh::onEnd);
                if (fresh.requests == null) {
                    throw new IllegalStateException("the lease keep-alive stream gave no request stream");
                }
                stream = fresh;
                client = c;
                opened++;
            }
            s = stream;
            s.pending = f;
            s.pendingId = leaseId;
        }
        f.whenComplete((r, t) -> {
            if (t != null && !EtcdErrors.isLeaseNotFound(t)) {
                close(s);
            }
        });
        s.requests.write(LeaseKeepAliveRequest.newBuilder().setID(leaseId).build())
                .onFailure(s::onEnd);
        return f;
    }

    /** How many streams were opened so far (one per client in steady state). */
    long streamsOpened() {
        synchronized (lock) {
            return opened;
        }
    }

    /** Closes the open stream, if any. */
    void close() {
        synchronized (lock) {
            closeLocked();
        }
    }

    private void close(Stream s) {
        synchronized (lock) {
            if (stream == s) {
                closeLocked();
            }
        }
    }

    private void closeLocked() {
        Stream s = stream;
        stream = null;
        client = null;
        if (s != null && s.requests != null) {
            try {
                s.requests.end();   // half-close: not a message
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "closing the lease keep-alive stream failed", e);
            }
        }
    }

    /** jetcd's own lease stub (field {@code leaseStub} of its lease client), or null. */
    private static VertxLeaseGrpc.LeaseVertxStub stubOf(Lease lease) {
        try {
            Field f = lease.getClass().getDeclaredField("leaseStub");
            f.setAccessible(true);
            return f.get(lease) instanceof VertxLeaseGrpc.LeaseVertxStub stub ? stub : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.log(Level.FINE, "cannot read jetcd's lease stub", e);
            return null;
        }
    }
}
