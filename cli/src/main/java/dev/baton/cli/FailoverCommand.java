package dev.baton.cli;

import dev.baton.agent.client.AgentClient;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "failover", description = {"Promote a member by hand, when there is no healthy leader.",
        "Sends POST /failover to the leader's REST API, or to the candidate's when the cluster has no leader.",
        "Replication is asynchronous: the candidate may lack writes the old leader acknowledged.",
        "With a healthy leader, prefer 'baton switchover' (no acknowledged write is lost)."})
public final class FailoverCommand extends BaseCommand {

    @Mixin
    ClusterOptions cluster;

    @Mixin
    RestClientOptions rest;

    @Option(names = "--candidate", paramLabel = "NAME",
            description = "The member to promote (asked for when left out on a terminal).")
    String candidate;

    @Option(names = {"--leader", "--primary", "--master"}, paramLabel = "NAME",
            description = "The current leader (checked against the leader key; optional).")
    String leader;

    @Mixin
    ForceOption force;

    @Override
    protected int execute() {
        try (ClusterSession s = cluster.connect(err())) {
            ClusterView view = s.view();
            String scope = s.scope();
            AgentApi api = rest.api(cluster, err());
            String current = view.leader();
            if (leader != null && !leader.equals(current)) {
                ClusterSession.member(view, leader, scope);
                throw ExitException.badInput(leader + " is not the leader of cluster " + scope
                        + (current == null ? " (it has none)" : " (the leader is " + current + ")"));
            }
            if (candidate == null) {
                candidate = askCandidate(view, scope);
            }
            MemberStatus target = Candidates.check(view, candidate, scope, "failover");
            MemberStatus to = target;
            if (current != null) {
                to = view.leaderMember().orElse(target);
            }
            if (!view.dynamic().synchronousMode()) {
                err().println("Warning: replication is asynchronous: " + candidate + " may lack writes that "
                        + (current == null ? "the last leader" : current) + " acknowledged, and a failover does not wait "
                        + "for them." + (current != null ? " The cluster has a leader: 'baton switchover' loses nothing." : ""));
            }
            confirm("Are you sure you want to failover cluster " + scope
                    + (current == null ? "" : ", demoting current leader " + current) + "?", force.force);
            AgentClient.Reply r = api.call(to, "POST", "failover", SwitchoverCommand.TIMEOUT,
                    (c, base) -> c.failover(base, null, candidate, SwitchoverCommand.TIMEOUT));
            int code = switch (r.status()) {
                case 200, 202 -> EXIT_OK;
                case 400 -> EXIT_BAD_INPUT;
                case 409, 412, 503 -> EXIT_FAILED;
                default -> throw ExitException.failed(AgentApi.unexpected(to, "POST", "failover", r));
            };
            if (code == EXIT_OK) {
                out().println(r.message().isEmpty() ? "Failed over to " + candidate : r.message());
            } else {
                String verdict = r.status() == 412 || r.status() == 409 ? "refused" : r.status() == 400 ? "rejected"
                        : "failed";
                err().println("baton: failover " + verdict + ": " + (r.message().isEmpty() ? "HTTP " + r.status()
                        : r.message()));
            }
            ClusterView after = code == EXIT_OK ? Candidates.awaitNewLeader(s, current, Duration.ofSeconds(10)) : s.view();
            out().print(ListCommand.table(scope, after, ListCommand.rows(scope, after)));
            return code;
        }
    }

    /** patronictl asks for the candidate when none is given; without a terminal (or with --force), exit 2. */
    private String askCandidate(ClusterView view, String scope) {
        String names = String.join(", ", Candidates.eligible(view).stream().map(MemberStatus::name).sorted().toList());
        if (force.force || !input().interactive()) {
            throw ExitException.badInput("failover needs --candidate NAME, the member to promote"
                    + (names.isEmpty() ? "" : " (candidates: " + names + ")"));
        }
        String answer = ask("Candidate [" + names + "]: ");
        if (answer == null || answer.isBlank()) {
            throw ExitException.failed("aborted: no candidate given, nothing was changed");
        }
        return answer.strip();
    }
}
