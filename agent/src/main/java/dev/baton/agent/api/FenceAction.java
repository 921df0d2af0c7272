package dev.baton.agent.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.agent.ha.NodeState;
import dev.baton.agent.postgres.Lsn;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.agent.postgres.PostgresController;
import dev.baton.agent.postgres.PostgresController.StopMode;
import dev.baton.agent.postgres.PostgresException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * {@code POST /fence}: another member took the leader key after this node's lease expired and,
 * before it promotes, asks this node to stop acknowledging commits (fence before promote). The
 * request says who holds the key now; it is refused (409) when that is this node, or while this
 * node holds the key with a lease it is sure of. Otherwise postgres, if it runs as a primary, is
 * stopped: a fast stop with ¾ of the timeout, then an immediate one if it still runs. The answer
 * carries the WAL position the new leader must have before it promotes.
 *
 * <p>Runs on the request's own thread, without the HA loop's cycle lock or long-action slot: a
 * fence is asked for exactly when this node's loop may be stuck. One fence at a time; a second
 * waits for the first (bounded by its own timeout) and then finds postgres stopped.
 */
public final class FenceAction {
    private static final Logger LOG = Logger.getLogger(FenceAction.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The least an immediate stop is given after a fast one used its share of the timeout. */
    private static final Duration MIN_IMMEDIATE = Duration.ofSeconds(1);

    /** What fencing needs of the local postgres; {@link #of} adapts the controller, tests fake it. */
    public interface Postgres {
        /** A postmaster is alive for the data directory. */
        boolean isRunning();

        /** The server's state; stopped when it cannot be asked. */
        PgStatus status();

        /** Stops the server; throws {@link PostgresException} when it still runs afterwards. */
        void stop(StopMode mode, Duration timeout);

        /** The latest checkpoint location in the data directory (pg_controldata), 0 if unknown. */
        long checkpointLsn();

        /** The end of the WAL the stopped data directory holds (pg_waldump), 0 if unknown. */
        long walEnd();

        static Postgres of(PostgresController pg) {
            return new Postgres() {
                @Override
                public boolean isRunning() {
                    return pg.isRunning();
                }

                @Override
                public PgStatus status() {
                    return pg.status();
                }

                @Override
                public void stop(StopMode mode, Duration timeout) {
                    pg.stop(mode, timeout);
                }

                @Override
                public long checkpointLsn() {
                    return pg.inspectDataDir().checkpointLsn();
                }

                @Override
                public long walEnd() {
                    return pg.localWalEnd();
                }
            };
        }
    }

    private final String me;
    private final Postgres pg;
    private final Supplier<NodeState> state;
    private final LongSupplier ticker;
    private final ReentrantLock oneAtATime = new ReentrantLock();

    /**
     * @param me     this member's name
     * @param pg     the local postgres
     * @param state  the HA loop's last state (whether this node is sure it holds the leader key)
     * @param ticker the monotonic clock the state's lease deadline is on
     */
    public FenceAction(String me, Postgres pg, Supplier<NodeState> state, LongSupplier ticker) {
        this.me = me;
        this.pg = pg;
        this.state = state;
        this.ticker = ticker;
    }

    /** Carries out a parsed {@code POST /fence}. */
    public RestApi.Answer fence(RestRequests.Fence req) {
        if (req.leader().equals(me)) {
            LOG.info("fence refused: the request names this node as the leader");
            return refused(409, "the leader named in the request is this node (" + me + "): not fencing myself");
        }
        boolean locked;
        try {
            locked = oneAtATime.tryLock(req.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return refused(503, "interrupted while another fence was in progress");
        }
        if (!locked) {
            return refused(503, "another fence is in progress and did not finish within "
                    + req.timeout().toSeconds() + " s");
        }
        try {
            return fenceLocked(req);
        } finally {
            oneAtATime.unlock();
        }
    }

    private RestApi.Answer fenceLocked(RestRequests.Fence req) {
        // Checked under the lock, against the loop's latest state: the lease may have been renewed meanwhile.
        NodeState s = state.get();
        if (s != null && s.holdsLock(ticker.getAsLong())) {
            LOG.warning("fence refused: " + req.leader() + " says it holds the leader key, but this node holds it "
                    + "with a lease it is sure of");
            return refused(409, "this node holds the leader key with a lease it is sure of; " + req.leader()
                    + " cannot hold it too: not fencing");
        }
        if (!pg.isRunning()) {
            LOG.info(line(req, "postgres was not running"));
            return fenced("not running");
        }
        PgStatus st = pg.status();
        if (st.runningAsReplica()) {
            LOG.info(line(req, "postgres runs in recovery, not a primary"));
            return fenced("not a primary");
        }
        // A primary, or a postmaster that answers no query (full, starting, stuck): stopped either way.
        long deadline = ticker.getAsLong() + req.timeout().toNanos();
        Duration fast = req.timeout().multipliedBy(3).dividedBy(4);
        StopMode mode = StopMode.FAST;
        String fastFailure = null;
        try {
            pg.stop(StopMode.FAST, fast);
        } catch (RuntimeException e) {
            fastFailure = e.getMessage();
        }
        if (pg.isRunning()) {
            mode = StopMode.IMMEDIATE;
            Duration left = Duration.ofNanos(Math.max(0, deadline - ticker.getAsLong()));
            try {
                pg.stop(StopMode.IMMEDIATE, left.compareTo(MIN_IMMEDIATE) < 0 ? MIN_IMMEDIATE : left);
            } catch (RuntimeException e) {
                LOG.severe(line(req, "postgres still runs after a fast and an immediate stop: " + e.getMessage()
                        + (fastFailure == null ? "" : " (fast stop: " + fastFailure + ")")));
                return refused(503, "postgres still runs after a fast and an immediate stop");
            }
            if (pg.isRunning()) {
                LOG.severe(line(req, "postgres still runs after a fast and an immediate stop"));
                return refused(503, "postgres still runs after a fast and an immediate stop");
            }
        }
        // The shutdown checkpoint after a fast stop ends the WAL; after an immediate stop the WAL
        // on disk may go past both the last checkpoint and the position read before.
        long lsn = Math.max(st.running() ? st.writeLsn() : 0, safely(pg::checkpointLsn));
        if (mode == StopMode.IMMEDIATE) {
            lsn = Math.max(lsn, safely(pg::walEnd));
        }
        String m = mode.name().toLowerCase(Locale.ROOT);
        LOG.warning(line(req, "postgres stopped (" + m + "), WAL up to " + Lsn.format(lsn)));
        ObjectNode n = JSON.createObjectNode();
        n.put("fenced", true);
        n.put("state", "stopped");
        n.put("mode", m);
        n.put("lsn", Lsn.format(lsn));
        return new RestApi.Answer(200, n.toString());
    }

    /** A position read from the stopped data directory; 0 when it cannot be read. */
    private static long safely(LongSupplier read) {
        try {
            return read.getAsLong();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private String line(RestRequests.Fence req, String what) {
        return "fenced at the request of " + req.leader() + " (it says it holds the leader key): " + what;
    }

    private static RestApi.Answer fenced(String state) {
        ObjectNode n = JSON.createObjectNode();
        n.put("fenced", true);
        n.put("state", state);
        return new RestApi.Answer(200, n.toString());
    }

    private static RestApi.Answer refused(int status, String message) {
        ObjectNode n = JSON.createObjectNode();
        n.put("fenced", false);
        n.put("error", message);
        return new RestApi.Answer(status, n.toString());
    }
}
