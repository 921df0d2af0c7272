package dev.baton.cli;

import dev.baton.agent.client.PatroniStatus;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.MemberStatus;
import java.time.Duration;
import java.util.Optional;

/** Polls a member's {@code GET /patroni} until it shows what an action should lead to. */
final class MemberWait {
    private MemberWait() {
    }

    /** The member's postmaster start time as it reports it now, or null. */
    static String startTime(AgentApi api, MemberStatus m) {
        return api.status(m).map(PatroniStatus::postmasterStartTime).orElse(null);
    }

    /**
     * Waits until the member reports state {@code running} with a postmaster start time other than
     * {@code startedBefore} (when that was known), and, with {@code streaming}, replication state
     * {@code streaming}. False if {@code timeout} passed first.
     */
    static boolean awaitRunning(AgentApi api, MemberStatus m, String startedBefore, boolean streaming, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<PatroniStatus> s = api.status(m);
            if (s.isPresent() && ok(s.get(), startedBefore, streaming)) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.sleep(500);
        }
    }

    private static boolean ok(PatroniStatus s, String startedBefore, boolean streaming) {
        if (s.state() != MemberState.RUNNING) {
            return false;
        }
        if (startedBefore != null && startedBefore.equals(s.postmasterStartTime())) {
            return false;
        }
        return !streaming || s.streaming();
    }
}
