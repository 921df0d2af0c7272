package dev.baton.cli;

import dev.baton.agent.client.PatroniStatus;
import dev.baton.cli.support.Poll;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.time.Duration;
import java.util.List;

/** The checks switchover and failover make on the cluster read from etcd before they ask an agent. */
final class Candidates {
    private Candidates() {
    }

    /**
     * The named candidate, checked: a member (else exit 2), not the leader (exit 2), not tagged
     * nofailover (exit 2), running (else exit 1: the cluster's state refuses it, not the input).
     */
    static MemberStatus check(ClusterView view, String name, String scope, String action) {
        MemberStatus m = ClusterSession.member(view, name, scope);
        if (name.equals(view.leader())) {
            throw ExitException.badInput(name + " is already the leader of cluster " + scope + ": a " + action
                    + " to the current leader changes nothing; name another member with --candidate");
        }
        if (m.nofailover()) {
            throw ExitException.badInput(name + " is tagged nofailover and can never become the leader");
        }
        if (!m.isRunning()) {
            throw ExitException.failed(name + " is not running (state: " + m.state() + "): it cannot become the leader");
        }
        if (!view.mayPromote(name)) {
            throw ExitException.failed(name + " is not a synchronous standby and cluster " + scope
                    + " runs with synchronous_mode: it may lack acknowledged commits, so it may not take over "
                    + "(turn synchronous_mode off with edit-config to force it)");
        }
        return m;
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

    /** The members that could take over from the leader: running, not the leader, not tagged nofailover. */
    static List<MemberStatus> eligible(ClusterView view) {
        return view.members().values().stream()
                .filter(m -> !m.name().equals(view.leader()) && m.isRunning() && !m.nofailover())
                .toList();
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
