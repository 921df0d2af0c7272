package dev.baton.leader.etcd;

import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.StoreUnavailableException;
import dev.baton.leader.testing.EtcdServer;
import dev.baton.leader.testing.Ports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static dev.baton.leader.etcd.StoreFixture.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Behaviour when etcd is down, hung or coming back. Each test has its own etcd. */
class EtcdOutageIT {

    private static final Duration OP_TIMEOUT = Duration.ofSeconds(1);
    /**
     * Allowed beyond a bound (the op timeout, a wait's timeout, close's own wait) before a call
     * counts as unbounded. Generous on purpose: this checks that nothing hangs or waits out gRPC's
     * reconnect backoff (minutes), not how fast a loaded machine schedules threads.
     */
    private static final Duration SLACK = Duration.ofSeconds(5);
    /** How long close() waits for the client before leaving it to a background thread. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private EtcdServer etcd;
    private StoreFixture fx;
    private final StoreLog rebuilds = new StoreLog();

    @BeforeEach
    void start() {
        etcd = EtcdServer.start();
        fx = new StoreFixture(etcd);
        // The first jetcd call in a fresh JVM loads gRPC, Netty and Vert.x and can take over a
        // second; keep that out of the timing assertions below.
        try (EtcdClusterStore warm = fx.store("warm-up", 10, Duration.ofSeconds(20), System::nanoTime)) {
            warm.renewLease();
            warm.publishMember("{}");
            warm.read();
            warm.awaitChange(Duration.ofMillis(50));
            warm.deleteCluster();
        }
    }

    @AfterEach
    void stop() {
        rebuilds.release();
        fx.close();
        etcd.close();
    }

    @Test
    void everyCallFailsWithStoreUnavailableWithinTheTimeoutWhileEtcdIsStopped() {
        EtcdClusterStore a = fx.store("node1", 10, OP_TIMEOUT, System::nanoTime);
        a.renewLease();
        assertTrue(a.tryAcquireLeader());
        long rev = a.read().revision();
        assertFalse(a.awaitChange(Duration.ofMillis(100)));   // start the watch

        etcd.stop();

        assertUnavailable("read", a::read);
        assertUnavailable("renewLease", a::renewLease);
        assertUnavailable("tryAcquireLeader", a::tryAcquireLeader);
        assertUnavailable("confirmLeader", a::confirmLeader);
        assertUnavailable("releaseLeader", a::releaseLeader);
        assertUnavailable("publishMember", () -> a.publishMember("{}"));
        assertUnavailable("deleteMember", a::deleteMember);
        assertUnavailable("createInitialize", () -> a.createInitialize("1"));
        assertUnavailable("casConfig", () -> a.casConfig("{}", rev));
        assertUnavailable("deleteFailover", () -> a.deleteFailover(0));
        assertUnavailable("putStatus", () -> a.putStatus("{}"));
        assertUnavailable("get", () -> a.get("config"));

        // awaitChange never throws: it waits out its timeout (no busy loop for the caller), and no longer.
        Duration wait = Duration.ofMillis(1500);
        long start = System.nanoTime();
        assertFalse(a.awaitChange(wait));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(wait) >= 0, "awaitChange returned early, after " + took);
        assertBounded("awaitChange", took, wait);

        // The error names the endpoint.
        StoreUnavailableException e = assertThrows(StoreUnavailableException.class, a::read);
        assertTrue(e.getMessage().contains(etcd.endpoint()), e.getMessage());
    }

    @Test
    void callsWorkAgainAfterEtcdRestartsAndTheWatchResumes() throws Exception {
        rebuilds.capture();
        EtcdClusterStore a = fx.store("node1", 10, OP_TIMEOUT, System::nanoTime);
        EtcdClusterStore b = fx.store("node2", 10, OP_TIMEOUT, System::nanoTime);
        a.renewLease();
        assertTrue(a.tryAcquireLeader());
        a.read();
        assertFalse(a.awaitChange(Duration.ofMillis(100)));

        etcd.stop();
        // A long outage, so that gRPC's reconnect backoff has grown to several seconds.
        long outageEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(12);
        while (System.nanoTime() < outageEnd) {
            assertThrows(StoreUnavailableException.class, a::read);
            assertFalse(a.awaitChange(Duration.ofMillis(500)));
        }
        etcd.restart();

        eventually(Duration.ofSeconds(20), "read works after restart", () -> {
            try {
                a.read();
                return true;
            } catch (StoreUnavailableException e) {
                return false;
            }
        });
        // gRPC alone would wait out its reconnect backoff (random, up to minutes); the store
        // replaced its broken client instead (how often, EtcdConnectionTest checks on a fake ticker).
        assertTrue(rebuilds.messages().stream().anyMatch(m -> m.contains("with a new client")), rebuilds.messages().toString());

        // The lease survived the short outage (etcd extends leases when it comes back).
        assertFalse(a.renewLease().newLease());
        assertTrue(a.confirmLeader());

        // The watch is re-established: a change by another client wakes the waiter.
        eventually(Duration.ofSeconds(15), "awaitChange sees a change after the restart", () -> {
            try {
                b.putStatus("{\"t\":" + System.nanoTime() + "}");
            } catch (StoreUnavailableException e) {
                return false;
            }
            return a.awaitChange(Duration.ofSeconds(2));
        });
    }

    @Test
    void aHungEtcdTimesOutInsteadOfBlocking() {
        EtcdClusterStore a = fx.store("node1", 10, OP_TIMEOUT, System::nanoTime);
        a.renewLease();
        assertTrue(a.tryAcquireLeader());
        etcd.freeze();
        try {
            assertUnavailable("read", a::read);
            assertUnavailable("renewLease", a::renewLease);
            assertUnavailable("confirmLeader", a::confirmLeader);
            assertUnavailable("casConfig", () -> a.casConfig("{}", 0));
            long start = System.nanoTime();
            assertFalse(a.awaitChange(Duration.ofMillis(500)));
            assertBounded("awaitChange", Duration.ofNanos(System.nanoTime() - start), Duration.ofMillis(500));
        } finally {
            etcd.thaw();
        }
        eventually(Duration.ofSeconds(10), "works after thaw", () -> {
            try {
                return a.confirmLeader();
            } catch (StoreUnavailableException e) {
                return false;
            }
        });
    }

    @Test
    void aNeverReachableEndpointFailsWithinTheTimeout() {
        int unused = Ports.freePort();
        EtcdClusterStore s = new EtcdClusterStore(List.of("127.0.0.1:" + unused), new KeyLayout(null, "x"),
                "node1", 10, OP_TIMEOUT, System::nanoTime);
        try {
            assertEquals(0, s.leaseId());
            StoreUnavailableException e = assertUnavailable("read", s::read);
            assertTrue(e.getMessage().contains("127.0.0.1:" + unused), e.getMessage());
            assertUnavailable("renewLease", s::renewLease);
            assertEquals(0, s.leaseId());
        } finally {
            long closeStart = System.nanoTime();
            s.close();
            assertBounded("close", Duration.ofNanos(System.nanoTime() - closeStart), CLOSE_WAIT);
        }
        assertThrows(StoreUnavailableException.class, s::read, "closed");
    }

    @Test
    void closeIsBoundedWhileEtcdIsHung() {
        EtcdClusterStore a = fx.store("node1", 10, OP_TIMEOUT, System::nanoTime);
        a.renewLease();
        assertFalse(a.awaitChange(Duration.ofMillis(100)));
        etcd.freeze();
        try {
            long start = System.nanoTime();
            a.close();
            assertBounded("close", Duration.ofNanos(System.nanoTime() - start), CLOSE_WAIT);
        } finally {
            etcd.thaw();
        }
    }

    @Test
    void worksWithTheHttpFormAndSeveralEndpointsOneOfThemDead() {
        // (Endpoint validation is unit-tested in EtcdConnectionTest.)
        int dead = Ports.freePort();
        try (EtcdClusterStore s = EtcdClusterStore.connect(List.of("http://" + etcd.endpoint(), "127.0.0.1:" + dead),
                new KeyLayout("/service/", fx.scope), "n", 10, OP_TIMEOUT)) {
            s.putStatus("{}");
            ClusterSnapshot snapshot = s.read();
            assertEquals("{}", snapshot.status().value());
            assertEquals(Map.of("/service/" + fx.scope + "/status", "{}"), etcd.getPrefix("/service/" + fx.scope + "/"));
        }
    }

    /** The call throws StoreUnavailableException, within the op timeout (plus {@link #SLACK}). */
    private static StoreUnavailableException assertUnavailable(String what, Executable call) {
        long start = System.nanoTime();
        StoreUnavailableException e = assertThrows(StoreUnavailableException.class, call, what);
        assertBounded(what + " (" + e.getMessage() + ")", Duration.ofNanos(System.nanoTime() - start), OP_TIMEOUT);
        return e;
    }

    private static void assertBounded(String what, Duration took, Duration bound) {
        assertTrue(took.compareTo(bound.plus(SLACK)) < 0, what + " took " + took.toMillis() + " ms, bound "
                + bound.toMillis() + " ms (+ " + SLACK.toMillis() + " ms slack)");
    }

    /** The store's log records down to FINE, where it logs replacing a broken client. */
    private static final class StoreLog extends Handler {
        private final Logger logger = Logger.getLogger(EtcdClusterStore.class.getName());
        private final List<String> messages = new CopyOnWriteArrayList<>();
        private Level previous;
        private boolean capturing;

        void capture() {
            previous = logger.getLevel();
            logger.setLevel(Level.FINE);
            setLevel(Level.FINE);
            logger.addHandler(this);
            capturing = true;
        }

        void release() {
            if (capturing) {
                logger.removeHandler(this);
                logger.setLevel(previous);
                capturing = false;
            }
        }

        List<String> messages() {
            return messages;
        }

        @Override
        public void publish(LogRecord record) {
            messages.add(record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
