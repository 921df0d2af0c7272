package dev.baton.agent.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.baton.agent.ha.NodeState;
import dev.baton.agent.ha.NodeStates;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.leader.model.Role;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The HA loop's events and published state, mapped to the router; on a fake clock. */
class RoutingListenerTest {
    private static final long SEC = 1_000_000_000L;

    /** Records what the listener asked for. */
    static class FakeRouter implements LoadBalancerRouter {
        final List<String> calls = new ArrayList<>();

        @Override
        public synchronized void primary() {
            calls.add("primary");
        }

        @Override
        public synchronized void notPrimary() {
            calls.add("notPrimary");
        }

        @Override
        public RoutingStatus status() {
            return RoutingStatus.none();
        }

        @Override
        public void close() {
        }

        synchronized List<String> calls() {
            return List.copyOf(calls);
        }
    }

    private final AtomicLong now = new AtomicLong(1000 * SEC);
    private final AtomicReference<NodeState> state = new AtomicReference<>(NodeState.initial("node1", "demo"));
    private final FakeRouter router = new FakeRouter();
    private final RoutingListener listener = new RoutingListener(router, state::get, now::get, 5 * SEC);

    /** A copy of a record with some components replaced by name (robust to new components). */
    @SuppressWarnings("unchecked")
    static <R extends Record> R with(R record, Map<String, Object> changes) {
        try {
            RecordComponent[] rc = record.getClass().getRecordComponents();
            Object[] args = new Object[rc.length];
            Class<?>[] types = new Class<?>[rc.length];
            for (int i = 0; i < rc.length; i++) {
                types[i] = rc[i].getType();
                args[i] = changes.containsKey(rc[i].getName()) ? changes.get(rc[i].getName())
                        : rc[i].getAccessor().invoke(record);
            }
            Constructor<?> c = record.getClass().getDeclaredConstructor(types);
            return (R) c.newInstance(args);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private void publish(boolean holdsLock, boolean runningPrimary) {
        PgStatus pg = with(PgStatus.stopped(), Map.of("running", runningPrimary, "inRecovery", false));
        state.set(NodeStates.from(state.get()).pg(pg).lock(state.get().lockHolder(), holdsLock ? now.get() + 10 * SEC : 0L)
                .role(runningPrimary ? Role.PRIMARY : Role.REPLICA).build());
    }

    private void cycle() {
        listener.cycleFinished(1, "x");
    }

    @Test
    void edgesMapToTheRouter() {
        listener.started(Role.PRIMARY);
        listener.roleChanged(Role.REPLICA);
        listener.roleChanged(Role.PRIMARY);
        listener.stopped(Role.PRIMARY);
        listener.started(Role.REPLICA);
        listener.stopped(Role.REPLICA); // a replica stopping changes nothing
        listener.fenced();
        listener.reloaded(Role.PRIMARY);
        assertEquals(List.of("primary", "notPrimary", "primary", "notPrimary", "notPrimary", "notPrimary"),
                router.calls());
    }

    @Test
    void aRestartInPlaceKeepsTheRoute() {
        listener.started(Role.PRIMARY);
        publish(true, true);
        listener.stopped(Role.PRIMARY); // baton restart: the lock stays
        listener.started(Role.PRIMARY);
        assertEquals(List.of("primary", "primary"), router.calls());
        publish(false, false);
        listener.stopped(Role.PRIMARY); // a stop without the lock (shutdown) takes it out
        assertEquals(List.of("primary", "primary", "notPrimary"), router.calls());
    }

    @Test
    void aPrimaryWithoutAnEdgeIsRoutedToFromItsPublishedState() {
        // An agent restarted beside a running primary takes the lock back: no start, no promotion.
        publish(true, true);
        cycle();
        cycle();
        assertEquals(List.of("primary"), router.calls(), "once, not every cycle");
    }

    @Test
    void aPublishedStateFromBeforeThePromotionDoesNotUndoIt() {
        publish(false, false);
        cycle();
        listener.roleChanged(Role.PRIMARY);
        // Cycles that ran while the promotion finished published "no lock" a moment ago.
        cycle();
        cycle();
        cycle();
        assertEquals(List.of("primary"), router.calls(), "no notPrimary within the settle time");
        now.addAndGet(6 * SEC);
        cycle();
        assertEquals(List.of("primary", "notPrimary"), router.calls(), "still no lock after the settle time: out");
    }

    @Test
    void aReplicaIsReportedAfterTwoCyclesWithoutTheLock() {
        publish(false, false);
        cycle();
        assertEquals(List.of(), router.calls(), "one cycle is not enough");
        cycle();
        assertEquals(List.of("notPrimary"), router.calls());
        cycle();
        assertEquals(List.of("notPrimary"), router.calls(), "told once");
    }

    @Test
    void holdingTheLockWithPostgresDownChangesNothing() {
        listener.started(Role.PRIMARY);
        publish(true, false);
        cycle();
        cycle();
        now.addAndGet(60 * SEC);
        cycle();
        assertEquals(List.of("primary"), router.calls());
    }

    @Test
    void aLostLockWithoutAnEdgeTakesTheMemberOut() {
        listener.roleChanged(Role.PRIMARY);
        now.addAndGet(10 * SEC);
        publish(false, true);
        cycle();
        assertEquals(List.of("primary"), router.calls());
        cycle();
        assertEquals(List.of("primary", "notPrimary"), router.calls());
    }

    @Test
    void neverThrowsOnTheLoopsThread() {
        LoadBalancerRouter broken = new FakeRouter() {
            @Override
            public synchronized void primary() {
                throw new IllegalStateException("boom");
            }
        };
        RoutingListener l = new RoutingListener(broken, () -> {
            throw new IllegalStateException("no state");
        }, now::get);
        l.roleChanged(Role.PRIMARY);
        l.cycleFinished(1, "x");
        assertThrows(IllegalArgumentException.class, () -> new RoutingListener(router, state::get, now::get, -1));
    }
}
