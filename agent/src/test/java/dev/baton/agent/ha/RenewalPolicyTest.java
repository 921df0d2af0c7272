package dev.baton.agent.ha;

import dev.baton.leader.LeaseRenewal;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When the loop renews its lease: every cycle for the leader and candidates, every ttl/3 for a following replica. */
class RenewalPolicyTest {

    private static final long SECOND = 1_000_000_000L;
    private static final LeaseRenewal LAST = new LeaseRenewal(7, 30, 100 * SECOND, false);

    @Test
    void theFirstCycleRenews() {
        assertTrue(RenewalPolicy.mustRenew(null, 0, "a", "b", 9, false, 0));
    }

    @Test
    void theLeaderRenewsEveryCycle() {
        assertTrue(RenewalPolicy.mustRenew(LAST, 7, "a", "a", 7, false, 100 * SECOND + 1));
        assertTrue(RenewalPolicy.mustRenew(LAST, 7, "a", "b", 9, true, 100 * SECOND + 1), "still holding the lock");
    }

    @Test
    void aLeaderlessClusterMakesEveryoneRenewEveryCycle() {
        assertTrue(RenewalPolicy.mustRenew(LAST, 7, "a", null, 0, false, 100 * SECOND + 1));
    }

    @Test
    void aReplicaFollowingAnotherLeaderRenewsEveryThirdOfTheTtl() {
        assertFalse(RenewalPolicy.mustRenew(LAST, 7, "a", "b", 9, false, 100 * SECOND + 1));
        assertFalse(RenewalPolicy.mustRenew(LAST, 7, "a", "b", 9, false, 110 * SECOND - 1));
        assertTrue(RenewalPolicy.mustRenew(LAST, 7, "a", "b", 9, false, 110 * SECOND));
    }

    @Test
    void aLeaseGrantedSinceMustBeReported() {
        assertTrue(RenewalPolicy.mustRenew(LAST, 8, "a", "b", 9, false, 100 * SECOND + 1));
    }

    @Test
    void aLeaderKeyOnOurLeaseUnderAnotherNameRenews() {
        assertTrue(RenewalPolicy.mustRenew(LAST, 7, "a", "b", 7, false, 100 * SECOND + 1));
    }
}
