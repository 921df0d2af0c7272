package dev.baton.cli;

import dev.baton.agent.client.AgentClient;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "restart", description = {"Restart PostgreSQL, rolling: the replicas one by one, then the primary.",
        "Sends POST /restart to each member and waits until it runs again before the next.",
        "With --pending, a member restarts only if a changed parameter needs a restart (else: skipped)."})
public final class RestartCommand extends BaseCommand {
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(180);

    @Mixin
    ClusterOptions cluster;

    @Parameters(paramLabel = "MEMBER", arity = "0..*", description = "Members to restart (default: all).")
    List<String> members = new ArrayList<>();

    @Option(names = {"-r", "--role"}, defaultValue = "any", paramLabel = "ROLE",
            description = "Restart only members with this role: primary, replica or any (default: ${DEFAULT-VALUE}).")
    String role;

    @Option(names = {"-p", "--pending"}, description = "Restart only members with a pending restart.")
    boolean pending;

    @Option(names = "--timeout", defaultValue = "120", paramLabel = "SECONDS",
            description = "How long to wait for each member to run again (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--force", description = "Do not ask for a confirmation.")
    boolean force;

    @Override
    protected int execute() throws InterruptedException {
        String r = normaliseRole(role);
        if (timeoutSeconds < 1) {
            throw ExitException.badInput("--timeout: must be at least 1 second, got " + timeoutSeconds);
        }
        try (ClusterSession s = cluster.connect(err())) {
            ClusterView view = s.view();
            List<MemberStatus> order = select(view, s.scope(), members, r);
            if (order.isEmpty()) {
                throw ExitException.failed("no " + (r.equals("any") ? "" : r + " ") + "member to restart"
                        + (members.isEmpty() ? "" : " among " + String.join(", ", members)));
            }
            confirm("Are you sure you want to restart members " + names(order) + "?", force);
            AgentApi api = new AgentApi();
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

    static String normaliseRole(String role) {
        return switch (role.toLowerCase(Locale.ROOT)) {
            case "primary", "leader", "master" -> "primary";
            case "replica" -> "replica";
            case "any" -> "any";
            default -> throw ExitException.badInput("--role: must be primary, replica or any, got \"" + role + "\"");
        };
    }

    /** The named members (or all), filtered by role, replicas first (by name), the leader last. */
    static List<MemberStatus> select(ClusterView view, String scope, List<String> names, String role) {
        Set<String> chosen = new LinkedHashSet<>();
        for (String n : names) {
            chosen.add(ClusterSession.member(view, n, scope).name());
        }
        if (chosen.isEmpty()) {
            chosen.addAll(view.members().keySet());
        }
        List<MemberStatus> replicas = new ArrayList<>();
        MemberStatus leader = null;
        for (MemberStatus m : view.members().values()) {
            if (!chosen.contains(m.name())) {
                continue;
            }
            if (m.name().equals(view.leader())) {
                leader = m;
            } else {
                replicas.add(m);
            }
        }
        List<MemberStatus> order = new ArrayList<>();
        if (!role.equals("primary")) {
            order.addAll(replicas);
        }
        if (leader != null && !role.equals("replica")) {
            order.add(leader);
        }
        return order;
    }

    static String names(List<MemberStatus> ms) {
        return String.join(", ", ms.stream().map(MemberStatus::name).toList());
    }
}
