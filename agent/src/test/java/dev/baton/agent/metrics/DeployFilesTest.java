package dev.baton.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.agent.ha.NodeState;
import dev.baton.agent.ha.NodeStates;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.model.Role;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The dashboard, the alerts and docs/observability.md use only metric names the agent serves, and
 * the documentation lists every one of them.
 */
class DeployFilesTest {
    private static final Pattern METRIC = Pattern.compile("\\b(?:baton|patroni)_[a-z0-9_]+");

    /** Every sample name an agent can serve (a primary with a replica, a replica, etcd requests). */
    static Set<String> served() {
        AtomicReference<NodeState> state = new AtomicReference<>();
        AgentMetrics m = new AgentMetrics("demo", "node1", "0.1.0", System::nanoTime, Clock.systemUTC());
        m.watch(state::get);
        ClusterStore fake = (ClusterStore) Proxy.newProxyInstance(DeployFilesTest.class.getClassLoader(),
                new Class<?>[] {ClusterStore.class}, (p, method, args) ->
                        method.getReturnType() == ClusterSnapshot.class ? ClusterSnapshot.empty() : null);
        new InstrumentedClusterStore(fake, m.registry(), "demo", "node1").read();
        m.cycleFinished(1, "x");
        dev.baton.agent.routing.RoutingMetrics routing = new dev.baton.agent.routing.RoutingMetrics(m.registry(), "demo",
                "node1");
        routing.change("register", "ok");
        routing.apiCall("register_targets", "ok");
        routing.latency(1_000_000);
        m.started(Role.REPLICA);
        m.stopped(Role.REPLICA);
        m.fencedBeforePromotion("fenced");
        dev.baton.agent.backup.BackupRepository repo = (dev.baton.agent.backup.BackupRepository) Proxy.newProxyInstance(
                DeployFilesTest.class.getClassLoader(), new Class<?>[] {dev.baton.agent.backup.BackupRepository.class},
                (p, method, args) -> method.getName().equals("backup")
                        ? new dev.baton.agent.backup.BackupInfo("L", dev.baton.agent.backup.BackupType.FULL,
                                java.time.Instant.now(), java.time.Instant.now(), "a", "b", 1, 1, null, null)
                        : method.getReturnType() == List.class ? List.of() : null);
        dev.baton.agent.backup.BackupRunner runner = new dev.baton.agent.backup.BackupRunner(repo, Clock.systemUTC(),
                Runnable::run);
        runner.run(dev.baton.agent.backup.BackupType.FULL, "test");
        java.time.Instant t = java.time.Instant.now();
        m.watchBackups(runner, () -> new dev.baton.agent.postgres.ArchiverStats(1, "w", t, 1, "w", t));
        Set<String> names = new TreeSet<>();
        long now = System.nanoTime();
        PgStatus primary = new PgStatus(true, false, 1, 100, 0, 0, null, false, false, null, 0, null, 150000,
                List.of(new PgStatus.Replica("node2", "127.0.0.1", "streaming", "async", 100, 90, 80, 0.5)));
        PgStatus replica = new PgStatus(true, true, 1, 0, 100, 90, "2025-06-01 12:00:00+00", false, true, "h", 5432,
                null, 150000, List.of());
        ClusterSnapshot snapshot = new ClusterSnapshot(1, null, null, null, java.util.Map.of(), null, null, null,
                new dev.baton.leader.VersionedValue("{\"optime\":100}", 1, 1, 0));
        dev.baton.leader.model.ClusterView view = dev.baton.leader.model.ClusterView.of(snapshot,
                dev.baton.config.DynamicConfig.defaults());
        for (PgStatus pg : List.of(primary, replica)) {
            state.set(NodeStates.node("node1").role(Role.PRIMARY).pg(pg).lock("node1", now + 5_000_000_000L).sentence("x")
                    .cluster(view).lastCycle(now).dcsSeen(1).build());
            Exposition.parse(m.scrape()).samples().forEach(s -> names.add(s.name()));
        }
        return names;
    }

    private static Set<String> referenced(String text) {
        Set<String> out = new TreeSet<>();
        Matcher x = METRIC.matcher(text);
        while (x.find()) {
            out.add(x.group());
        }
        return out;
    }

    private static String read(String relative) throws Exception {
        return Files.readString(PromtoolIT.repoRoot().resolve(relative));
    }

    /** Served names plus the family name of each histogram ({@code x} for {@code x_bucket}). */
    static Set<String> servedFamilies() {
        Set<String> out = new TreeSet<>();
        for (String name : served()) {
            out.add(name);
            out.add(name.replaceAll("_(bucket|count|sum)$", ""));
        }
        return out;
    }

    @Test
    void theDashboardAndTheAlertsUseServedNames() throws Exception {
        Set<String> served = servedFamilies();
        for (String file : List.of("deploy/grafana/baton.json", "deploy/prometheus/alerts.yml")) {
            Set<String> unknown = new TreeSet<>(referenced(read(file)));
            unknown.removeAll(served);
            assertEquals(Set.of(), unknown, file + " refers to metrics no agent serves");
        }
    }

    @Test
    void theDashboardIsWellFormed() throws Exception {
        JsonNode d = new ObjectMapper().readTree(read("deploy/grafana/baton.json"));
        assertEquals("baton-cluster", d.path("uid").asText());
        Set<Integer> ids = new HashSet<>();
        for (JsonNode p : d.path("panels")) {
            assertTrue(ids.add(p.path("id").asInt()), "unique panel id " + p.path("id"));
            JsonNode g = p.path("gridPos");
            assertTrue(g.path("x").asInt() + g.path("w").asInt() <= 24, p.path("title") + " fits in 24 columns");
            if (!"row".equals(p.path("type").asText())) {
                assertEquals("${datasource}", p.path("datasource").path("uid").asText(), p.path("title").asText());
                assertFalse(p.path("targets").isEmpty(), p.path("title") + " has queries");
                for (JsonNode t : p.path("targets")) {
                    assertTrue(t.path("expr").asText().contains("scope=\"$scope\""), p.path("title") + ": " + t.path("expr"));
                }
            }
        }
        assertTrue(d.path("annotations").path("list").toString().contains("baton_promotions_total"),
                "failover annotations from the promotions counter");
    }

    @Test
    void theDocumentationListsEveryServedMetric() throws Exception {
        Set<String> documented = referenced(read("docs/observability.md"));
        Set<String> missing = new TreeSet<>();
        for (String name : served()) {
            String family = name.replaceAll("_(bucket|count|sum)$", "");
            if (!documented.contains(family) && !documented.contains(name)) {
                missing.add(name);
            }
        }
        assertEquals(Set.of(), missing, "docs/observability.md does not mention these metrics");
        Set<String> stale = new TreeSet<>(documented);
        stale.removeAll(servedFamilies());
        assertEquals(Set.of(), stale, "docs/observability.md mentions metrics no agent serves");
    }
}
