package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.VersionedValue;
import dev.baton.leader.model.ClusterView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The last good config key is kept across cycles, and each problem is logged once, not every cycle. */
class ClusterReaderTest {
    private final List<String> logged = new ArrayList<>();
    private final Logger logger = Logger.getLogger(ClusterReader.class.getName());
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            logged.add(r.getLevel() + " " + r.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    ClusterReaderTest() {
        logger.addHandler(handler);
    }

    @AfterEach
    void detach() {
        logger.removeHandler(handler);
    }

    private static ClusterSnapshot config(String json, String failover) {
        return new ClusterSnapshot(1, null, new VersionedValue(json, 1, 2, 0), null, Map.of(),
                failover == null ? null : new VersionedValue(failover, 1, 3, 0), null, null, null);
    }

    @Test
    void theLastGoodKeyStandsInAndEachProblemIsLoggedOnce() {
        ClusterReader reader = new ClusterReader(DynamicConfig.defaults());
        ClusterView good = reader.read(config("{\"ttl\": 30, \"loop_wait\": 10, \"retry_timeout\": 10, \"pause\": true}",
                null));
        assertEquals(List.of(), logged);
        for (int cycle = 0; cycle < 3; cycle++) {
            ClusterView v = reader.read(config("{\"ttl\": \"x\", \"pause\": 7}", "garbage{"));
            assertEquals(30, v.dynamic().ttl());
            assertTrue(v.dynamic().pause());
        }
        assertEquals(3, logged.size(), logged.toString());
        assertTrue(logged.get(0).startsWith("SEVERE invalid value in the etcd config key, not applied: config.ttl"),
                logged.get(0));
        assertTrue(logged.get(2).startsWith("WARNING invalid value in etcd: failover: "), logged.get(2));
        reader.read(config(good.dynamic().toJson(), null));
        assertEquals("INFO the etcd config key is valid again", logged.get(3));
        assertEquals(4, logged.size());
    }

    @Test
    void settingsBatonDoesNotActOnAreLoggedOncePerRevisionOfTheKey() {
        ClusterReader reader = new ClusterReader(DynamicConfig.defaults());
        for (int cycle = 0; cycle < 3; cycle++) {
            reader.read(config("{\"ttl\": 30, \"check_timeline\": true, \"no_such_key\": 1}", null));
        }
        assertEquals(1, logged.size(), logged.toString());
        assertTrue(logged.get(0).startsWith("INFO the etcd config key has settings Baton does not act on: "), logged.get(0));
        assertTrue(logged.get(0).contains("check_timeline") && logged.get(0).contains("no_such_key"), logged.get(0));
    }
}
