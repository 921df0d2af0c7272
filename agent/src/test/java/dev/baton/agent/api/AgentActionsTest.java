package dev.baton.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.ha.OperatorPolicy;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.testing.InMemoryCluster;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The operator actions' preconditions, over the in-memory store and a fake of the loop's actions. */
class AgentActionsTest {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final InMemoryCluster etcd = new InMemoryCluster("demo", nanos::get);

    /** Counts the wipes it was asked for. */
    private static final class FakeOperator implements AgentActions.Operator {
        final AtomicInteger reinitialized = new AtomicInteger();
        final AtomicInteger forced = new AtomicInteger();
        final AtomicInteger reloaded = new AtomicInteger();

        @Override
        public OperatorPolicy.Result restart(String role, boolean pendingOnly, Duration timeout) {
            return new OperatorPolicy.Result(200, "restarted successfully");
        }

        @Override
        public OperatorPolicy.Result reload() {
            reloaded.incrementAndGet();
            return new OperatorPolicy.Result(202, "reload scheduled");
        }

        @Override
        public OperatorPolicy.Result reinitialize() {
            reinitialized.incrementAndGet();
            return new OperatorPolicy.Result(200, "reinitialize started");
        }

        @Override
        public OperatorPolicy.Result reinitialize(boolean force) {
            if (force) {
                forced.incrementAndGet();
            }
            return reinitialize();
        }
    }

    private final FakeOperator operator = new FakeOperator();

    private AgentActions actionsOf(String member) {
        return new AgentActions(operator, etcd.store(member, 10), nanos::get, DynamicConfig.defaults(),
                Duration.ofSeconds(30));
    }

    private static RestApi.Answer post(AgentActions a, String path) {
        return a.act("POST", path, Map.of(), "{\"force\":false}");
    }

    @Test
    void reinitializeIsRefusedWhileTheClusterHasNoLeader() {
        AgentActions node2 = actionsOf("node2");
        RestApi.Answer a = post(node2, "/reinitialize");
        assertEquals(503, a.status());
        assertEquals("Cluster has no leader, can not reinitialize", a.body());
        assertEquals(0, operator.reinitialized.get(), "nothing was wiped");
    }

    @Test
    void reinitializeGoesAheadWithALeaderAndIsRefusedAgainOnceItsKeyIsGone() {
        var leader = etcd.store("node1", 10);
        assertTrue(leader.tryAcquireLeader());
        AgentActions node2 = actionsOf("node2");
        RestApi.Answer ok = post(node2, "/reinitialize");
        assertEquals(200, ok.status(), ok::toString);
        assertEquals(1, operator.reinitialized.get());

        // The leader dies: its lease ends with its key, and the very next request is refused.
        etcd.expireLease(etcd.leaderLease());
        RestApi.Answer refused = post(node2, "/reinitialize");
        assertEquals(503, refused.status());
        assertEquals("Cluster has no leader, can not reinitialize", refused.body());
        assertEquals(1, operator.reinitialized.get(), "no second wipe");
    }

    @Test
    void reinitializeIsRefusedWhenTheStoreCannotSayWhoLeads() {
        assertTrue(etcd.store("node1", 10).tryAcquireLeader());
        etcd.down(true);
        RestApi.Answer a = post(actionsOf("node2"), "/reinitialize");
        assertEquals(503, a.status());
        assertTrue(a.body().startsWith("the cluster store is not accessible"), a::toString);
        assertEquals(0, operator.reinitialized.get());
    }

    @Test
    void reloadAndRestartDoNotNeedALeader() {
        AgentActions node2 = actionsOf("node2");
        assertEquals(202, post(node2, "/reload").status());
        assertEquals(200, node2.act("POST", "/restart", Map.of(), "{}").status());
        assertEquals(400, post(node2, "/restart").status(), "as in Patroni, force is not a restart filter");
    }

    @Test
    void aReloadAlsoRunsTheHookAndOnlyAReload() {
        AtomicInteger tlsReloads = new AtomicInteger();
        AgentActions.Operator op = AgentActions.Operator.reloading(operator, tlsReloads::incrementAndGet);
        AgentActions a = new AgentActions(op, etcd.store("node1", 10), nanos::get, DynamicConfig.defaults(),
                Duration.ofSeconds(30));
        assertEquals(202, post(a, "/reload").status());
        assertEquals(1, tlsReloads.get());
        assertEquals(200, a.act("POST", "/restart", Map.of(), "{}").status());
        assertEquals(1, tlsReloads.get());
    }

    @Test
    void reinitializeWithForceAsksTheLoopToCancelWhatRunsAndABadForceIs400() {
        assertTrue(etcd.store("node1", 10).tryAcquireLeader());
        AgentActions node2 = actionsOf("node2");
        assertEquals(200, node2.act("POST", "/reinitialize", Map.of(), "{\"force\": true}").status());
        assertEquals(1, operator.forced.get());
        assertEquals(200, node2.act("POST", "/reinitialize", Map.of(), "").status(), "no body: no force");
        assertEquals(1, operator.forced.get());
        RestApi.Answer bad = node2.act("POST", "/reinitialize", Map.of(), "{\"force\": \"yes\"}");
        assertEquals(400, bad.status());
        assertEquals("force must be true or false; got \"yes\"", bad.body());
        assertEquals(2, operator.reinitialized.get(), "the bad request wiped nothing");
    }

    @Test
    void aReloadWhoseConfigurationDoesNotValidateAnswersTheErrorAndReloadsNothing() {
        AgentActions.Operator op = AgentActions.Operator.reloading(operator,
                () -> new OperatorPolicy.Result(500, "invalid configuration in /etc/baton.yml, nothing changed: "
                        + "postgresql.parameters.work_mem: bad"));
        AgentActions a = new AgentActions(op, etcd.store("node1", 10), nanos::get, DynamicConfig.defaults(),
                Duration.ofSeconds(30));
        RestApi.Answer r = post(a, "/reload");
        assertEquals(500, r.status());
        assertTrue(r.body().contains("postgresql.parameters.work_mem"), r::toString);
        assertEquals(0, operator.reloaded.get(), "postgres was not reloaded");
    }

    private void member(String name, String role) {
        etcd.put("members/" + name, "{\"conn_url\":\"postgres://127.0.0.1:5432/postgres\",\"api_url\":"
                + "\"http://127.0.0.1:8008/patroni\",\"state\":\"running\",\"role\":\"" + role
                + "\",\"xlog_location\":100,\"timeline\":1}");
    }

    @Test
    void switchoverAndFailoverAnswersAsPatroni() {
        assertTrue(etcd.store("node1", 10).tryAcquireLeader());
        member("node1", "primary");
        AgentActions node1 = actionsOf("node1");
        RestApi.Answer alone = node1.act("POST", "/switchover", Map.of(), "{\"leader\":\"node1\"}");
        assertEquals(412, alone.status());
        assertEquals("switchover is not possible: cluster does not have members except leader", alone.body());
        RestApi.Answer noCandidate = node1.act("POST", "/failover", Map.of(), "{\"foo\":\"bar\"}");
        assertEquals(400, noCandidate.status());
        assertEquals("Failover could be performed only to a specific candidate", noCandidate.body());

        member("node2", "replica");
        etcd.put("config", "{\"pause\":true}");
        RestApi.Answer paused = node1.act("POST", "/switchover", Map.of(), "{\"leader\":\"node1\"}");
        assertEquals(400, paused.status());
        assertEquals("Switchover is possible only to a specific candidate in a paused state", paused.body());
        RestApi.Answer scheduled = node1.act("POST", "/switchover", Map.of(), "{\"leader\":\"node1\","
                + "\"candidate\":\"node2\",\"scheduled_at\":\"2099-01-01T00:00:00+00:00\"}");
        assertEquals(400, scheduled.status());
        assertEquals("Can't schedule switchover in the paused state", scheduled.body());
        assertTrue(etcd.value("failover").isEmpty(), "nothing was written");
    }
}
