package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.backup.BackupRunner;
import dev.baton.agent.backup.BackupType;
import dev.baton.agent.backup.PgBackRestPeer;
import dev.baton.agent.backup.StandbyBackupsTest;
import dev.baton.config.BackupConfig.Schedule;
import dev.baton.config.Cron;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.testing.InMemoryCluster;
import dev.baton.leader.testing.InMemoryClusterStore;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Two leaders in succession on the same store: each schedule point runs once. */
class BackupDutiesTest {
    final AtomicLong nanos = new AtomicLong(1);
    final InMemoryCluster etcd = new InMemoryCluster("demo", nanos::get);
    final Schedule schedule = new Schedule(Cron.parse("0 12 * * *"), null, Cron.parse("0 * * * *"));

    /** One member: its store, its repository (recording into {@code calls}), its runner running in place. */
    final class Member {
        final FakePostgres pg = new FakePostgres("1");
        final FakeBackups repo = new FakeBackups(pg);
        final InMemoryClusterStore store;
        final BackupRunner runner;
        final BackupDuties duties;

        Member(String name, Clock clock) {
            this(name, clock, false);
        }

        Member(String name, Clock clock, boolean server) {
            store = etcd.store(name, 30);
            runner = new BackupRunner(repo, clock, Runnable::run);
            duties = new BackupDuties(store, runner, schedule, clock, name, server);
        }

        ClusterView view() {
            return ClusterView.of(etcd.snapshot(), DynamicConfig.defaults());
        }

        void cycle() {
            duties.run(ClusterView.of(etcd.snapshot(), DynamicConfig.defaults()));
        }
    }

    static Clock at(String iso) {
        return Clock.fixed(Instant.parse(iso), ZoneOffset.UTC);
    }

    @Test
    void aFailoverDoesNotRunAClaimedPointAgain() {
        Member a = new Member("node1", at("2026-12-01T12:00:30Z"));
        a.cycle();
        assertEquals(List.of(BackupType.FULL), a.repo.taken);
        // node1 dies right after; node2 leads within the same minute and the next hour.
        Member b = new Member("node2", at("2026-12-01T12:01:00Z"));
        b.cycle();
        b.cycle();
        assertEquals(List.of(), b.repo.taken, "the point node1 claimed is not run again");
        Member c = new Member("node2", at("2026-12-01T13:00:05Z"));
        c.cycle();
        assertEquals(List.of(BackupType.INCR), c.repo.taken, "the next point runs on the new leader");
    }

    @Test
    void twoLeadersReadingTheSameSnapshotClaimThePointOnce() {
        Member a = new Member("node1", at("2026-12-01T12:00:30Z"));
        Member b = new Member("node2", at("2026-12-01T12:00:31Z"));
        ClusterView stale = ClusterView.of(etcd.snapshot(), DynamicConfig.defaults());
        a.duties.run(stale);
        b.duties.run(stale); // an old leader that has not noticed yet: its compare-and-set loses
        assertEquals(List.of(BackupType.FULL), a.repo.taken);
        assertEquals(List.of(), b.repo.taken);
        assertTrue(etcd.value("backup").orElseThrow().contains("\"full\":\"2026-12-01T12:00:00Z\""));
    }

    @Test
    void withFromReplicaTheFirstReplicaTakesThePointFromItselfAndTheLeaderDoesNot() {
        Member leader = new Member("node1", at("2026-12-01T12:00:30Z"), true);
        Member replica = new Member("node2", at("2026-12-01T12:00:31Z"), true);
        assertTrue(leader.store.tryAcquireLeader());
        PgBackRestPeer leaderFacts = StandbyBackupsTest.peer("node1", true);
        leader.store.publishMember(StandbyBackupsTest.member("primary", "running", leaderFacts));
        replica.store.publishMember(StandbyBackupsTest.member("replica", "running",
                StandbyBackupsTest.peer("node2", false)));
        leader.duties.run(leader.view());
        assertEquals(List.of(), leader.repo.taken, "node2 takes the scheduled backups");
        replica.duties.runAsReplica(replica.view());
        assertEquals(List.of(BackupType.FULL), replica.repo.taken);
        assertEquals(List.of(leaderFacts), replica.repo.fromStandby, "through the leader's server");
        replica.duties.runAsReplica(replica.view());
        assertEquals(1, replica.repo.taken.size(), "claimed once");

        // The replica stops: the leader takes the next point itself.
        replica.store.publishMember(StandbyBackupsTest.member("replica", "stopped",
                StandbyBackupsTest.peer("node2", false)));
        Member later = new Member("node1", at("2026-12-01T13:00:05Z"), true);
        later.duties.run(later.view());
        assertEquals(List.of(BackupType.INCR), later.repo.taken);
        assertEquals(List.of(), later.repo.fromStandby);
    }

    @Test
    void aReplicaWithoutBackupServerNeverClaims() {
        Member leader = new Member("node1", at("2026-12-01T12:00:30Z"), true);
        Member replica = new Member("node2", at("2026-12-01T12:00:31Z"), false);
        assertTrue(leader.store.tryAcquireLeader());
        leader.store.publishMember(StandbyBackupsTest.member("primary", "running", StandbyBackupsTest.peer("node1",
                true)));
        replica.store.publishMember(StandbyBackupsTest.member("replica", "running", null));
        replica.duties.runAsReplica(replica.view());
        assertEquals(List.of(), replica.repo.taken);
        leader.duties.run(leader.view());
        assertEquals(List.of(BackupType.FULL), leader.repo.taken, "no replica can: the leader takes it");
    }

    @Test
    void aNewClusterLeaderRecordsOldPointsWithoutRunningThem() {
        Member a = new Member("node1", at("2026-12-01T15:20:00Z"));
        a.cycle();
        assertEquals(List.of(BackupType.INCR), a.repo.taken,
                "the full of 12:00 is more than an hour old: recorded only; the incr of 15:00 runs");
        assertEquals("{\"full\":\"2026-12-01T12:00:00Z\",\"incr\":\"2026-12-01T15:00:00Z\"}",
                etcd.value("backup").orElseThrow());
    }
}
