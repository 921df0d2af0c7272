package dev.baton.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.DynamicConfig;
import dev.baton.config.StandbyCluster;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The health checks of a standby cluster's standby leader, as Patroni answers them. */
class StandbyLeaderRestTest {
    private static final long SECOND = 1_000_000_000L;
    /** As RestApiTest's clock. */
    private static final long NOW = 5_000 * SECOND;
    private static RestApi api;

    private static synchronized RestApi api() throws Exception {
        if (api == null) {
            api = new RestApi("127.0.0.1", 0, () -> null, () -> NOW, "test-1.0", 10);
        }
        return api;
    }

    @AfterAll
    static synchronized void closeApi() {
        if (api != null) {
            api.close();
        }
    }

    private static final DynamicConfig STANDBY = DynamicConfig.defaults()
            .withStandbyCluster(StandbyCluster.of("10.0.0.1", 5432));

    /** node1 holding the lock of a standby cluster, streaming from the remote primary. */
    static RestApiTest.S standbyLeader() {
        RestApiTest.S s = RestApiTest.node().replica(100, 100, true).lock(NOW + 10 * SECOND)
                .cluster(RestApiTest.view(STANDBY, "node1", 100, RestApiTest.member("node1", "standby_leader", 100,
                        Map.of()), RestApiTest.member("node2", "replica", 100, Map.of())));
        s.role = "standby_leader";
        return s;
    }

    private static int code(String path, RestApiTest.S s) throws Exception {
        return api().answer(path, Map.of(), s.build(), NOW).status();
    }

    @Test
    void theStandbyLeaderAnswersStandbyLeaderAndLeaderButNotPrimaryOrReplica() throws Exception {
        assertEquals(200, code("/standby-leader", standbyLeader()));
        assertEquals(200, code("/standby_leader", standbyLeader()));
        assertEquals(200, code("/leader", standbyLeader()), "Patroni: /leader is the lock holder");
        assertEquals(200, code("/read-only", standbyLeader()));
        assertEquals(503, code("/primary", standbyLeader()));
        assertEquals(503, code("/", standbyLeader()));
        assertEquals(503, code("/replica", standbyLeader()), "Patroni: /replica wants the role replica");
        assertEquals(200, code("/health", standbyLeader()));
    }

    @Test
    void withoutTheLockItIsNoStandbyLeader() throws Exception {
        RestApiTest.S s = standbyLeader().lock(NOW - 1);
        assertEquals(503, code("/standby-leader", s));
        assertEquals(503, code("/leader", s));
    }

    @Test
    void clusterShowsTheRoleStandbyLeader() throws Exception {
        String body = RestApi.cluster(standbyLeader().build());
        assertTrue(body.contains("\"role\":\"standby_leader\""), body);
        assertTrue(RestApiTest.body("/patroni", standbyLeader()).path("role").asText().equals("standby_leader"));
    }
}
