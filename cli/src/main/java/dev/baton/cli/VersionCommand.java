package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.agent.client.AgentClient;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "version", description = {"Print Baton's version; with CLUSTER_NAME, also each member's.",
        "As patronictl version [CLUSTER_NAME] [MEMBER...]: each member's agent and PostgreSQL version, from",
        "its REST API (GET /patroni)."})
public final class VersionCommand extends BaseCommand {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @Mixin
    ClusterOptions cluster;

    @Mixin
    RestClientOptions rest;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "MEMBER", description = "Only these members.")
    List<String> members = new ArrayList<>();

    @Override
    protected int execute() {
        out().println("baton " + Version.get());
        if (cluster.clusterName == null) {
            return EXIT_OK;
        }
        out().println();
        try (ClusterSession s = cluster.connect(err())) {
            ClusterView view = s.view();
            AgentApi api = rest.api(cluster, err());
            for (String n : members) {
                ClusterSession.member(view, n, s.scope());
            }
            for (MemberStatus m : view.members().values()) {
                if (m.apiUrl() == null || (!members.isEmpty() && !members.contains(m.name()))) {
                    continue;
                }
                try {
                    AgentClient.Reply r = api.call(m, "GET", "patroni", TIMEOUT, (c, base) -> c.get(base, "/patroni",
                            TIMEOUT));
                    out().println(m.name() + ": " + line(r.json()));
                } catch (ExitException e) {
                    out().println(m.name() + ": failed to get version: " + e.getMessage());
                }
            }
        }
        return EXIT_OK;
    }

    /** patronictl's "Patroni 3.0.2 PostgreSQL 15.4"; a Baton agent reports its own name and version. */
    static String line(JsonNode patroni) {
        JsonNode p = patroni.path("patroni");
        String name = patroni.has("baton") ? "Baton" : "Patroni";
        String version = p.path("version").asText("unknown");
        JsonNode pg = patroni.get("server_version");
        return name + " " + version + (pg != null && pg.canConvertToInt() && pg.intValue() > 0
                ? " PostgreSQL " + PgVersion.format(pg.intValue()) : "");
    }
}
