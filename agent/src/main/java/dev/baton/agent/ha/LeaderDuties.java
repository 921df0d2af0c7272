package dev.baton.agent.ha;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.agent.postgres.PostgresController;
import dev.baton.agent.postgres.PostgresException;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.SyncState;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * What the leader does every cycle besides renewing: its replication slots ({@link SlotPlanner}),
 * synchronous replication ({@link SyncPlanner}), the {@code status} key with its WAL position, and
 * with a backup repository the stanza and the scheduled backups ({@link BackupDuties}).
 * The plans are pure; this class only carries them out.
 */
final class LeaderDuties {
    private static final Logger LOG = Logger.getLogger(LeaderDuties.class.getName());

    /** {@link #appliedSyncNames}: synchronous_standby_names was reset to postgresql.conf's value. */
    static final String RESET_SYNC_NAMES = "\u0000reset";

    private final String me;
    private final ClusterStore store;
    private final PostgresController pg;
    /** What this agent last set as synchronous_standby_names (null: not known since it started). */
    private volatile String appliedSyncNames;
    private String lastStatusJson;
    private volatile boolean confirmationPending;
    /** Whether this leadership already granted the fencing role what it needs. */
    private volatile boolean fenceGrantsEnsured;

    private final BackupDuties backups;
    /** The node's own postgresql.parameters (they win over the dynamic ones), for synchronous_commit. */
    private final Supplier<Map<String, String>> localParameters;
    /** The standbys last reported as left out for their lag, so each change is logged once. */
    private Set<String> loggedLagging = Set.of();

    LeaderDuties(String me, ClusterStore store, PostgresController pg) {
        this(me, store, pg, BackupDuties.NONE);
    }

    LeaderDuties(String me, ClusterStore store, PostgresController pg, BackupDuties backups) {
        this(me, store, pg, backups, Map::of);
    }

    LeaderDuties(String me, ClusterStore store, PostgresController pg, BackupDuties backups,
                 Supplier<Map<String, String>> localParameters) {
        this.me = me;
        this.store = store;
        this.pg = pg;
        this.backups = backups;
        this.localParameters = localParameters;
    }

    BackupDuties backups() {
        return backups;
    }

    /** Records what a promotion set as synchronous_standby_names (null: reset). */
    void syncNamesApplied(String names) {
        appliedSyncNames = names == null ? RESET_SYNC_NAMES : names;
    }

    /**
     * Whether the leader waits for postgres to confirm a standby it just named synchronous: the
     * loop then runs its next cycle soon instead of after loop_wait.
     */
    boolean confirmationPending() {
        return confirmationPending;
    }

    /** This node does not hold the lock (this cycle): the next leadership ensures the fence grants again. */
    void notLeading() {
        fenceGrantsEnsured = false;
        backups.notLeading();
    }

    void run(ClusterView view, PgStatus status, DynamicConfig dynamic) {
        ensureFenceGrants();
        maintainSlots(view, dynamic);
        syncReplication(view, status, dynamic);
        String json = JsonNodeFactory.instance.objectNode().put("optime", status.walPosition()).toString();
        if (!json.equals(lastStatusJson)) {
            store.putStatus(json);
            lastStatusJson = json;
        }
        backups.run(view);
    }

    /**
     * Once per leadership: the role a future candidate fences this primary with gets what it needs
     * (idempotent; a failure is logged, and fencing then falls back to the REST channel).
     */
    private void ensureFenceGrants() {
        if (fenceGrantsEnsured) {
            return;
        }
        fenceGrantsEnsured = true;
        try {
            pg.ensureFenceGrants();
        } catch (RuntimeException e) {
            LOG.warning("could not grant the fencing role what fencing needs: " + e.getMessage());
        }
    }

    /** One physical slot per other member that streams; slots of members that are gone or tagged nostream are dropped (as Patroni does). */
    void maintainSlots(ClusterView view, DynamicConfig dynamic) {
        if (!dynamic.useSlots()) {
            return;
        }
        try {
            SlotPlanner.Plan plan = SlotPlanner.plan(me, view.members().values(), pg.physicalSlots());
            for (String slot : plan.create()) {
                pg.createPhysicalSlot(slot);
                LOG.info("created replication slot " + slot);
            }
            for (String slot : plan.drop()) {
                pg.dropPhysicalSlot(slot);
            }
        } catch (PostgresException e) {
            LOG.warning("replication slot maintenance failed: " + e.getMessage());
        }
    }

    /**
     * Synchronous mode: at most one write of the {@code sync} key per cycle. Names leave the key
     * before they leave synchronous_standby_names, and join it only once postgres reports them
     * synchronous; a name just set is confirmed on a following cycle, not waited for here.
     */
    void syncReplication(ClusterView view, PgStatus status, DynamicConfig dynamic) {
        confirmationPending = false;
        try {
            SyncState key = view.sync();
            if (!dynamic.synchronousMode()) {
                if (key.present() && store.deleteSync(key.modRevision())) {
                    LOG.info("synchronous mode is off: removed the sync key");
                }
                if (!RESET_SYNC_NAMES.equals(appliedSyncNames)) {
                    pg.setSynchronousStandbyNames(null);
                    appliedSyncNames = RESET_SYNC_NAMES;
                }
                return;
            }
            SyncPlanner.Lag lag = SyncPlanner.Lag.of(dynamic.maximumLagOnSyncnode(),
                    setting("synchronous_commit", dynamic.parameters(), localParameters.get()), status.writeLsn());
            SyncPlanner.Plan plan = SyncPlanner.plan(me, key, status.replication(), view.members(),
                    dynamic.synchronousNodeCount(), dynamic.strictSynchronous(), appliedSyncNames, lag);
            logLagging(plan, key, lag);
            if (plan.publishFirst() != null) {
                if (!store.casSync(SyncState.toJson(me, plan.publishFirst()), key.modRevision())) {
                    LOG.info("the sync key was changed by someone else; trying again next cycle");
                    return;
                }
                LOG.info("synchronous standbys in the sync key: " + describe(plan.publishFirst()));
            }
            if (plan.namesValue() != null) {
                pg.setSynchronousStandbyNames(plan.namesValue());
                appliedSyncNames = plan.namesValue();
                LOG.info("synchronous_standby_names = '" + plan.namesValue() + "'"
                        + (plan.picked().isEmpty() ? (dynamic.strictSynchronous()
                        ? ": no standby available, commits wait (synchronous_mode_strict)"
                        : ": no standby available, running without a synchronous standby") : ""));
            }
            if (plan.publishFirst() != null || plan.picked().isEmpty()) {
                return;
            }
            Set<String> confirmed = SyncPlanner.confirmed(plan.picked(), status.replication());
            confirmationPending = confirmed.size() < plan.picked().size();
            if (!confirmed.isEmpty() && !confirmed.equals(key.standbys())) {
                if (store.casSync(SyncState.toJson(me, confirmed), key.modRevision())) {
                    LOG.info("synchronous standby status assigned to " + describe(confirmed));
                }
            }
        } catch (PostgresException e) {
            LOG.warning("synchronous replication management failed: " + e.getMessage());
        }
    }

    /** Says once per change which standbys maximum_lag_on_syncnode leaves out (and that a listed one is replaced). */
    private void logLagging(SyncPlanner.Plan plan, SyncState key, SyncPlanner.Lag lag) {
        if (plan.lagging().keySet().equals(loggedLagging)) {
            return;
        }
        loggedLagging = Set.copyOf(plan.lagging().keySet());
        plan.lagging().forEach((name, behind) -> LOG.info((key.standbys().contains(name) && me.equals(key.leader())
                ? "replacing synchronous standby " + name : "not picking " + name + " as a synchronous standby")
                + ": its " + (lag.byReplay() ? "replay" : "flush") + " position is " + behind
                + " bytes behind, more than maximum_lag_on_syncnode " + lag.maximum()));
    }

    /** A parameter's value as postgresql.conf gets it: the local value wins over the dynamic one (names case-insensitive). */
    static String setting(String name, Map<String, String> dynamic, Map<String, String> local) {
        String value = null;
        for (Map<String, String> params : List.of(dynamic, local)) {
            for (Map.Entry<String, String> e : params.entrySet()) {
                if (e.getKey().toLowerCase(Locale.ROOT).equals(name)) {
                    value = e.getValue();
                }
            }
        }
        return value;
    }

    private static String describe(Set<String> names) {
        return names.isEmpty() ? "none" : String.join(", ", names);
    }
}
