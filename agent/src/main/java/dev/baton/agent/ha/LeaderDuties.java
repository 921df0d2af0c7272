package dev.baton.agent.ha;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.agent.postgres.PostgresController;
import dev.baton.agent.postgres.PostgresException;
import dev.baton.agent.postgres.ReplicationSlot;
import dev.baton.agent.postgres.SlotPosition;
import dev.baton.config.SlotsConfig.PermanentSlot;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.SyncState;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
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
    /** Quorum commit: the names this agent last set in quorum form (null: none set). */
    private volatile QuorumPlanner.Names quorumNames;
    /** Quorum commit: the primary's WAL position taken after {@link #quorumNames} took effect (-1: not yet). */
    private volatile long quorumSafeLsn = -1;
    /** Leaving quorum commit for plain synchronous mode is under way ({@link #leavingQuorum}). */
    private volatile boolean leavingQuorum;
    /** While leaving quorum commit: the standbys named FIRST, and the position they must reach (-1: not taken yet). */
    private volatile Set<String> leavingPicked = Set.of();
    private volatile long leavingSafeLsn = -1;
    /** The last quorum step logged, so a steady or waiting state is logged once. */
    private String loggedQuorumStep;
    private volatile boolean confirmationPending;
    /** Whether this leadership already granted the fencing role what it needs. */
    private volatile boolean fenceGrantsEnsured;

    private final BackupDuties backups;
    /** The node's own postgresql.parameters (they win over the dynamic ones), for synchronous_commit. */
    private final Supplier<Map<String, String>> localParameters;
    /** The standbys last reported as left out for their lag, so each change is logged once. */
    private Set<String> loggedLagging = Set.of();
    private final Clock clock;
    /**
     * Member slot name to when its member was last seen, this leadership (null: not leading; the
     * next leadership starts from the status key's retain_slots, all seen at the takeover).
     */
    private volatile Map<String, Instant> slotMemory;
    /** The member slots published as the status key's retain_slots. */
    private volatile List<String> retainSlots = List.of();
    /** The permanent logical slots' positions, published as the status key's slots (Patroni). */
    private volatile Map<String, Long> publishedSlots = Map.of();
    /** Slot problems already logged (each once, the loop runs every loop_wait). */
    private final Set<String> loggedSlotProblems = new HashSet<>();

    LeaderDuties(String me, ClusterStore store, PostgresController pg) {
        this(me, store, pg, BackupDuties.NONE);
    }

    LeaderDuties(String me, ClusterStore store, PostgresController pg, BackupDuties backups) {
        this(me, store, pg, backups, Map::of);
    }

    LeaderDuties(String me, ClusterStore store, PostgresController pg, BackupDuties backups,
                 Supplier<Map<String, String>> localParameters) {
        this(me, store, pg, backups, localParameters, Clock.systemUTC());
    }

    LeaderDuties(String me, ClusterStore store, PostgresController pg, BackupDuties backups,
                 Supplier<Map<String, String>> localParameters, Clock clock) {
        this.clock = clock;
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
        slotMemory = null;
        backups.notLeading();
    }

    void run(ClusterView view, PgStatus status, DynamicConfig dynamic) {
        ensureFenceGrants();
        maintainSlots(view, dynamic);
        syncReplication(view, status, dynamic);
        publishStatus(status.walPosition(), publishedSlots);
        backups.run(view);
    }

    /**
     * The standby leader's share of the duties (a standby cluster): the physical slots of the members
     * that cascade from it and the {@code status} key. No synchronous replication, fencing grants or
     * backups: its postgres is read-only and follows the remote primary, as in Patroni.
     */
    void runAsStandbyLeader(ClusterView view, PgStatus status, DynamicConfig dynamic) {
        maintainSlots(view, dynamic);
        publishStatus(status.walPosition(), Map.of());
    }

    /**
     * The {@code status} key (Patroni's shape): optime, the permanent logical slots' positions and
     * retain_slots; written only when it changed.
     */
    private void publishStatus(long optime, Map<String, Long> slotPositions) {
        var node = JsonNodeFactory.instance.objectNode().put("optime", optime);
        if (!slotPositions.isEmpty()) {
            var slots = node.putObject("slots");
            slotPositions.forEach(slots::put);
        }
        if (!retainSlots.isEmpty()) {
            retainSlots.forEach(node.putArray("retain_slots")::add);
        }
        String json = node.toString();
        if (!json.equals(lastStatusJson)) {
            store.putStatus(json);
            lastStatusJson = json;
        }
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

    /**
     * The leader's slots ({@link SlotPlanner}): one physical slot per other member that streams,
     * kept member_slots_ttl after its member key is gone; the permanent slots; nothing else is
     * touched. The member slots go to the status key's retain_slots (Patroni 4), so that a new
     * leader knows them; it starts their ttl again at its takeover, as Patroni does.
     */
    void maintainSlots(ClusterView view, DynamicConfig dynamic) {
        if (!dynamic.useSlots()) {
            publishedSlots = Map.of();
            return;
        }
        try {
            Instant now = clock.instant();
            Map<String, Instant> memory = slotMemory;
            if (memory == null) {
                Map<String, Instant> seeded = new java.util.HashMap<>();
                SlotPlanner.retainSlots(view.snapshot() == null || view.snapshot().status() == null ? null
                        : view.snapshot().status().value()).forEach(name -> seeded.put(name, now));
                memory = seeded;
            }
            List<SlotPosition> positions = pg.slotPositions();
            List<ReplicationSlot> existing = positions.stream().map(SlotPosition::slot).toList();
            SlotPlanner.Plan plan = SlotPlanner.plan(new SlotPlanner.Facts(me, view.members().values(), existing,
                    memory, now, dynamic.slots()));
            slotMemory = plan.lastSeen();
            retainSlots = plan.retainSlots();
            for (String slot : plan.create()) {
                pg.createPhysicalSlot(slot);
                LOG.info("created replication slot " + slot);
            }
            for (Map.Entry<String, PermanentSlot> e : plan.createLogical().entrySet()) {
                PermanentSlot s = e.getValue();
                try {
                    pg.createLogicalSlot(e.getKey(), s.database(), s.plugin());
                    LOG.info("created logical replication slot " + e.getKey() + " (database " + s.database()
                            + ", plugin " + s.plugin() + ")");
                    loggedSlotProblems.removeIf(p -> p.startsWith(e.getKey() + ":"));
                } catch (PostgresException ex) {
                    logSlotProblem(e.getKey() + ": cannot create the permanent logical replication slot: "
                            + ex.getMessage());
                }
            }
            for (String name : plan.conflicts()) {
                logSlotProblem(name + ": the permanent logical replication slot has the name of a member's "
                        + "physical slot; not created");
            }
            for (String slot : plan.drop()) {
                pg.dropPhysicalSlot(slot);
                LOG.info("dropped replication slot " + slot + ": its member has been gone for more than "
                        + "member_slots_ttl (" + dynamic.slots().memberSlotsTtl() + " s) or no longer streams");
            }
            publishedSlots = LogicalSlotSync.toPublish(dynamic.slots().permanent(), positions);
            advanceCascadedMemberSlots(view, positions);
        } catch (PostgresException e) {
            LOG.warning("replication slot maintenance failed: " + e.getMessage());
        }
    }

    /**
     * The idle slots of members that cascade from another member move to the position those members
     * publish, so that this primary does not keep WAL they already have (Patroni advances them too).
     */
    private void advanceCascadedMemberSlots(ClusterView view, List<SlotPosition> positions) {
        LogicalSlotSync.cascadedMemberSlots(me, view, positions).forEach((slot, lsn) -> {
            try {
                pg.advanceSlot(slot, null, lsn);
            } catch (PostgresException ex) {
                logSlotProblem(slot + ": cannot advance the slot of a cascading member: " + ex.getMessage());
            }
        });
    }

    private void logSlotProblem(String problem) {
        if (loggedSlotProblems.size() < 1000 && loggedSlotProblems.add(problem)) {
            LOG.warning(problem);
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
            if (dynamic.synchronousQuorum()) {
                leavingQuorum = false;
                quorumReplication(view, status, dynamic, lag.byReplay());
                return;
            }
            if (leavingQuorum(view, key, status, dynamic, lag)) {
                confirmationPending = true;
                return;
            }
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

    /**
     * Quorum commit ({@link QuorumPlanner}): at most one change per cycle, of either the sync key or
     * synchronous_standby_names. The position that confirms a new synchronous_standby_names is taken
     * on a later cycle, once pg_stat_replication shows the new value in effect
     * ({@link QuorumPlanner#inEffect}).
     */
    private void quorumReplication(ClusterView view, PgStatus status, DynamicConfig dynamic, boolean byReplay) {
        boolean strict = dynamic.strictSynchronous();
        QuorumPlanner.Names names = quorumNames != null && quorumNames.render(strict).equals(appliedSyncNames)
                ? quorumNames
                : ("".equals(appliedSyncNames) && !strict) || ("*".equals(appliedSyncNames) && strict)
                ? QuorumPlanner.Names.NONE : null;
        if (names != null && names.k() > 0 && quorumSafeLsn < 0 && QuorumPlanner.inEffect(names, status.replication())) {
            quorumSafeLsn = status.writeLsn();
        }
        boolean confirmed = names != null && QuorumPlanner.confirmed(names, status.replication(), quorumSafeLsn, byReplay);
        SyncState key = view.sync();
        QuorumPlanner.Step step = QuorumPlanner.plan(QuorumPlanner.Key.of(key, me), names, confirmed,
                QuorumPlanner.active(me, status.replication(), view.members()), dynamic.synchronousNodeCount());
        confirmationPending = !step.idle() || (names != null && !confirmed && quorumSafeLsn < 0);
        if (step.idle()) {
            if (!step.why().equals(loggedQuorumStep)) {
                loggedQuorumStep = step.why();
                LOG.info(step.why());
            }
            return;
        }
        loggedQuorumStep = null;
        if (step.key() != null) {
            if (!store.casSync(SyncState.toJson(me, step.key().voters(), step.key().quorum()), key.modRevision())) {
                LOG.info("the sync key was changed by someone else; trying again next cycle");
                return;
            }
            LOG.info(step.why());
        } else {
            String value = step.names().render(strict);
            pg.setSynchronousStandbyNames(value);
            appliedSyncNames = value;
            quorumNames = step.names();
            quorumSafeLsn = -1;
            LOG.info("synchronous_standby_names = '" + value + "': " + step.why());
        }
    }

    /**
     * Leaving quorum commit for plain synchronous mode. A standby named under {@code ANY k} may lack
     * commits acknowledged by the others, while {@link SyncPlanner} lists a standby as soon as
     * postgres reports it synchronous. So: empty the key first (only the leader may promote), set
     * the {@code FIRST n} names, wait until pg_stat_replication shows them in effect (no
     * {@code quorum} standby left), take the WAL position then, and hand over to SyncPlanner only
     * once the picked standbys reached it: they hold every commit acknowledged under {@code ANY k}.
     *
     * @return whether this cycle was spent on it
     */
    private boolean leavingQuorum(ClusterView view, SyncState key, PgStatus status, DynamicConfig dynamic,
                                  SyncPlanner.Lag lag) {
        boolean anyNames = appliedSyncNames != null && appliedSyncNames.startsWith("ANY ");
        if (anyNames || (me.equals(key.leader()) && key.quorum() > 0)) {
            leavingQuorum = true;
        }
        if (!leavingQuorum) {
            return false;
        }
        if (me.equals(key.leader()) && !key.standbys().isEmpty()) {
            if (store.casSync(SyncState.toJson(me, null), key.modRevision())) {
                LOG.info("leaving quorum commit: emptied the sync key");
            }
            return true;
        }
        if (anyNames) {
            SyncPlanner.Plan plan = SyncPlanner.plan(me, key, status.replication(), view.members(),
                    dynamic.synchronousNodeCount(), dynamic.strictSynchronous(), null, lag);
            pg.setSynchronousStandbyNames(plan.namesValue());
            appliedSyncNames = plan.namesValue();
            leavingPicked = Set.copyOf(plan.picked());
            leavingSafeLsn = -1;
            LOG.info("leaving quorum commit: synchronous_standby_names = '" + plan.namesValue() + "'");
            return true;
        }
        if (leavingSafeLsn < 0) {
            boolean stillQuorum = status.replication().stream()
                    .anyMatch(r -> "streaming".equals(r.state()) && "quorum".equals(r.syncState()));
            if (!stillQuorum) {
                leavingSafeLsn = status.writeLsn();
            }
            return true;
        }
        for (PgStatus.Replica r : status.replication()) {
            if (leavingPicked.contains(r.applicationName()) && "streaming".equals(r.state())
                    && lag.position(r) < leavingSafeLsn) {
                return true;
            }
        }
        leavingQuorum = false;
        leavingSafeLsn = -1;
        LOG.info("left quorum commit: the new synchronous standbys hold every commit acknowledged before");
        return false;
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
