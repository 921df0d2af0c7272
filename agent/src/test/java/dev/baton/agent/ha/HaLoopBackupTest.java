package dev.baton.agent.ha;

import static dev.baton.agent.ha.LoopHarness.ME;
import static dev.baton.agent.ha.LoopHarness.SYSID;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.backup.BackupRunner;
import dev.baton.agent.backup.BackupType;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.Role;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cycle by cycle with a backup repository: a cluster restored from it, replicas made from it, the stanza, schedules. */
class HaLoopBackupTest {
    static final String REPO = "backup: {repository: {type: posix, path: /var/lib/baton/backup}}\n";
    static final String RESTORE = REPO
            + "bootstrap: {method: restore, restore: {from_scope: old, target_time: '2026-12-01T11:00:00Z'}}\n";
    static final String ABOUT = "(scope old, target time 2026-12-01T11:00:00Z)";

    // ------------------------------------------------------------------ bootstrap from the repository

    @Test
    void theWinnerRestoresRecoversPromotesAndWritesTheKeys() {
        LoopHarness h = LoopHarness.withBackups(RESTORE);
        assertEquals("bootstrapping a new cluster from the backup repository " + ABOUT + ": I won the initialize race",
                h.cycle());
        assertEquals("", h.etcd.value("initialize").orElseThrow(), "initialize is claimed while the restore runs");
        assertEquals(ME, h.leader());
        assertEquals(List.of(), h.calls(), "the restore runs on the long-action slot");

        assertEquals(1, h.runActions());
        assertEquals(List.of("restore cluster old time 2026-12-01T11:00:00Z", "configure primary", "start",
                "clear restore settings", "reload", "ensure stanza", "post_bootstrap", "ensure replication role", "bootstrap users", "checkpoint"), h.calls());
        assertEquals(h.backups.restoredSystemId, h.etcd.value("initialize").orElseThrow(),
                "the new cluster's initialize key is the restored system identifier");
        assertEquals("[]", h.etcd.value("history").orElseThrow());
        assertTrue(h.etcd.value("config").isPresent());
        assertEquals(List.of("started primary"), h.takeEvents());

        h.advanceSeconds(1);
        assertEquals("no action: I am the leader with the lock", h.cycle());
        assertEquals(0, h.backupThread.size(), "the stanza was ensured by the restore: not again in this leadership");
        assertEquals(Role.PRIMARY, h.myKey().role());
    }

    @Test
    void whileItRestoresAndRecoversTheLoopRenewsAndShowsTheProgress() {
        LoopHarness h = LoopHarness.withBackups(RESTORE);
        h.cycle();
        h.advanceSeconds(1);
        assertEquals("bootstrap from the backup repository " + ABOUT + " in progress", h.cycle());
        assertEquals(MemberState.INITIALIZING_NEW_CLUSTER, h.myKey().state());

        List<String> meanwhile = new ArrayList<>();
        h.backups.afterProgress = () -> {
            meanwhile.add(h.cycle());
            // Restoring for longer than primary_start_timeout (300 s): the key is kept all the same.
            pass(h, 400);
        };
        h.backups.recoveryPolls = 3; // the cycle during the recovery looks at postgres too
        h.onPause = () -> meanwhile.add(h.cycle());
        h.runActions();
        assertEquals("bootstrap from the backup repository " + ABOUT + ": restoring (50 B of 100 B) in progress",
                meanwhile.get(0));
        assertTrue(meanwhile.get(1).startsWith("bootstrap from the backup repository " + ABOUT + ": recovering"),
                meanwhile.get(1));
        assertEquals(ME, h.leader(), "the lease was renewed throughout");
        assertEquals(h.backups.restoredSystemId, h.etcd.value("initialize").orElseThrow());
    }

    @Test
    void aFailedRestoreCleansUpSoThatTheBootstrapIsRetried() {
        LoopHarness h = LoopHarness.withBackups(RESTORE);
        h.backups.failOn("restore cluster");
        h.cycle();
        h.runActions();
        assertEquals(List.of("restore cluster old time 2026-12-01T11:00:00Z", "stop IMMEDIATE", "remove data directory"),
                h.calls());
        assertTrue(h.etcd.value("initialize").isEmpty());
        assertNull(h.leader());
        assertEquals(List.of(), h.takeEvents());
        h.advanceSeconds(1);
        assertTrue(h.cycle().startsWith("bootstrapping a new cluster from the backup repository"));
    }

    @Test
    void aServerThatStopsWhileRecoveringFailsTheBootstrap() {
        LoopHarness h = LoopHarness.withBackups(RESTORE);
        h.backups.recoveryPolls = 5;
        h.onPause = () -> h.pg.crash(); // e.g. a target the archive does not reach
        h.cycle();
        h.runActions();
        assertEquals(List.of("restore cluster old time 2026-12-01T11:00:00Z", "configure primary", "start",
                "stop IMMEDIATE", "remove data directory"), h.calls());
        assertTrue(h.etcd.value("initialize").isEmpty());
        assertNull(h.leader());
    }

    @Test
    void aRestoredDatabaseThatRefusesTheSuperuserFailsTheBootstrapAtOnce() {
        LoopHarness h = LoopHarness.withBackups(RESTORE);
        h.backups.recoveryPolls = 1000;
        h.pg.authenticationFailure = "28P01 FATAL: password authentication failed for user \"postgres\"";
        h.cycle();
        h.runActions();
        assertEquals(List.of("restore cluster old time 2026-12-01T11:00:00Z", "configure primary", "start",
                "stop IMMEDIATE", "remove data directory"), h.calls());
        assertTrue(h.etcd.value("initialize").isEmpty());
        assertNull(h.leader(), "released: the next cycle may try again once the configuration is fixed");
    }

    @Test
    void aBootstrapByInitdbEnsuresTheStanzaOnTheBackupThreadOncePerLeadership() {
        LoopHarness h = LoopHarness.withBackups(REPO);
        assertEquals("bootstrapping a new cluster: I won the initialize race", h.cycle());
        h.runActions();
        assertEquals(List.of("initdb", "configure primary", "start", "post_bootstrap", "ensure replication role", "bootstrap users", "checkpoint"), h.calls());
        h.advanceSeconds(1);
        assertEquals("no action: I am the leader with the lock", h.cycle());
        h.calls();
        assertEquals(1, h.backupThread.size(), "not on the loop: on the backup thread");
        h.backupThread.runAll();
        assertEquals(List.of("ensure stanza"), h.calls());
        h.advanceSeconds(1);
        h.cycle();
        assertEquals(0, h.backupThread.size(), "once per leadership");
    }

    @Test
    void aFailingStanzaIsLoggedAndTheLoopCarriesOn() {
        LoopHarness h = LoopHarness.withBackups(REPO).initialized().primaryData();
        h.backups.failOn("ensure stanza");
        h.cycle();
        h.advanceSeconds(1);
        assertEquals("no action: I am the leader with the lock", h.cycle());
        h.backupThread.runAll();
        h.advanceSeconds(1);
        assertEquals("no action: I am the leader with the lock", h.cycle());
    }

    @Test
    void eachNewLeadershipEnsuresTheStanzaAgain() {
        LoopHarness h = LoopHarness.withBackups(REPO).initialized().primaryData();
        h.cycle();
        h.advanceSeconds(1);
        h.cycle();
        assertEquals(1, h.backupThread.runAll());
        // The key is lost (e.g. to an operator's etcdctl del); this member takes it again.
        h.etcd.delete("leader");
        h.advanceSeconds(1);
        h.cycle();
        h.advanceSeconds(1);
        h.cycle();
        h.advanceSeconds(1);
        h.cycle();
        assertEquals(1, h.backupThread.runAll(), "ensured again in the new leadership");
    }

    // ------------------------------------------------------------------ replicas

    static LoopHarness empty(String yaml) {
        LoopHarness h = LoopHarness.withBackups(yaml).initialized();
        h.member("node1").lead();
        return h;
    }

    @Test
    void anEmptyRepositoryFallsThroughToPgBasebackup() {
        LoopHarness h = empty(REPO);
        assertEquals("cloning a replica from leader node1 (create_replica_methods: backup, basebackup)", h.cycle());
        assertEquals(MemberState.CREATING_REPLICA, h.myKey().state());
        h.advanceSeconds(1);
        assertEquals("clone from the backup repository in progress", h.cycle());
        assertEquals(1, h.runActions());
        assertEquals(List.of("list backups", "basebackup 10.0.0.1:5432", "configure replica of 10.0.0.1:5432", "start"),
                h.calls());
        assertEquals(List.of("started replica"), h.takeEvents());
        h.advanceSeconds(1);
        assertEquals("no action: I am a secondary and I am following a leader node1", h.cycle());
    }

    @Test
    void aReplicaIsRestoredFromTheLatestBackupThenStreams() {
        LoopHarness h = empty(REPO);
        h.backups.withBackup();
        List<String> meanwhile = new ArrayList<>();
        h.backups.afterProgress = () -> meanwhile.add(h.cycle());
        h.cycle();
        h.runActions();
        assertEquals(List.of("list backups", "restore replica", "configure replica of 10.0.0.1:5432", "start"), h.calls());
        assertEquals(List.of("clone from the backup repository (50 B of 100 B) in progress"), meanwhile);
        assertEquals(List.of("started replica"), h.takeEvents());
        h.advanceSeconds(1);
        assertEquals("no action: I am a secondary and I am following a leader node1", h.cycle());
    }

    @Test
    void aFailedRestoreFallsThroughToPgBasebackup() {
        LoopHarness h = empty(REPO);
        h.backups.withBackup().failOn("restore replica");
        h.cycle();
        h.runActions();
        assertEquals(List.of("list backups", "restore replica", "basebackup 10.0.0.1:5432",
                "configure replica of 10.0.0.1:5432", "start"), h.calls());
        assertEquals(List.of("started replica"), h.takeEvents());
    }

    @Test
    void aRepositoryThatCannotBeListedFallsThroughToo() {
        LoopHarness h = empty(REPO);
        h.backups.failOn("list backups");
        h.cycle();
        h.runActions();
        assertEquals(List.of("list backups", "basebackup 10.0.0.1:5432", "configure replica of 10.0.0.1:5432", "start"),
                h.calls());
    }

    @Test
    void whenEveryMethodFailsTheCloneIsTriedAgain() {
        LoopHarness h = empty(REPO);
        h.backups.withBackup().failOn("restore replica");
        h.pg.failOn("basebackup");
        h.cycle();
        h.runActions();
        assertEquals(List.of("list backups", "restore replica", "basebackup 10.0.0.1:5432"), h.calls());
        assertEquals(List.of(), h.takeEvents());
        h.pg.succeedOn("basebackup");
        h.advanceSeconds(1);
        assertEquals("cloning a replica from leader node1 (create_replica_methods: backup, basebackup)", h.cycle());
    }

    @Test
    void onlyPgBasebackupWhenSoConfigured() {
        LoopHarness h = LoopHarness.withBackups(REPO, "create_replica_methods: [basebackup]").initialized();
        h.member("node1").lead();
        h.backups.withBackup();
        assertEquals("cloning a replica from leader node1", h.cycle(), "today's sentence");
        h.runActions();
        assertEquals(List.of("basebackup 10.0.0.1:5432", "configure replica of 10.0.0.1:5432", "start"), h.calls(),
                "the repository is not looked at");
    }

    @Test
    void theRepositoryAfterPgBasebackupWhenSoConfigured() {
        LoopHarness h = LoopHarness.withBackups(REPO, "create_replica_methods: [basebackup, backup]").initialized();
        h.member("node1").lead();
        h.backups.withBackup();
        h.pg.failOn("basebackup");
        assertEquals("cloning a replica from leader node1 (create_replica_methods: basebackup, backup)", h.cycle());
        h.runActions();
        assertEquals(List.of("basebackup 10.0.0.1:5432", "list backups", "restore replica",
                "configure replica of 10.0.0.1:5432", "start"), h.calls());
    }

    @Test
    void aReinitializedReplicaIsMadeByTheSameMethods() {
        LoopHarness h = LoopHarness.withBackups(REPO).initialized().replicaData("10.0.0.1:5432");
        h.member("node1").lead();
        h.backups.withBackup();
        h.cycle();
        assertEquals(200, h.operatorNow().reinitialize().status());
        assertEquals(List.of("stop FAST", "remove data directory"), h.calls());
        h.actions.immediate = false;
        h.advanceSeconds(1);
        assertEquals("cloning a replica from leader node1 (create_replica_methods: backup, basebackup)", h.cycle());
        h.runActions();
        assertEquals(List.of("list backups", "restore replica", "configure replica of 10.0.0.1:5432", "start"), h.calls());
    }

    // ------------------------------------------------------------------ scheduled backups

    /** 12:00 UTC, when the harness's clock starts, is a full and an incr point. */
    static final String SCHEDULED = "backup: {repository: {type: posix, path: /var/lib/baton/backup}, "
            + "schedule: {full: '0 12 * * *', incr: '*/10 * * * *'}}\n";

    /** Cycles every second for {@code seconds}. */
    static void pass(LoopHarness h, int seconds) {
        for (int i = 0; i < seconds; i++) {
            h.advanceSeconds(1);
            h.cycle();
        }
    }

    static LoopHarness scheduledLeader() {
        LoopHarness h = LoopHarness.withBackups(SCHEDULED).initialized().primaryData();
        assertEquals("acquired the vacant leader key as the running primary", h.cycle());
        h.calls();
        return h;
    }

    @Test
    void theLeaderClaimsADuePointThenRunsItOnTheBackupThread() {
        LoopHarness h = scheduledLeader();
        h.advanceSeconds(1);
        assertEquals("no action: I am the leader with the lock", h.cycle());
        assertEquals("{\"full\":\"2026-12-01T12:00:00Z\",\"incr\":\"2026-12-01T12:00:00Z\"}",
                h.etcd.value("backup").orElseThrow(), "a full and an incr point coincide: the full covers both");
        assertTrue(h.backupRunner.running());
        h.backupThread.runAll();
        assertEquals(List.of(BackupType.FULL), h.backups.taken);
        assertEquals(BackupRunner.State.SUCCEEDED, h.backupRunner.status().state());

        for (int i = 0; i < 5; i++) {
            h.advanceSeconds(1);
            h.cycle();
        }
        assertEquals(0, h.backupThread.size(), "a claimed point is never run again");

        pass(h, 10 * 60);
        h.backupThread.runAll();
        assertEquals(List.of(BackupType.FULL, BackupType.INCR), h.backups.taken);
        assertEquals("{\"full\":\"2026-12-01T12:00:00Z\",\"incr\":\"2026-12-01T12:10:00Z\"}",
                h.etcd.value("backup").orElseThrow());
    }

    @Test
    void aPointDueWhileABackupRunsIsClaimedWhenItHasFinished() {
        LoopHarness h = scheduledLeader();
        h.advanceSeconds(1);
        h.cycle();
        pass(h, 10 * 60); // the full still runs at 12:10
        assertEquals("{\"full\":\"2026-12-01T12:00:00Z\",\"incr\":\"2026-12-01T12:00:00Z\"}",
                h.etcd.value("backup").orElseThrow());
        h.backupThread.runAll();
        h.advanceSeconds(1);
        h.cycle();
        h.backupThread.runAll();
        assertEquals(List.of(BackupType.FULL, BackupType.INCR), h.backups.taken);
    }

    @Test
    void anotherLeadersClaimMeansNoRun() {
        LoopHarness h = scheduledLeader();
        h.before("casBackup", () -> h.etcd.put("backup",
                "{\"full\":\"2026-12-01T12:00:00Z\",\"incr\":\"2026-12-01T12:00:00Z\"}"));
        h.advanceSeconds(1);
        assertEquals("no action: I am the leader with the lock", h.cycle());
        h.backupThread.runAll();
        assertEquals(List.of(), h.backups.taken, "lost the compare-and-set: someone else claimed the point");
        h.advanceSeconds(1);
        h.cycle();
        h.backupThread.runAll();
        assertEquals(List.of(), h.backups.taken, "and the point, read back, is claimed");
    }

    @Test
    void aGarbageBackupKeyCountsAsNoClaimsAndIsReplaced() {
        LoopHarness h = scheduledLeader();
        h.etcd.put("backup", "\u0000{not json");
        h.advanceSeconds(1);
        assertEquals("no action: I am the leader with the lock", h.cycle());
        h.backupThread.runAll();
        assertEquals(List.of(BackupType.FULL), h.backups.taken);
        assertTrue(h.etcd.value("backup").orElseThrow().startsWith("{\"full\":"));
    }

    @Test
    void aReplicaNeverRunsTheSchedule() {
        LoopHarness h = LoopHarness.withBackups(SCHEDULED).initialized().replicaData("10.0.0.1:5432");
        h.member("node1").lead();
        h.cycle();
        h.advanceSeconds(1);
        h.cycle();
        assertEquals(0, h.backupThread.size());
        assertTrue(h.etcd.value("backup").isEmpty());
    }

    @Test
    void withoutARepositoryNothingChanges() {
        LoopHarness h = new LoopHarness().initialized().primaryData();
        h.cycle();
        h.advanceSeconds(1);
        assertEquals("no action: I am the leader with the lock", h.cycle());
        assertNull(h.backups);
        assertTrue(h.etcd.value("backup").isEmpty());
        assertFalse(h.calls().contains("ensure stanza"));
        assertEquals(SYSID, h.etcd.value("initialize").orElseThrow());
    }
}
