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
import java.util.concurrent.TimeUnit;

import static dev.baton.leader.etcd.StoreFixture.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Behaviour when etcd is down, hung or coming back. Each test has its own etcd. */
class EtcdOutageIT {

    private static final Duration OP_TIMEOUT = Duration.ofSeconds(1);
    /** Allowed beyond opTimeout for thread scheduling on a busy 2-core machine. */
    private static final long SLACK_MILLIS = 1500;

    private EtcdServer etcd;
    private StoreFixture fx;

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

        // awaitChange never throws: it just waits out its timeout.
        long start = System.nanoTime();
        assertFalse(a.awaitChange(Duration.ofMillis(1500)));
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(took >= 1400 && took < 1500 + SLACK_MILLIS, "awaitChange took " + took + " ms");

        // The error names the endpoint.
        StoreUnavailableException e = assertThrows(StoreUnavailableException.class, a::read);
        assertTrue(e.getMessage().contains(etcd.endpoint()), e.getMessage());
    }

    @Test
    void callsWorkAgainAfterEtcdRestartsAndTheWatchResumes() throws Exception {
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

        long back = System.nanoTime();
        eventually(Duration.ofSeconds(10), "read works after restart", () -> {
            try {
                a.read();
                return true;
            } catch (StoreUnavailableException e) {
                return false;
            }
        });
        long recoveredMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back);
        System.out.println("recovered after " + recoveredMillis + " ms");
        // gRPC alone would wait out its reconnect backoff (random, up to minutes); the store
        // replaces a broken client at most once a second, so recovery is quick.
        assertTrue(recoveredMillis < 3000, "recovered after " + recoveredMillis + " ms");

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
            assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(500 + SLACK_MILLIS));
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
    void constructionDoesNoIoAndANeverReachableEndpointFailsFast() {
        int unused = Ports.freePort();
        long start = System.nanoTime();
        EtcdClusterStore s = new EtcdClusterStore(List.of("127.0.0.1:" + unused), new KeyLayout(null, "x"),
                "node1", 10, OP_TIMEOUT, System::nanoTime);
        try {
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2));
            assertEquals(0, s.leaseId());
            StoreUnavailableException e = assertUnavailable("read", s::read);
            assertTrue(e.getMessage().contains("127.0.0.1:" + unused), e.getMessage());
            assertUnavailable("renewLease", s::renewLease);
            assertEquals(0, s.leaseId());
        } finally {
            long closeStart = System.nanoTime();
            s.close();
            assertTrue(System.nanoTime() - closeStart < TimeUnit.SECONDS.toNanos(6));
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
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(6));
        } finally {
            etcd.thaw();
        }
    }

    @Test
    void endpointsAreValidated() {
        KeyLayout layout = new KeyLayout("/service/", "x");
        assertThrows(IllegalArgumentException.class, () -> EtcdClusterStore.connect(List.of(), layout, "n", 10, OP_TIMEOUT));
        assertThrows(IllegalArgumentException.class, () -> EtcdClusterStore.connect(List.of("nohost"), layout, "n", 10, OP_TIMEOUT));
        assertThrows(IllegalArgumentException.class, () -> EtcdClusterStore.connect(List.of("h:99999"), layout, "n", 10, OP_TIMEOUT));
        assertThrows(IllegalArgumentException.class, () -> EtcdClusterStore.connect(List.of("https://h:2379"), layout, "n", 10, OP_TIMEOUT));
        assertThrows(IllegalArgumentException.class, () -> EtcdClusterStore.connect(List.of("h:1"), layout, "a/b", 10, OP_TIMEOUT));
        assertEquals("h:2379", EtcdClusterStore.parseEndpoint("http://h:2379/"));
        assertEquals("10.0.0.1:2379", EtcdClusterStore.parseEndpoint(" 10.0.0.1:2379 "));
        // Works with the http:// form and several endpoints, one of them dead.
        int dead = Ports.freePort();
        try (EtcdClusterStore s = EtcdClusterStore.connect(List.of("http://" + etcd.endpoint(), "127.0.0.1:" + dead),
                new KeyLayout("/service/", fx.scope), "n", 10, OP_TIMEOUT)) {
            s.putStatus("{}");
            ClusterSnapshot snapshot = s.read();
            assertEquals("{}", snapshot.status().value());
            assertEquals(Map.of("/service/" + fx.scope + "/status", "{}"), etcd.getPrefix("/service/" + fx.scope + "/"));
        }
    }

    private static StoreUnavailableException assertUnavailable(String what, Executable call) {
        long start = System.nanoTime();
        StoreUnavailableException e = assertThrows(StoreUnavailableException.class, call, what);
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(took < OP_TIMEOUT.toMillis() + SLACK_MILLIS, what + " took " + took + " ms: " + e.getMessage());
        return e;
    }
}
