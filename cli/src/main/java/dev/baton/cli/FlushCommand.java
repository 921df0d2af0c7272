package dev.baton.cli;

import dev.baton.agent.client.AgentClient;
import dev.baton.leader.model.FailoverKey;
import dev.baton.leader.model.FailoverRequest;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "flush", description = {"Cancel a scheduled switchover: baton flush [CLUSTER_NAME] switchover.",
        "patronictl's grammar: flush [CLUSTER_NAME] [MEMBER...] restart|switchover. 'flush restart' sends",
        "DELETE /restart to each member whose key shows a scheduled restart (baton restart --scheduled).",
        "Sends DELETE /switchover to the leader's REST API (when nothing answers there, the failover key",
        "is deleted from etcd by compare-and-set; a refusal, 401, 403 or TLS, is never worked around)."})
public final class FlushCommand extends BaseCommand {
    private static final Duration CANCEL_TIMEOUT = Duration.ofSeconds(30);

    @Mixin
    ClusterOptions cluster;

    @Mixin
    RestClientOptions rest;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "MEMBER... restart|switchover",
            description = "What to flush, last: switchover or restart (members before it, for restart).")
    List<String> words = new ArrayList<>();

    @Option(names = {"-r", "--role"}, defaultValue = "any", paramLabel = "ROLE",
            description = "flush restart: only members with this role (default: ${DEFAULT-VALUE}).")
    String role;

    @Mixin
    ForceOption force;

    @Override
    protected int execute() {
        // The positional words: [CLUSTER_NAME] [MEMBER...] WHAT. picocli gives the first to CLUSTER_NAME;
        // alone, it is WHAT (baton flush switchover).
        List<String> words = new ArrayList<>();
        if (cluster.clusterName != null) {
            words.add(cluster.clusterName);
        }
        words.addAll(this.words);
        if (words.isEmpty()) {
            throw ExitException.badInput("flush: say what to flush: baton flush [CLUSTER_NAME] switchover");
        }
        String what = words.get(words.size() - 1);
        cluster.clusterName = words.size() > 1 ? words.get(0) : null;
        List<String> members = words.size() > 2 ? words.subList(1, words.size() - 1) : List.of();
        if (what.equals("restart")) {
            return flushRestart(members);
        }
        if (!what.equals("switchover")) {
            throw ExitException.badInput("flush: what to flush must be switchover or restart (last), got \"" + what
                    + "\"");
        }
        try (ClusterSession s = cluster.connect(err())) {
            ClusterView view = s.view();
            Optional<FailoverKey> key = view.failoverKey();
            Optional<FailoverRequest> f = view.failover();
            Optional<MemberStatus> leader = view.leaderMember();
            if (leader.isPresent() && leader.get().apiUrl() != null) {
                // Only an agent that is down lets the key be deleted in etcd instead: a refusal (401, 403,
                // TLS) ends here, as a security check must not be bypassed by writing etcd directly.
                Optional<AgentClient.Reply> answer = rest.api(cluster, err()).callUnlessDown(leader.get(), "DELETE",
                        "switchover", CANCEL_TIMEOUT, (c, base) -> c.cancelSwitchover(base, CANCEL_TIMEOUT));
                if (answer.isEmpty()) {
                    if (!deletable(key)) {
                        throw ExitException.failed("cannot reach the leader " + leader.get().name() + "'s REST API at "
                                + AgentApi.base(leader.get()) + ": nothing answers there");
                    }
                    err().println("baton: the leader " + leader.get().name() + "'s REST API does not answer; deleting "
                            + "the failover key in etcd instead");
                    return deleteKey(s, key.get());
                }
                AgentClient.Reply r = answer.get();
                switch (r.status()) {
                    case 200, 204 -> {
                        out().println("Success: " + (r.message().isEmpty() ? "scheduled switchover deleted" : r.message()));
                        return EXIT_OK;
                    }
                    case 404 -> throw ExitException.failed("no switchover is scheduled");
                    case 409 -> throw ExitException.failed("cannot cancel: " + r.message());
                    default -> throw ExitException.failed(AgentApi.unexpected(leader.get(), "DELETE", "switchover", r));
                }
            }
            if (!deletable(key)) {
                throw ExitException.failed("no switchover is scheduled");
            }
            return deleteKey(s, key.get());
        }
    }

    /** DELETE /restart to each chosen member whose key shows a scheduled restart; patronictl's lines. */
    private int flushRestart(List<String> members) {
        MemberSelection selection = new MemberSelection();
        selection.members = new ArrayList<>(members);
        selection.role = role;
        selection.role();
        try (ClusterSession s = cluster.connect(err())) {
            List<MemberStatus> chosen = selection.select(s.view(), s.scope());
            if (chosen.isEmpty()) {
                throw ExitException.failed(selection.none("flush"));
            }
            AgentApi api = null;
            int failed = 0;
            for (MemberStatus m : chosen) {
                if (m.scheduledRestart() == null) {
                    out().println("No scheduled restart for member " + m.name());
                    continue;
                }
                api = api != null ? api : rest.api(cluster, err());
                AgentClient.Reply r = api.call(m, "DELETE", "restart", CANCEL_TIMEOUT,
                        (c, base) -> c.deleteScheduledRestart(base, CANCEL_TIMEOUT));
                if (r.status() >= 400) {
                    out().println("Failed: flush scheduled restart for member " + m.name() + ", status code="
                            + r.status() + ", (" + r.message() + ")");
                    failed++;
                } else {
                    out().println("Success: flush scheduled restart for member " + m.name());
                }
            }
            return failed == 0 ? EXIT_OK : EXIT_FAILED;
        }
    }

    /** A scheduled switchover (one that runs now cannot be cancelled), or an invalid key, never executed. */
    private static boolean deletable(Optional<FailoverKey> key) {
        return key.isPresent() && (key.get() instanceof FailoverKey.Invalid
                || ((FailoverRequest) key.get()).scheduledAt() != null);
    }

    private int deleteKey(ClusterSession s, FailoverKey f) {
        boolean deleted = s.call("delete the failover key", () -> s.store().deleteFailover(f.modRevision()));
        if (!deleted) {
            throw ExitException.failed("the failover key changed meanwhile (the switchover may have started); "
                    + "check with 'baton list'");
        }
        out().println(f instanceof FailoverKey.Invalid i
                ? "Success: invalid failover key removed from etcd (" + i.reason() + ")"
                : "Success: scheduled switchover deleted (failover key removed from etcd)");
        return EXIT_OK;
    }
}
