package dev.baton.cli;

import dev.baton.agent.client.PatroniStatus;
import dev.baton.cli.support.Poll;
import dev.baton.leader.model.MemberStatus;
import java.time.Duration;

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
        return Poll.system().until(timeout, Duration.ofMillis(500),
                () -> api.status(m).filter(s -> ok(s, startedBefore, streaming)).isPresent());
    }

    private static boolean ok(PatroniStatus s, String startedBefore, boolean streaming) {
        if (!s.state().isRunning()) {
            return false;
        }
        if (startedBefore != null && startedBefore.equals(s.postmasterStartTime())) {
            return false;
        }
        return !streaming || s.streaming();
    }
}
