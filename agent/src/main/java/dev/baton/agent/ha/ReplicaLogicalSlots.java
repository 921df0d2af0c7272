package dev.baton.agent.ha;

import dev.baton.agent.postgres.Lsn;
import dev.baton.agent.postgres.PgParameters;
import dev.baton.agent.postgres.SlotStateFile;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.agent.postgres.PostgresController;
import dev.baton.agent.postgres.PostgresController.StopMode;
import dev.baton.agent.postgres.PostgresException;
import dev.baton.agent.postgres.SlotPosition;
import dev.baton.config.DynamicConfig;
import dev.baton.config.SlotsConfig.PermanentSlot;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * What a running replica does every cycle for the permanent logical slots ({@link LogicalSlotSync}),
 * as Patroni does on PostgreSQL 11-16: a slot the leader published and this replica lacks is copied
 * from the primary (its state file, read with pg_read_binary_file) and loaded by one restart; a slot
 * it has is advanced to the position the leader published. PostgreSQL 17 and later synchronize the
 * slots themselves ({@code sync_replication_slots}): nothing is done here.
 */
final class ReplicaLogicalSlots {
    private static final Logger LOG = Logger.getLogger(ReplicaLogicalSlots.class.getName());

    private final PostgresController pg;
    private final LongActionSlot slot;
    private final LoopContext ctx;
    /** The slots this agent copied to this replica (it drops only those again). */
    private final Set<String> copied = ConcurrentHashMap.newKeySet();
    /** Slots copied once in this run: not copied (and restarted for) again if they did not load. */
    private final Set<String> attempted = ConcurrentHashMap.newKeySet();
    /**
     * Slots whose copy could not be advanced because its WAL is gone here, with the published
     * position at that time: copied again once the consumer moved past it ({@link LogicalSlotSync#copyNow}).
     */
    private final Map<String, Long> waiting = new ConcurrentHashMap<>();
    /**
     * Cycles until a waiting slot is read from the primary again even if the consumer did not move:
     * the primary's restart_lsn may have moved on by itself (checkpoints, running-xacts records).
     */
    private final Map<String, Integer> retryIn = new ConcurrentHashMap<>();
    private static final int RETRY_CYCLES = 10;
    /** Problems already logged (each once: the loop runs every loop_wait). */
    private final Set<String> logged = new HashSet<>();

    ReplicaLogicalSlots(PostgresController pg, LongActionSlot slot, LoopContext ctx) {
        this.pg = pg;
        this.slot = slot;
        this.ctx = ctx;
    }

    void run(ClusterView view, PgStatus status, DynamicConfig dynamic) {
        run(view, view.snapshot() == null || view.snapshot().status() == null ? null
                : view.snapshot().status().value(), status.serverVersion(), dynamic);
    }

    /** {@link #run(ClusterView, PgStatus, DynamicConfig)} with the status key's value and the server's version. */
    void run(ClusterView view, String statusKey, int serverVersion, DynamicConfig dynamic) {
        Map<String, PermanentSlot> permanent = dynamic.slots().permanent();
        if (!dynamic.useSlots() || serverVersion >= PgParameters.SYNC_REPLICATION_SLOTS
                || (!LogicalSlotSync.anyLogical(permanent) && copied.isEmpty())) {
            return;
        }
        try {
            List<SlotPosition> existing = pg.slotPositions();
            Map<String, Long> published = LogicalSlotSync.published(statusKey);
            LogicalSlotSync.Plan plan = LogicalSlotSync.replica(permanent, existing, published, copied);
            for (String name : plan.conflicts()) {
                logOnce(name + ": not kept on this replica: a slot of that name exists with another type, database "
                        + "or plugin, and Baton did not make it");
            }
            for (String name : plan.drop()) {
                pg.dropPhysicalSlot(name); // any type; not while in use
                copied.remove(name);
                attempted.remove(name);
                LOG.info("dropped logical replication slot " + name + " on this replica: it is no longer permanent");
            }
            for (Map.Entry<String, Long> e : plan.advance().entrySet()) {
                try {
                    pg.advanceSlot(e.getKey(), permanent.get(e.getKey()).database(), e.getValue());
                } catch (PostgresException ex) {
                    if (copied.contains(e.getKey()) && walGone(ex)) {
                        pg.dropPhysicalSlot(e.getKey()); // any type
                        copied.remove(e.getKey());
                        attempted.remove(e.getKey());
                        waitFor(e.getKey(), e.getValue());
                        LOG.warning(e.getKey() + ": the copy of the logical replication slot needs WAL this replica "
                                + "no longer has (its consumer has not confirmed anything since before this replica "
                                + "was made); dropped here, copied again once the primary's slot moved on");
                    } else {
                        logOnce(e.getKey() + ": cannot advance the logical replication slot on this replica: "
                                + ex.getMessage());
                    }
                }
            }
            copy(view, plan, published, dynamic);
        } catch (PostgresException e) {
            LOG.warning("logical replication slot maintenance on this replica failed: " + e.getMessage());
        }
    }

    /** Reads the missing slots from the primary, then one restart writes and loads them. */
    private void copy(ClusterView view, LogicalSlotSync.Plan plan, Map<String, Long> published, DynamicConfig dynamic) {
        for (String name : Set.copyOf(retryIn.keySet())) {
            if (retryIn.merge(name, -1, Integer::sum) <= 0) {
                retryIn.remove(name);
                waiting.remove(name); // read the primary's slot again
            }
        }
        Set<String> wanted = LogicalSlotSync.copyNow(plan.copy(), published, waiting);
        wanted.removeAll(attempted);
        MemberStatus leader = view.leaderMember().orElse(null);
        if (wanted.isEmpty() || dynamic.pause() || leader == null || leader.host() == null
                || slot.running() != null) {
            return;
        }
        Map<String, byte[]> states = new LinkedHashMap<>();
        for (String name : wanted) {
            try {
                states.put(name, pg.readSlotState(leader.host(), leader.port(), name));
            } catch (PostgresException e) {
                logOnce(name + ": cannot copy the logical replication slot from the primary: " + e.getMessage());
            }
        }
        // A copy whose restart_lsn is older than this replica's oldest WAL could never be advanced
        // here: wait (no restart) until the consumer moved on and the primary's slot with it.
        long oldest = pg.oldestWalLsn();
        for (var it = states.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            long restart;
            try {
                restart = SlotStateFile.restartLsn(e.getValue());
            } catch (PostgresException ex) {
                it.remove();
                logOnce(e.getKey() + ": cannot copy the logical replication slot from the primary: " + ex.getMessage());
                continue;
            }
            if (oldest > 0 && restart < oldest) {
                it.remove();
                waitFor(e.getKey(), published.getOrDefault(e.getKey(), 0L));
                LOG.info(e.getKey() + ": not copied yet: the primary's slot needs WAL from " + Lsn.format(restart)
                        + ", older than this replica's oldest WAL (" + Lsn.format(oldest)
                        + "); read again once its consumer confirms more or in " + RETRY_CYCLES + " cycles");
            }
        }
        if (states.isEmpty()) {
            return;
        }
        attempted.addAll(states.keySet());
        waiting.keySet().removeAll(states.keySet());
        retryIn.keySet().removeAll(states.keySet());
        LOG.info("copying logical replication slot(s) " + String.join(", ", states.keySet())
                + " from the primary " + leader.name() + ": restarting postgres to load them");
        slot.submit(LongAction.RESTART.running(), () -> {
            pg.beforeStop();
            pg.stop(StopMode.FAST, pg.pgCtlTimeout());
            ctx.dataDirChanged();
            ctx.listener().stoppedForRestart(Role.REPLICA);
            try {
                states.forEach(pg::installSlotState);
                copied.addAll(states.keySet());
            } finally {
                pg.start(DecisionExecutor.startTimeout(ctx.dynamic(), pg));
                ctx.listener().restarted(Role.REPLICA);
            }
        });
    }

    private void waitFor(String name, long published) {
        waiting.put(name, published);
        retryIn.put(name, RETRY_CYCLES);
    }

    /** PostgreSQL's "requested WAL segment ... has already been removed" (SQLSTATE 58P01). */
    static boolean walGone(PostgresException e) {
        return e.getCause() instanceof java.sql.SQLException s && "58P01".equals(s.getSQLState())
                || String.valueOf(e.getMessage()).contains("has already been removed");
    }

    private void logOnce(String problem) {
        if (logged.size() < 1000 && logged.add(problem)) {
            LOG.warning(problem);
        }
    }
}
