package dev.baton.leader.model;

import java.util.Optional;

/**
 * The one rule for "may this member take over from the leader?", shared by the leader's HA
 * decision (which cancels a switchover it cannot carry out), the REST API (412) and the CLI
 * (exit codes). Each caller keeps only its own words for the problem.
 */
public final class Takeover {

    private Takeover() {
    }

    /** Why a member may not take over, in the order they are checked. */
    public enum Problem {
        /** No member of that name has published its key. */
        NOT_A_MEMBER,
        /** It holds the leader key already. */
        ALREADY_LEADER,
        /** Tagged nofailover (only checked when the caller asks: a manual failover may override it). */
        NOFAILOVER,
        /** Its member key does not say running. */
        NOT_RUNNING,
        /** Its member key says it runs as a primary. */
        RUNNING_AS_PRIMARY,
        /** synchronous_mode is on and it is not listed in the sync key. */
        NOT_SYNCHRONOUS
    }

    /**
     * The first problem that keeps {@code candidate} from taking over, if any.
     *
     * @param nofailoverBlocks whether the nofailover tag counts (a planned switchover, or any CLI request)
     */
    public static Optional<Problem> check(ClusterView view, String candidate, boolean nofailoverBlocks) {
        Optional<MemberStatus> m = view.member(candidate);
        if (m.isEmpty()) {
            return Optional.of(Problem.NOT_A_MEMBER);
        }
        if (candidate.equals(view.leader())) {
            return Optional.of(Problem.ALREADY_LEADER);
        }
        if (nofailoverBlocks && m.get().nofailover()) {
            return Optional.of(Problem.NOFAILOVER);
        }
        if (!m.get().isRunning()) {
            return Optional.of(Problem.NOT_RUNNING);
        }
        if (m.get().isPrimary()) {
            return Optional.of(Problem.RUNNING_AS_PRIMARY);
        }
        if (!view.mayPromote(candidate)) {
            return Optional.of(Problem.NOT_SYNCHRONOUS);
        }
        return Optional.empty();
    }

    /** Whether any member other than {@code leader} may take over (nofailover always counts). */
    public static boolean anyoneBut(ClusterView view, String leader) {
        return view.members().keySet().stream()
                .anyMatch(name -> !name.equals(leader) && check(view, name, true).isEmpty());
    }
}
