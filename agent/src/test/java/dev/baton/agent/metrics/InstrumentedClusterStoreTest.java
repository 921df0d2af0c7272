package dev.baton.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.StoreUnavailableException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The etcd decorator: every call delegates; outages are errors, lost races are not. */
class InstrumentedClusterStoreTest {
    private final AtomicLong ticker = new AtomicLong();
    private final List<String> calls = new ArrayList<>();
    private final AgentMetrics metrics = new AgentMetrics("demo", "node1", "0.1.0", ticker::get, Clock.systemUTC());
    private volatile boolean etcdDown;

    /** A store that records calls, takes 3 ms per call, loses every race and fails while etcdDown. */
    private final ClusterStore fake = (ClusterStore) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {ClusterStore.class}, (proxy, method, args) -> {
                calls.add(method.getName());
                ticker.addAndGet(3_000_000);
                if (etcdDown && !method.getName().equals("awaitChange")) {
                    throw new StoreUnavailableException("etcd: deadline exceeded");
                }
                return defaultValue(method);
            });

    private static Object defaultValue(Method m) {
        Class<?> t = m.getReturnType();
        if (t == boolean.class) {
            return false;
        }
        if (t == long.class) {
            return 0L;
        }
        if (t == ClusterSnapshot.class) {
            return ClusterSnapshot.empty();
        }
        if (t == java.util.Optional.class) {
            return java.util.Optional.empty();
        }
        if (t == String.class) {
            return "node1";
        }
        return null;
    }

    private final InstrumentedClusterStore store = new InstrumentedClusterStore(fake, metrics.registry(), "demo", "node1",
            ticker::get);

    private Exposition scrape() {
        return Exposition.parse(metrics.scrape());
    }

    @Test
    void everyCallIsDelegated() {
        store.memberName();
        store.read();
        store.renewLease();
        store.retime(10, Duration.ofSeconds(3));
        store.leaseId();
        store.tryAcquireLeader();
        store.confirmLeader();
        store.rebindLeader(1);
        store.repairLeader(1);
        store.releaseLeader();
        store.publishMember("{}");
        store.deleteMember();
        store.createInitialize("x");
        store.replaceInitialize("", "x");
        store.deleteInitialize("");
        store.casConfig("{}", 0);
        store.casFailover("{}", 0);
        store.deleteFailover(0);
        store.casSync("{}", 0);
        store.casBackup("{}", 0);
        store.deleteSync(0);
        store.putHistory("[]");
        store.putStatus("{}");
        store.putFailsafe("{}");
        store.deleteCluster();
        store.awaitChange(Duration.ZERO);
        store.wakeUp();
        store.warmUp();
        store.get("config");
        store.reconnect();
        store.close();
        List<String> expected = new ArrayList<>();
        for (Method m : ClusterStore.class.getMethods()) {
            expected.add(m.getName());
        }
        assertEquals(new java.util.TreeSet<>(expected), new java.util.TreeSet<>(calls));
        assertEquals(ClusterStore.class.getMethods().length, calls.size(), "each method once: " + calls);
    }

    @Test
    void lostRacesAreTimedButAreNotErrors() {
        assertFalse(store.tryAcquireLeader());
        assertFalse(store.casFailover("{}", 0));
        store.read();
        Exposition e = scrape();
        assertEquals(1, e.value("baton_etcd_request_duration_seconds_count", "operation", "try_acquire_leader"));
        assertEquals(0.003, e.value("baton_etcd_request_duration_seconds_sum", "operation", "read"), 1e-9);
        assertEquals(0, e.value("baton_etcd_request_duration_seconds_bucket", "operation", "read", "le", "0.0025"));
        assertEquals(1, e.value("baton_etcd_request_duration_seconds_bucket", "operation", "read", "le", "0.005"));
        assertEquals(0, e.value("baton_etcd_request_errors_total", "operation", "try_acquire_leader"));
        assertEquals(0, e.value("baton_etcd_request_errors_total", "operation", "cas_failover"));
        assertTrue(e.find("baton_etcd_request_duration_seconds_count", "operation", "await_change").isEmpty(),
                "waiting for a change is not a request");
    }

    @Test
    void anUnavailableStoreCountsAsAnErrorAndStillThrows() {
        etcdDown = true;
        assertThrows(StoreUnavailableException.class, store::renewLease);
        assertThrows(StoreUnavailableException.class, store::read);
        assertThrows(StoreUnavailableException.class, () -> store.publishMember("{}"));
        assertFalse(store.awaitChange(Duration.ZERO));
        Exposition e = scrape();
        assertEquals(1, e.value("baton_etcd_request_errors_total", "operation", "renew_lease", "scope", "demo",
                "member", "node1"));
        assertEquals(1, e.value("baton_etcd_request_errors_total", "operation", "read"));
        assertEquals(1, e.value("baton_etcd_request_errors_total", "operation", "publish_member"));
        assertEquals(1, e.value("baton_etcd_request_duration_seconds_count", "operation", "renew_lease"),
                "failed requests are timed too");
        assertEquals(0, e.value("baton_etcd_request_errors_total", "operation", "put_status"),
                "every operation's error counter exists from the start");
        assertEquals(InstrumentedClusterStore.OPERATIONS.length, e.all("baton_etcd_request_errors_total").size());
    }
}
