package dev.baton.agent.routing;

import dev.baton.agent.ha.HaListener;
import dev.baton.agent.ha.NodeState;
import dev.baton.leader.model.Role;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Feeds the HA loop's events to a {@link LoadBalancerRouter}.
 *
 * <p>Edges, for speed: {@code started("primary")} and {@code roleChanged("primary")} mean
 * {@link LoadBalancerRouter#primary()}; {@code roleChanged("replica")}, {@code started("replica")},
 * {@code fenced()} and {@code stopped("primary")} (unless the member still holds the lock: a
 * restart in place) mean {@link LoadBalancerRouter#notPrimary()}.
 *
 * <p>Levels, for what no edge reports (an agent restarted beside a running primary takes the lock
 * back without any start or promotion): after every cycle the loop's published state is read.
 * A member that is the lock-holding, writable primary (what {@code /primary} answers 200 for) is
 * routed to at once. A member that does not hold the lock for two cycles in a row, and had no edge
 * for {@link #settleNanos}, is taken out. The settle time keeps a state published just before a
 * promotion finished from undoing that promotion's edge.
 *
 * <p>Called on the HA loop's thread (the fence's, for {@code fenced}): every method returns at
 * once (the router only records the newest desired state) and never throws.
 */
public final class RoutingListener implements HaListener {
    private static final Logger LOG = Logger.getLogger(RoutingListener.class.getName());

    /** Default time an edge is trusted over the published state. */
    public static final long DEFAULT_SETTLE_NANOS = TimeUnit.SECONDS.toNanos(5);

    private enum Told { NOTHING, PRIMARY, NOT_PRIMARY }

    private final LoadBalancerRouter router;
    private final Supplier<NodeState> state;
    private final LongSupplier ticker;
    private final long settleNanos;
    private final Object lock = new Object();

    private Told told = Told.NOTHING;
    private long lastEdgeNanos;
    private int cyclesWithoutLock;

    /**
     * @param router      where the desired state goes
     * @param state       the HA loop's published state ({@code HaLoop::state})
     * @param ticker      the loop's monotonic clock
     * @param settleNanos how long an edge wins over a contradicting published state
     */
    public RoutingListener(LoadBalancerRouter router, Supplier<NodeState> state, LongSupplier ticker, long settleNanos) {
        this.router = Objects.requireNonNull(router, "router");
        this.state = Objects.requireNonNull(state, "state");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        if (settleNanos < 0) {
            throw new IllegalArgumentException("settleNanos must be >= 0, got " + settleNanos);
        }
        this.settleNanos = settleNanos;
    }

    public RoutingListener(LoadBalancerRouter router, Supplier<NodeState> state, LongSupplier ticker) {
        this(router, state, ticker, DEFAULT_SETTLE_NANOS);
    }

    @Override
    public void started(Role role) {
        if (role == Role.PRIMARY) {
            edge(Told.PRIMARY);
        } else if (role == Role.REPLICA) {
            edge(Told.NOT_PRIMARY);
        }
    }

    /**
     * A primary's postgres stopped. Out of the load balancer, unless the member still holds the
     * lock: that is a restart in place ({@code baton restart}), which starts it again as primary
     * in seconds, while deregistering and registering again could cost an NLB minutes. Every
     * stop that ends the primary's term is followed by {@code roleChanged("replica")} or
     * {@code fenced()} anyway, and a shutdown by the router's own close.
     */
    @Override
    public void stopped(Role role) {
        if (role != Role.PRIMARY) {
            return;
        }
        try {
            NodeState s = state.get();
            if (s != null && s.holdsLock(ticker.getAsLong())) {
                LOG.fine("routing: postgres restarts in place on the lock holder; the load balancer stays as it is");
                return;
            }
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "routing: could not read the loop's state: " + e, e);
        }
        edge(Told.NOT_PRIMARY);
    }

    @Override
    public void roleChanged(Role newRole) {
        if (newRole == Role.PRIMARY) {
            edge(Told.PRIMARY);
        } else if (newRole == Role.REPLICA) {
            edge(Told.NOT_PRIMARY);
        }
    }

    @Override
    public void fenced() {
        edge(Told.NOT_PRIMARY);
    }

    @Override
    public void cycleFinished(long nanos, String sentence) {
        try {
            NodeState s = state.get();
            if (s == null) {
                return;
            }
            long now = ticker.getAsLong();
            synchronized (lock) {
                if (s.isWritablePrimary(now)) {
                    cyclesWithoutLock = 0;
                    if (told != Told.PRIMARY) {
                        LOG.info("routing: this member is the lock-holding primary; routing clients to it");
                        tell(Told.PRIMARY);
                    }
                } else if (s.holdsLock(now)) {
                    cyclesWithoutLock = 0;
                } else {
                    cyclesWithoutLock++;
                    boolean settled = told == Told.NOTHING || now - lastEdgeNanos - settleNanos >= 0;
                    if (told != Told.NOT_PRIMARY && cyclesWithoutLock >= 2 && settled) {
                        if (told == Told.PRIMARY) {
                            LOG.info("routing: this member no longer holds the leader lock; taking it out of the load balancer");
                        }
                        tell(Told.NOT_PRIMARY);
                    }
                }
            }
        } catch (RuntimeException e) {
            // Runs on the HA loop's thread: routing must never break a cycle.
            LOG.log(Level.WARNING, "routing: could not check the loop's state: " + e, e);
        }
    }

    private void edge(Told role) {
        try {
            synchronized (lock) {
                lastEdgeNanos = ticker.getAsLong();
                cyclesWithoutLock = 0;
                tell(role);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "routing: could not hand over a role change: " + e, e);
        }
    }

    /** Under {@link #lock}. The router only records the state, so holding the lock is brief. */
    private void tell(Told role) {
        told = role;
        if (role == Told.PRIMARY) {
            router.primary();
        } else {
            router.notPrimary();
        }
    }
}
