package dev.baton.cli;

import dev.baton.agent.client.PatroniStatus;
import dev.baton.cli.support.Poll;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Takeover;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The checks switchover and failover make on the cluster read from etcd before they ask an agent. */
final class Candidates {
    private Candidates() {
    }

    /**
     * The named candidate, checked with the one takeover rule the agents apply ({@link Takeover}):
     * not a member, the leader already, or tagged nofailover is bad input (exit 2); not running,
     * running as a primary, or not synchronous in synchronous mode is the cluster's state refusing
     * it (exit 1).
     */
    static MemberStatus check(ClusterView view, String name, String scope, String action) {
        MemberStatus m = ClusterSession.member(view, name, scope);
        Optional<Takeover.Problem> problem = Takeover.check(view, name, true);
        if (problem.isEmpty()) {
            return m;
        }
        throw switch (problem.get()) {
            case NOT_A_MEMBER -> new IllegalStateException("checked above");
            case ALREADY_LEADER -> ExitException.badInput(name + " is already the leader of cluster " + scope + ": a "
                    + action + " to the current leader changes nothing; name another member with --candidate");
            case NOFAILOVER -> ExitException.badInput(name + " is tagged nofailover and can never become the leader");
            case NOT_RUNNING -> ExitException.failed(name + " is not running (state: " + m.state()
                    + "): it cannot become the leader");
            case RUNNING_AS_PRIMARY -> ExitException.failed(name + " runs as a primary beside the leader: it cannot "
                    + "take over");
            case NOT_SYNCHRONOUS -> ExitException.failed(name + " is not a synchronous standby and cluster " + scope
                    + " runs with synchronous_mode: it may lack acknowledged commits, so it may not take over "
                    + "(turn synchronous_mode off with edit-config to force it)");
        };
    }

    /** True when the member says, on its REST API, that it runs and streams from the leader. */
    static boolean streaming(AgentApi api, MemberStatus m) {
        if (m.apiUrl() == null) {
            return false;
        }
        return api.status(m).map(PatroniStatus::streaming).orElse(false);
    }

    /**
     * The etcd member keys lag the truth by up to a loop: before a switchover, ask the candidate
     * itself. Exit 1 unless it runs and streams from the leader.
     */
    static void requireStreaming(AgentApi api, MemberStatus m) {
        if (m.apiUrl() == null) {
            throw ExitException.failed(m.name() + " publishes no api_url: cannot check that it streams");
        }
        var s = api.status(m).orElseThrow(() -> ExitException.failed(m.name() + " does not answer on its REST API "
                + AgentApi.base(m) + ": cannot check that it is ready to take over"));
        if (!s.streaming()) {
            throw ExitException.failed(m.name() + " is not streaming from the leader right now (state " + s.state()
                    + ", replication " + (s.replicationState() == null ? "none" : s.replicationState())
                    + "): it may lack WAL; wait until it streams, or pick another "
                    + "candidate");
        }
    }

    /** The members that may take over from the leader, by the agents' own rule ({@link Takeover}). */
    static List<MemberStatus> eligible(ClusterView view) {
        return view.members().values().stream().filter(m -> Takeover.check(view, m.name(), true).isEmpty()).toList();
    }

    /** Re-reads until the leader key names someone else than {@code oldLeader} (bounded), so the table shows the result. */
    static ClusterView awaitNewLeader(ClusterSession s, String oldLeader, Duration max) {
        try {
            return Poll.system().until(max, Duration.ofMillis(250), s::view,
                    v -> v.leader() != null && !v.leader().equals(oldLeader));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return s.view();
        }
    }
}
