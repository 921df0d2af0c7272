package dev.baton.leader.etcd;

import dev.baton.leader.KeyLayout;
import dev.baton.leader.testing.EtcdServer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/** Creates stores against one etcd and closes them all at the end of a test. */
final class StoreFixture implements AutoCloseable {

    private final EtcdServer etcd;
    private final List<EtcdClusterStore> stores = new ArrayList<>();
    final String scope = "test-" + UUID.randomUUID().toString().substring(0, 8);
    final KeyLayout layout = new KeyLayout("/service/", scope);

    StoreFixture(EtcdServer etcd) {
        this.etcd = etcd;
    }

    EtcdClusterStore store(String member) {
        return store(member, 10, Duration.ofSeconds(5), System::nanoTime);
    }

    EtcdClusterStore store(String member, long ttlSeconds, Duration opTimeout, LongSupplier ticker) {
        EtcdClusterStore s = new EtcdClusterStore(List.of(etcd.endpoint()), layout, member, ttlSeconds, opTimeout, ticker);
        stores.add(s);
        return s;
    }

    /** Polls until the condition holds, failing after {@code timeout}. */
    static void eventually(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
        fail("not within " + timeout + ": " + what);
    }

    @Override
    public void close() {
        stores.forEach(EtcdClusterStore::close);
    }
}
