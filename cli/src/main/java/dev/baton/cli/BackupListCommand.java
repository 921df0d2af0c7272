package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.baton.agent.client.AgentClient;
import dev.baton.config.Untrusted;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "list", description = {"List the backups in the cluster's repository, oldest first.",
        "Asks the leader's agent (GET /backups; another member when the leader does not answer). json and yaml:",
        "an array of objects with label, type, start, stop (ISO 8601, UTC), wal_start, wal_stop, size_bytes."})
public final class BackupListCommand extends BaseCommand {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    static final String[] HEAD = {"Label", "Type", "Start", "Stop", "WAL start", "WAL stop", "Size"};

    @Mixin
    ClusterOptions cluster;

    @Mixin
    RestClientOptions rest;

    @Mixin
    TableFormat format;

    @Override
    protected int execute() {
        String f = format.checked();
        try (ClusterSession s = cluster.connect(err())) {
            ClusterView view = s.view();
            AgentApi api = rest.api(cluster, err());
            List<MemberStatus> order = BackupTargets.leaderFirst(view);
            if (order.isEmpty()) {
                throw ExitException.failed("cluster " + s.scope() + " has no member to ask (no member has published its key)");
            }
            List<String> problems = new ArrayList<>();
            for (MemberStatus m : order) {
                Optional<AgentClient.Reply> reply;
                try {
                    reply = api.callUnlessDown(m, "GET", "backups", TIMEOUT, (c, base) -> c.backups(base, TIMEOUT));
                } catch (ExitException e) {
                    problems.add(e.getMessage());
                    continue;
                }
                if (reply.isEmpty()) {
                    problems.add(m.name() + ": nothing answers at " + AgentApi.base(m));
                    continue;
                }
                AgentClient.Reply r = reply.get();
                if (r.status() == 404) {
                    throw ExitException.failed(BackupTargets.NO_REPOSITORY + " on " + m.name());
                }
                JsonNode body = r.json();
                if (r.status() == 200 && body.isArray()) {
                    out().print(f.equals("table") ? table(s.scope(), (ArrayNode) body) : Formats.print(body, f));
                    out().flush();
                    return EXIT_OK;
                }
                problems.add(r.status() == 200 ? m.name() + " answered GET /backups with no JSON array: "
                        + Untrusted.shown(r.body(), 200) : AgentApi.unexpected(m, "GET", "backups", r));
            }
            throw ExitException.failed("no member of cluster " + s.scope() + " could list the backups: "
                    + String.join("; ", problems));
        }
    }

    /** The table of {@code backups} (objects as {@code GET /backups} gives them). */
    static String table(String scope, ArrayNode backups) {
        List<String[]> cells = new ArrayList<>();
        for (JsonNode b : backups) {
            cells.add(new String[] {text(b, "label"), text(b, "type"), text(b, "start"), text(b, "stop"),
                    text(b, "wal_start"), text(b, "wal_stop"),
                    b.path("size_bytes").canConvertToLong() && b.hasNonNull("size_bytes")
                            ? dev.baton.agent.backup.ProgressText.size(b.path("size_bytes").asLong()) : ""});
        }
        String t = Formats.table(" Cluster: " + scope + " backups ", HEAD, cells,
                new boolean[] {false, false, false, false, false, false, true});
        return backups.isEmpty() ? t + "(no backup in the repository yet)\n" : t;
    }

    private static String text(JsonNode n, String field) {
        return n.hasNonNull(field) ? Untrusted.shown(n.get(field).asText(), 80) : "";
    }
}
