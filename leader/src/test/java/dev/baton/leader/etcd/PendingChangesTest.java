package dev.baton.leader.etcd;

import dev.baton.leader.KeyLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bookkeeping of {@code awaitChange}, and which keys end a wait ({@link ChangeWatcher#wakesLoop}). */
class PendingChangesTest {

    private final PendingChanges changes = new PendingChanges();

    @ParameterizedTest(name = "{0} wakes: {1}")
    @CsvSource({
            "/service/demo/leader,          true",
            "/service/demo/initialize,      true",
            "/service/demo/config,          true",
            "/service/demo/failover,        true",
            "/service/demo/sync,            true",
            "/service/demo/history,         true",
            "/service/demo/failsafe,        true",
            "/service/demo/status,          false",   // the leader writes it every cycle
            "/service/demo/members/node1,   false",   // every member publishes every cycle under load
            "/service/demo/members/,        false",
    })
    void onlyKeysADecisionDependsOnAtOnceWakeTheLoop(String key, boolean wakes) {
        assertEquals(wakes, ChangeWatcher.wakesLoop(new KeyLayout("/service/", "demo"), key));
    }

    @Test
    void nothingSeenIsNoChange() {
        assertFalse(changes.take());
    }

    @Test
    void aChangeByAnotherClientIsReportedOnce() {
        assertTrue(changes.onEvent(10, true));
        assertTrue(changes.take());
        assertFalse(changes.take(), "consumed");
    }

    @Test
    void eventsThatDoNotWakeAreNotChanges() {
        assertFalse(changes.onEvent(10, false));
        assertFalse(changes.take());
    }

    @Test
    void ownWritesAreNotChangesWhicheverArrivesFirst() {
        assertFalse(changes.noteOwn(10), "nothing pending yet");
        changes.onEvent(10, true);          // the watch reports our write after we noted it
        assertFalse(changes.take());

        changes.onEvent(11, true);          // the watch is faster than the write's response
        assertTrue(changes.noteOwn(11), "a change is pending: the waiter must re-check");
        assertFalse(changes.take());
    }

    @Test
    void anotherClientsChangeAmongOwnWritesStillWakes() {
        changes.noteOwn(10);
        changes.noteOwn(12);
        changes.onEvent(10, true);
        changes.onEvent(11, true);          // e.g. a lease expiry deleting our keys
        changes.onEvent(12, true);
        assertTrue(changes.take());
        assertFalse(changes.take());
    }

    @Test
    void onlyTheNewestOwnRevisionsAreRemembered() {
        for (long r = 1; r <= PendingChanges.MAX_OWN_REVISIONS + 1; r++) {
            changes.noteOwn(r);
        }
        changes.onEvent(PendingChanges.MAX_OWN_REVISIONS + 1, true);
        assertFalse(changes.take(), "the newest is still known as our own");
        changes.onEvent(1, true);
        assertTrue(changes.take(), "the oldest was forgotten");
    }

    @Test
    void aWakeUpIsNotLostAndIsConsumedOnce() {
        changes.requestWake();
        assertTrue(changes.take());
        assertFalse(changes.take());
    }

    @Test
    void theWatchStartsAfterTheNewestRevisionSeen() {
        assertEquals(0, changes.watchStartRevision(), "nothing read yet: from now");
        changes.noteKnown(40);
        assertEquals(41, changes.watchStartRevision());
        changes.noteKnown(30);
        assertEquals(41, changes.watchStartRevision(), "never goes back");
        changes.onEvent(50, false);
        assertEquals(51, changes.watchStartRevision(), "events that do not wake count too");
    }

    @Test
    void lostHistoryRestartsFromNowAndReportsAChange() {
        changes.noteKnown(40);
        changes.historyLost();
        assertEquals(0, changes.watchStartRevision());
        assertTrue(changes.take(), "the caller must read again");
    }
}
