package dev.baton.agent.metrics;

import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.LeaseRenewal;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A {@link ClusterStore} that times every request to etcd and counts the failed ones, by
 * operation: {@code baton_etcd_request_duration_seconds{operation}} (a histogram) and
 * {@code baton_etcd_request_errors_total{operation}}.
 *
 * <p>A request that throws (a {@code StoreUnavailableException}: etcd unreachable, failing or too
 * slow) is an error. A lost race ({@code false} from a compare-and-set) is a normal answer and
 * is not. {@link #awaitChange}, {@link #wakeUp}, {@link #memberName}, {@link #leaseId} and
 * {@link #close} send no request and are not measured.
 */
public final class InstrumentedClusterStore implements ClusterStore {
    /** Every measured operation, so that each error counter exists (at 0) from the start. */
    static final String[] OPERATIONS = {"read", "renew_lease", "retime", "try_acquire_leader", "confirm_leader", "rebind_leader",
        "release_leader", "publish_member", "delete_member", "create_initialize", "replace_initialize",
        "delete_initialize", "cas_config", "cas_failover", "delete_failover", "cas_sync", "delete_sync", "put_history", "put_status",
        "delete_cluster", "get", "put_failsafe"};
    private static final Duration[] BUCKETS = {ms(1), ms(2.5), ms(5), ms(10), ms(25), ms(50), ms(100), ms(250), ms(500),
        ms(1000), ms(2500), ms(5000)};

    private final ClusterStore delegate;
    private final MeterRegistry registry;
    private final LongSupplier ticker;
    private final String[] tags;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, Counter> errors = new ConcurrentHashMap<>();

    /**
     * @param delegate the real store
     * @param registry where to record ({@link AgentMetrics#registry()})
     * @param scope    label {@code scope}
     * @param member   label {@code member}
     */
    public InstrumentedClusterStore(ClusterStore delegate, MeterRegistry registry, String scope, String member) {
        this(delegate, registry, scope, member, System::nanoTime);
    }

    InstrumentedClusterStore(ClusterStore delegate, MeterRegistry registry, String scope, String member,
                             LongSupplier ticker) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.ticker = ticker;
        this.tags = new String[] {"scope", scope, "member", member};
        for (String op : OPERATIONS) {
            errors(op);
        }
    }

    private Timer timer(String op) {
        return timers.computeIfAbsent(op, o -> Timer.builder("baton.etcd.request.duration")
                .description("Duration of requests to etcd, by operation (failed ones included)")
                .tags(tags).tag("operation", o)
                .serviceLevelObjectives(BUCKETS)
                .register(registry));
    }

    private Counter errors(String op) {
        return errors.computeIfAbsent(op, o -> Counter.builder("baton.etcd.request.errors")
                .description("Requests to etcd that failed (unreachable, failing, timed out), by operation; "
                        + "lost compare-and-set races are not errors")
                .tags(tags).tag("operation", o)
                .register(registry));
    }

    private <T> T measure(String op, Supplier<T> call) {
        long started = ticker.getAsLong();
        try {
            return call.get();
        } catch (RuntimeException e) {
            errors(op).increment();
            throw e;
        } finally {
            timer(op).record(Math.max(0, ticker.getAsLong() - started), TimeUnit.NANOSECONDS);
        }
    }

    private void measure(String op, Runnable call) {
        measure(op, () -> {
            call.run();
            return null;
        });
    }

    @Override
    public String memberName() {
        return delegate.memberName();
    }

    @Override
    public ClusterSnapshot read() {
        return measure("read", delegate::read);
    }

    @Override
    public LeaseRenewal renewLease() {
        return measure("renew_lease", delegate::renewLease);
    }

    @Override
    public Optional<LeaseRenewal> retime(long ttlSeconds, Duration requestTimeout) {
        return measure("retime", () -> delegate.retime(ttlSeconds, requestTimeout));
    }

    @Override
    public long leaseId() {
        return delegate.leaseId();
    }

    @Override
    public boolean tryAcquireLeader() {
        return measure("try_acquire_leader", delegate::tryAcquireLeader);
    }

    @Override
    public boolean confirmLeader() {
        return measure("confirm_leader", delegate::confirmLeader);
    }

    @Override
    public boolean rebindLeader(long expectedModRevision) {
        return measure("rebind_leader", () -> delegate.rebindLeader(expectedModRevision));
    }

    @Override
    public boolean repairLeader(long expectedModRevision) {
        return measure("repair_leader", () -> delegate.repairLeader(expectedModRevision));
    }

    @Override
    public boolean releaseLeader() {
        return measure("release_leader", delegate::releaseLeader);
    }

    @Override
    public void publishMember(String json) {
        measure("publish_member", () -> delegate.publishMember(json));
    }

    @Override
    public void deleteMember() {
        measure("delete_member", (Runnable) delegate::deleteMember);
    }

    @Override
    public boolean createInitialize(String value) {
        return measure("create_initialize", () -> delegate.createInitialize(value));
    }

    @Override
    public boolean replaceInitialize(String expected, String value) {
        return measure("replace_initialize", () -> delegate.replaceInitialize(expected, value));
    }

    @Override
    public boolean deleteInitialize(String expected) {
        return measure("delete_initialize", () -> delegate.deleteInitialize(expected));
    }

    @Override
    public boolean casConfig(String json, long expectedModRevision) {
        return measure("cas_config", () -> delegate.casConfig(json, expectedModRevision));
    }

    @Override
    public boolean casFailover(String json, long expectedModRevision) {
        return measure("cas_failover", () -> delegate.casFailover(json, expectedModRevision));
    }

    @Override
    public boolean deleteFailover(long expectedModRevision) {
        return measure("delete_failover", () -> delegate.deleteFailover(expectedModRevision));
    }

    @Override
    public boolean casSync(String json, long expectedModRevision) {
        return measure("cas_sync", () -> delegate.casSync(json, expectedModRevision));
    }

    @Override
    public boolean deleteSync(long expectedModRevision) {
        return measure("delete_sync", () -> delegate.deleteSync(expectedModRevision));
    }

    @Override
    public boolean casBackup(String json, long expectedModRevision) {
        return measure("cas_backup", () -> delegate.casBackup(json, expectedModRevision));
    }

    @Override
    public void putHistory(String json) {
        measure("put_history", () -> delegate.putHistory(json));
    }

    @Override
    public void putStatus(String json) {
        measure("put_status", () -> delegate.putStatus(json));
    }

    @Override
    public void putFailsafe(String json) {
        measure("put_failsafe", () -> delegate.putFailsafe(json));
    }

    @Override
    public void deleteCluster() {
        measure("delete_cluster", (Runnable) delegate::deleteCluster);
    }

    @Override
    public boolean awaitChange(Duration timeout) {
        return delegate.awaitChange(timeout);
    }

    @Override
    public void wakeUp() {
        delegate.wakeUp();
    }

    @Override
    public void warmUp() {
        delegate.warmUp();
    }

    @Override
    public Optional<String> get(String relativeKey) {
        return measure("get", () -> delegate.get(relativeKey));
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public void reconnect() {
        delegate.reconnect();
    }

    private static Duration ms(double millis) {
        return Duration.ofNanos((long) (millis * 1_000_000));
    }
}
