package dev.baton.cli;

import dev.baton.agent.client.AgentClient;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "restart", description = {"Restart PostgreSQL, rolling: the replicas one by one, then the primary.",
        "Sends POST /restart to each member and waits until it runs again before the next.",
        "With --pending, a member restarts only if a changed parameter needs a restart (else: skipped)."})
public final class RestartCommand extends BaseCommand {
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(180);

    @Mixin
    ClusterOptions cluster;

    @Mixin
    RestClientOptions rest;

    @Mixin
    MemberSelection selection;

    @Option(names = {"-p", "--pending"}, description = "Restart only members with a pending restart.")
    boolean pending;

    @Option(names = "--timeout", defaultValue = "120", paramLabel = "SECONDS",
            description = "How long to wait for each member to run again (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Mixin
    ForceOption force;

    @Override
    protected int execute() throws InterruptedException {
        String r = selection.role();
        if (timeoutSeconds < 1) {
            throw ExitException.badInput("--timeout: must be at least 1 second, got " + timeoutSeconds);
        }
        try (ClusterSession s = cluster.connect(err())) {
            ClusterView view = s.view();
            AgentApi api = rest.api(cluster, err());
            List<MemberStatus> order = selection.select(view, s.scope());
            if (order.isEmpty()) {
                throw ExitException.failed(selection.none("restart"));
            }
            confirm("Are you sure you want to restart members " + MemberSelection.names(order) + "?", force.force);
            int restarted = 0;
            int skipped = 0;
            for (MemberStatus m : order) {
                String before = MemberWait.startTime(api, m);
                String onlyRole = r.equals("any") ? null : r;
                AgentClient.Reply reply = api.call(m, "POST", "restart", REQUEST_TIMEOUT,
                        (c, base) -> c.restart(base, pending, onlyRole, REQUEST_TIMEOUT));
                switch (reply.status()) {
                    case 200, 202 -> {
                        out().println(m.name() + ": " + (reply.message().isEmpty() ? "restarted" : reply.message()));
                        if (!MemberWait.awaitRunning(api, m, before, false, Duration.ofSeconds(timeoutSeconds))) {
                            throw ExitException.failed(m.name() + " does not show state running " + timeoutSeconds
                                    + " s after its restart; stopping the rolling restart here");
                        }
                        restarted++;
                    }
                    case 412 -> {
                        out().println(m.name() + ": skipped (" + (reply.message().isEmpty()
                                ? "restart conditions are not satisfied" : reply.message()) + ")");
                        skipped++;
                    }
                    case 400 -> throw ExitException.badInput(m.name() + " rejected the restart request: " + reply.message());
                    case 503 -> throw ExitException.failed("restart of " + m.name() + " failed: "
                            + (reply.message().isEmpty() ? "HTTP 503" : reply.message())
                            + "; stopping the rolling restart here");
                    default -> throw ExitException.failed(AgentApi.unexpected(m, "POST", "restart", reply));
                }
            }
            out().println("Restarted " + restarted + " member(s)" + (skipped > 0 ? ", skipped " + skipped : "") + ".");
            return EXIT_OK;
        }
    }
}
