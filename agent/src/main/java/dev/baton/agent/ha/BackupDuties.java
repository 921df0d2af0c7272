package dev.baton.agent.ha;

import dev.baton.agent.backup.BackupRunner;
import dev.baton.agent.backup.BackupSchedule;
import dev.baton.agent.backup.BackupSchedule.Claims;
import dev.baton.agent.backup.BackupSchedule.Due;
import dev.baton.agent.backup.PgBackRestPeer;
import dev.baton.agent.backup.StandbyBackups;
import dev.baton.config.BackupConfig.Schedule;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.VersionedValue;
import dev.baton.leader.model.ClusterView;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The members' part in backups, run each cycle and cheap. As the leader (with its other duties):
 * once per leadership the stanza is ensured (on the backup thread, not the loop). Whoever takes
 * the scheduled backups ({@link StandbyBackups#taker}: the leader, or with the leader's
 * {@code backup.from_replica} the first replica that can) claims a due schedule point
 * ({@link BackupSchedule}) by compare-and-set on the {@code backup} key before its backup is
 * handed to the {@link BackupRunner}; a replica takes it from itself, through the leader's
 * pgBackRest server. A lost compare-and-set means another member claimed the point: nothing runs
 * here. A {@code backup} key that cannot be read counts as no claims (logged once per value) and
 * is overwritten by the next claim.
 */
final class BackupDuties {
    private static final Logger LOG = Logger.getLogger(BackupDuties.class.getName());

    /** Without a backup repository: nothing to do. */
    static final BackupDuties NONE = new BackupDuties(null, null, Schedule.NONE, null, null, false);

    private final String me;
    private final boolean server;
    private final ClusterStore store;
    private final BackupRunner runner;
    private final Schedule schedule;
    private final Clock clock;
    private volatile boolean stanzaEnsured;
    // Loop thread only.
    private long evaluatedMinute = Long.MIN_VALUE;
    private long evaluatedRevision = -1;
    private long warnedRevision = -1;

    BackupDuties(ClusterStore store, BackupRunner runner, Schedule schedule, Clock clock) {
        this(store, runner, schedule, clock, null, false);
    }

    /**
     * @param me     this member's name
     * @param server whether this member has {@code backup.server} (can take backups as a replica)
     */
    BackupDuties(ClusterStore store, BackupRunner runner, Schedule schedule, Clock clock, String me, boolean server) {
        this.me = me;
        this.server = server;
        this.store = store;
        this.runner = runner;
        this.schedule = schedule == null ? Schedule.NONE : schedule;
        this.clock = clock;
    }

    /** This node does not lead (this cycle): the next leadership ensures the stanza again. */
    void notLeading() {
        stanzaEnsured = false;
    }

    /** The stanza was just ensured (by a restore bootstrap): not again in this leadership. */
    void stanzaEnsured() {
        stanzaEnsured = true;
    }

    void run(ClusterView view) {
        if (runner == null) {
            return;
        }
        if (!stanzaEnsured) {
            stanzaEnsured = true;
            runner.ensureStanza("this member leads the cluster");
        }
        if (!schedule.isEmpty()) {
            String taker = StandbyBackups.taker(view);
            if (me != null && taker != null && !me.equals(taker)) {
                return; // a replica takes the scheduled backups (backup.from_replica)
            }
            schedule(view.snapshot().backup(), null);
        }
    }

    /**
     * A replica's cycle: when it takes the scheduled backups ({@link StandbyBackups#taker}), a due
     * point is claimed and taken here, from this standby.
     */
    void runAsReplica(ClusterView view) {
        if (runner == null || !server || schedule.isEmpty() || me == null || !me.equals(StandbyBackups.taker(view))) {
            return;
        }
        PgBackRestPeer primary;
        try {
            primary = StandbyBackups.leaderServer(view).orElse(null);
        } catch (IllegalArgumentException e) {
            primary = null;
        }
        if (primary != null) {
            schedule(view.snapshot().backup(), primary);
        }
    }

    private void schedule(VersionedValue key, PgBackRestPeer primary) {
        if (runner.running()) {
            return; // a point due meanwhile is claimed once this backup has finished
        }
        Instant now = clock.instant();
        long minute = Math.floorDiv(now.getEpochSecond(), 60);
        long revision = key == null ? 0 : key.modRevision();
        if (minute == evaluatedMinute && revision == evaluatedRevision) {
            return; // cron points are whole minutes: nothing new since the last look
        }
        Claims claims;
        try {
            claims = Claims.parse(key == null ? null : key.value());
        } catch (IllegalArgumentException e) {
            if (warnedRevision != revision) {
                warnedRevision = revision;
                LOG.warning("the backup key cannot be read, taken as no scheduled backups claimed: " + e.getMessage());
            }
            claims = Claims.NONE;
        }
        Optional<Due> due = BackupSchedule.due(schedule, now, claims);
        if (due.isEmpty()) {
            evaluatedMinute = minute;
            evaluatedRevision = revision;
            return;
        }
        Due d = due.get();
        if (!store.casBackup(d.claims().toJson(), revision)) {
            LOG.info("the backup key changed meanwhile (another member claimed the point): not running a backup");
            return;
        }
        if (d.run() == null) {
            LOG.info("scheduled backup points recorded without a backup (never claimed before and more than "
                    + BackupSchedule.FIRST_POINT_GRACE.toMinutes() + " minutes old): " + d.claims().toJson());
            return;
        }
        String why = "scheduled (point " + d.point() + ")";
        BackupRunner.Submission s = primary == null ? runner.run(d.run(), why)
                : runner.runFromStandby(d.run(), primary, why);
        if (!s.started()) {
            LOG.warning("the scheduled " + d.run().key() + " backup for " + d.point() + " was claimed but not "
                    + "started: backup " + s.status().id() + " is running");
        }
    }
}
