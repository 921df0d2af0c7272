package dev.baton.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.agent.ha.NodeStates;
import dev.baton.agent.postgres.DataDirInfo;
import dev.baton.agent.postgres.LocalPostgres;
import dev.baton.agent.postgres.Lsn;
import dev.baton.agent.postgres.PgBinaries;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.agent.postgres.PostgresController.StopMode;
import dev.baton.agent.process.SystemProcessRunner;
import dev.baton.config.Authentication;
import dev.baton.config.BatonConfig;
import dev.baton.config.BootstrapConfig;
import dev.baton.config.Credentials;
import dev.baton.config.DynamicConfig;
import dev.baton.config.PostgresConfig;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /fence}'s action against a real PostgreSQL primary on a free port: a fast stop, and
 * the LSN it answers is the shutdown checkpoint pg_controldata reads, past the write position read
 * before. Runs as an unprivileged user (PostgreSQL refuses root).
 */
class FenceActionIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    @Test
    void aRealPrimaryIsStoppedFastAndAnswersItsShutdownCheckpoint() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        PostgresConfig pgc = new PostgresConfig("127.0.0.1:" + port, null, tmp.resolve("data"), null,
                tmp.resolve("pgpass"), new Authentication(new Credentials("postgres", "su-pw"),
                        new Credentials("replicator", "rep-pw")), Map.of(), List.of(), null, false, null);
        BatonConfig config = new BatonConfig("demo", null, "node1", null, null,
                new BootstrapConfig(DynamicConfig.defaults(), List.of(), List.of()), pgc, null, null, null, null, null);
        LocalPostgres pg = new LocalPostgres(config, PgBinaries.locate(null), new SystemProcessRunner());
        try {
            pg.initdb();
            pg.configure(false, null, DynamicConfig.defaults());
            pg.start(TIMEOUT);
            PgStatus before = pg.status();
            assertTrue(before.runningAsPrimary(), before.toString());

            FenceAction fence = new FenceAction("node1", FenceAction.Postgres.of(pg),
                    () -> NodeStates.node("node1").build(), System::nanoTime);
            RestApi.Answer a = fence.fence(new RestRequests.Fence("node2", Duration.ofSeconds(30)));
            assertEquals(200, a.status(), a::toString);
            JsonNode n = new ObjectMapper().readTree(a.body());
            assertEquals("stopped", n.get("state").asText());
            assertEquals("fast", n.get("mode").asText());
            assertFalse(pg.isRunning());
            DataDirInfo after = pg.inspectDataDir();
            assertEquals("shut down", after.clusterState());
            long lsn = Lsn.parse(n.get("lsn").asText());
            assertEquals(after.checkpointLsn(), lsn, a::toString);
            assertTrue(lsn >= before.writeLsn(), a + " vs " + Lsn.format(before.writeLsn()));

            assertEquals("{\"fenced\":true,\"state\":\"not running\"}",
                    fence.fence(new RestRequests.Fence("node2", Duration.ofSeconds(5))).body());
        } finally {
            if (pg.isRunning()) {
                pg.stop(StopMode.IMMEDIATE, TIMEOUT);
            }
            pg.close();
        }
    }
}
