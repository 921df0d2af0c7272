package dev.baton.cli;

import dev.baton.agent.client.AgentClient;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "reinit", description = {"Wipe a replica's data directory and clone it again from the leader.",
        "patronictl's order: reinit CLUSTER_NAME MEMBER... (the first name is the cluster's).",
        "Sends POST /reinitialize to the member. Refused on the leader, and while the cluster has no leader."})
public final class ReinitCommand extends BaseCommand {
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(150);

    @Mixin
    ClusterOptions cluster;

    @Mixin
    RestClientOptions rest;

    @Parameters(index = "1..*", paramLabel = "MEMBER", arity = "0..*",
            description = "The replica(s) to reinitialize, after CLUSTER_NAME as in patronictl.")
    List<String> members = new ArrayList<>();

    @Option(names = "--wait", description = "Wait until each member runs and streams again.")
    boolean await;

    @Option(names = "--timeout", defaultValue = "3600", paramLabel = "SECONDS",
            description = "With --wait, how long to wait for each member (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--force", description = "Do not ask for a confirmation (and ask the agent to cancel a task "
            + "in progress).")
    boolean force;

    @Override
    protected int execute() throws InterruptedException {
        if (timeoutSeconds < 1) {
            throw ExitException.badInput("--timeout: must be at least 1 second, got " + timeoutSeconds);
        }
        try (ClusterSession s = cluster.connect(err())) {
            if (members.isEmpty()) {
                throw ExitException.badInput("reinit: name the member(s) to reinitialize: baton reinit "
                        + (cluster.clusterName != null ? cluster.clusterName : s.scope()) + " MEMBER...");
            }
            ClusterView view = s.view();
            AgentApi api = rest.api(cluster, err());
            if (!view.hasLeader()) {
                // The agent refuses too (503): the wiped member would have nothing to clone from, and
                // it may be the best candidate to become the next leader.
                throw ExitException.failed("cluster " + s.scope() + " has no leader: reinit wipes the data directory "
                        + "and clones it from the leader, so it is refused until a leader is elected (see baton list)");
            }
            List<MemberStatus> targets = new ArrayList<>();
            for (String name : members) {
                MemberStatus m = ClusterSession.member(view, name, s.scope());
                if (name.equals(view.leader())) {
                    throw ExitException.failed(name + " is the leader of cluster " + s.scope() + ": reinit wipes the "
                            + "data directory and clones it from the leader, so it cannot run on the leader "
                            + "(switch over first)");
                }
                if (!targets.contains(m)) {
                    targets.add(m);
                }
            }
            confirm("Are you sure you want to reinitialize members " + MemberSelection.names(targets)
                    + "? Their data directories are wiped and cloned again.", force);
            for (MemberStatus m : targets) {
                String before = MemberWait.startTime(api, m);
                AgentClient.Reply r = api.call(m, "POST", "reinitialize", REQUEST_TIMEOUT,
                        (c, base) -> c.reinitialize(base, force, REQUEST_TIMEOUT));
                switch (r.status()) {
                    case 200, 202 -> out().println(m.name() + ": " + (r.message().isEmpty() ? "reinitialize started"
                            : r.message()));
                    case 400 -> throw ExitException.badInput(m.name() + " rejected the reinitialize request: " + r.message());
                    case 412, 503 -> throw ExitException.failed("reinitialize of " + m.name() + " refused: "
                            + (r.message().isEmpty() ? "HTTP " + r.status() : r.message()));
                    default -> throw ExitException.failed(AgentApi.unexpected(m, "POST", "reinitialize", r));
                }
                if (await) {
                    out().println("Waiting for " + m.name() + " to run and stream again...");
                    out().flush();
                    if (!MemberWait.awaitRunning(api, m, before, true, Duration.ofSeconds(timeoutSeconds))) {
                        throw ExitException.failed(m.name() + " does not run and stream " + timeoutSeconds
                                + " s after the reinitialize started");
                    }
                    out().println(m.name() + ": running and streaming again");
                }
            }
            return EXIT_OK;
        }
    }
}
