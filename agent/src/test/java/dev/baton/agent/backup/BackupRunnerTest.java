package dev.baton.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.RestoreConfig;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

class BackupRunnerTest {
    /** Runs what is submitted when the test says so. */
    static final class Later implements Executor {
        final Deque<Runnable> pending = new ArrayDeque<>();

        @Override
        public void execute(Runnable r) {
            pending.add(r);
        }

        void runAll() {
            while (!pending.isEmpty()) {
                pending.poll().run();
            }
        }
    }

    static final class Repo implements BackupRepository {
        final List<String> calls = new ArrayList<>();
        RuntimeException fail;
        List<BackupInfo> listed = List.of();
        Runnable during = () -> { };

        @Override
        public void ensureStanza() {
            calls.add("stanza");
            if (fail != null) {
                throw fail;
            }
        }

        @Override
        public BackupInfo backup(BackupType type, BackupProgress progress) {
            calls.add("backup " + type.key());
            progress.update(10, 40);
            during.run();
            if (fail != null) {
                throw fail;
            }
            return new BackupInfo("20261201-120000F", type, Instant.parse("2026-12-01T12:00:00Z"),
                    Instant.parse("2026-12-01T12:01:00Z"), "a", "b", 40, 20, null, null);
        }

        @Override
        public List<BackupInfo> list() {
            calls.add("list");
            return listed;
        }

        @Override
        public List<BackupInfo> list(String scope) {
            return listed;
        }

        @Override
        public void restoreReplica(BackupProgress progress) {
        }

        @Override
        public void restoreCluster(RestoreConfig restore, BackupProgress progress) {
        }

        @Override
        public void clearRestoreSettings() {
        }
    }

    final Instant[] now = {Instant.parse("2026-12-01T12:00:00Z")};
    final Clock clock = new Clock() {
        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now[0];
        }
    };
    final Repo repo = new Repo();
    final Later later = new Later();
    final BackupRunner runner = new BackupRunner(repo, clock, later);

    @Test
    void beforeTheFirstRunTheStatusIsNone() {
        Map<String, Object> json = runner.status().toJson();
        assertEquals("{id=0, state=none, type=null, started=null, finished=null, done_bytes=0, total_bytes=0, "
                + "label=null, error=null}", json.toString());
        assertFalse(runner.running());
        assertNull(runner.lastSuccess());
    }

    @Test
    void aRunReportsProgressThenSucceeds() {
        List<BackupRunner.Status> seen = new ArrayList<>();
        repo.during = () -> seen.add(runner.status());
        BackupRunner.Submission s = runner.run(BackupType.DIFF, "test");
        assertTrue(s.started());
        assertEquals(BackupRunner.State.RUNNING, s.status().state());
        assertEquals(1, s.status().id());
        assertTrue(runner.running());
        now[0] = now[0].plusSeconds(90);
        later.runAll();
        assertEquals(10, seen.get(0).doneBytes());
        assertEquals(40, seen.get(0).totalBytes());
        BackupRunner.Status done = runner.status();
        assertEquals("{id=1, state=succeeded, type=diff, started=2026-12-01T12:00:00Z, finished=2026-12-01T12:01:30Z, "
                + "done_bytes=40, total_bytes=40, label=20261201-120000F, error=null}", done.toJson().toString());
        assertEquals(90, done.duration().toSeconds());
        assertEquals(done, runner.lastSuccess());
        assertEquals(1, runner.runs(BackupType.DIFF, true));
        assertEquals(0, runner.runs(BackupType.DIFF, false));
    }

    @Test
    void aSecondRunIsRefusedWhileOneRuns() {
        runner.run(BackupType.FULL, "test");
        BackupRunner.Submission second = runner.run(BackupType.INCR, "test");
        assertFalse(second.started());
        assertEquals(1, second.status().id());
        assertEquals(BackupType.FULL, second.status().type());
        later.runAll();
        assertEquals(List.of("backup full"), repo.calls);
        assertTrue(runner.run(BackupType.INCR, "test").started(), "once it finished, the next may run");
    }

    @Test
    void aFailureKeepsTheErrorPrintableAndBounded() {
        repo.fail = new BackupException("ERROR: [082]: \u001b[31m" + "x".repeat(5000));
        runner.run(BackupType.FULL, "test");
        later.runAll();
        BackupRunner.Status s = runner.status();
        assertEquals(BackupRunner.State.FAILED, s.state());
        assertTrue(s.error().startsWith("ERROR: [082]: "));
        assertTrue(s.error().chars().noneMatch(c -> c < 0x20));
        assertTrue(s.error().length() < BackupRunner.MAX_ERROR + 20);
        assertEquals(1, runner.runs(BackupType.FULL, false));
        assertNull(runner.lastSuccess());
    }

    @Test
    void theStanzaIsEnsuredOnTheBackupThreadAndAFailureIsOnlyLogged() {
        repo.fail = new BackupException("stanza-create failed");
        runner.ensureStanza("test");
        assertEquals(List.of(), repo.calls);
        later.runAll();
        assertEquals(List.of("stanza"), repo.calls);
    }

    @Test
    void theLatestBackupComesFromTheRepositoryUntilThisAgentTakesOne() {
        repo.listed = List.of(new BackupInfo("old", BackupType.FULL, Instant.parse("2026-11-30T03:00:00Z"),
                Instant.parse("2026-11-30T03:10:00Z"), "a", "b", 1, 1, null, null));
        assertNull(runner.latestBackupFinished(), "not known yet: listed on the backup thread");
        later.runAll();
        assertEquals(Instant.parse("2026-11-30T03:10:00Z"), runner.latestBackupFinished());
        assertTrue(later.pending.isEmpty(), "listed at most every few minutes");
        runner.run(BackupType.FULL, "test");
        now[0] = now[0].plusSeconds(60);
        later.runAll();
        assertEquals(Instant.parse("2026-12-01T12:01:00Z"), runner.latestBackupFinished());
    }
}
