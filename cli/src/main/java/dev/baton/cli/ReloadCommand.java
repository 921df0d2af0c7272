package dev.baton.cli;

import dev.baton.agent.client.AgentClient;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "reload", description = {"Reload the configuration of members (POST /reload to each)."})
public final class ReloadCommand extends BaseCommand {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Mixin
    ClusterOptions cluster;

    @Mixin
    RestClientOptions rest;

    @Mixin
    MemberSelection selection;

    @Parameters(index = "1..*", paramLabel = "MEMBER", arity = "0..*",
            description = "Members to act on (default: all), after CLUSTER_NAME as in patronictl.")
    void members(List<String> names) {
        selection.members = names;
    }

    @Mixin
    ForceOption force;

    @Override
    protected int execute() {
        selection.role();
        try (ClusterSession s = cluster.connect(err())) {
            ClusterView view = s.view();
            AgentApi api = rest.api(cluster, err());
            List<MemberStatus> order = selection.select(view, s.scope());
            if (order.isEmpty()) {
                throw ExitException.failed(selection.none("reload"));
            }
            confirm("Are you sure you want to reload members " + MemberSelection.names(order) + "?", force.force);
            List<String> failed = new ArrayList<>();
            for (MemberStatus m : order) {
                AgentClient.Reply reply;
                try {
                    reply = api.call(m, "POST", "reload", TIMEOUT, (c, base) -> c.reload(base, TIMEOUT));
                } catch (ExitException e) {
                    err().println("baton: " + e.getMessage());
                    failed.add(m.name());
                    continue;
                }
                if (reply.status() == 200 || reply.status() == 202) {
                    out().println(m.name() + ": " + (reply.message().isEmpty() ? "reload requested" : reply.message()));
                } else {
                    err().println("baton: " + AgentApi.unexpected(m, "POST", "reload", reply));
                    failed.add(m.name());
                }
            }
            if (!failed.isEmpty()) {
                throw ExitException.failed("reload failed on " + String.join(", ", failed));
            }
            return EXIT_OK;
        }
    }
}
