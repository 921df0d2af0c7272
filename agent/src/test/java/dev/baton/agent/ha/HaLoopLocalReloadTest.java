package dev.baton.agent.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.BatonConfig;
import dev.baton.config.ConfigLoader;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A local configuration reload between cycles: the next cycle reads the new tags, once, and publishes them. */
class HaLoopLocalReloadTest {

    private static BatonConfig withTags(LoopHarness h, String tags) {
        // The harness's configuration with other tags (what a ReloadPlan merge yields).
        String yaml = """
                scope: demo
                name: node2
                restapi: {listen: 0.0.0.0:8008, connect_address: 10.0.0.2:8008}
                etcd3: {host: 127.0.0.1:2379}
                postgresql: {listen: '*:5432', connect_address: 10.0.0.2:5432, data_dir: /var/lib/pg/data}
                """ + tags;
        var r = new ConfigLoader(Map.of()).loadString(yaml);
        assertTrue(r.ok(), r.errors()::toString);
        assertEquals(h.config.name(), r.config().name());
        return r.config();
    }

    @Test
    void theNextCyclePublishesReloadedTagsInTheMemberKeyAndTheRestApi() {
        LoopHarness h = new LoopHarness("tags: {rack: r1}\n").initialized().replicaData("10.0.0.1:5432");
        h.member("node1").lead();
        CurrentConfig current = new CurrentConfig(h.config);
        h.loop.follow(current);
        h.cycle();
        h.runActions();
        h.cycle();
        assertEquals("r1", h.myKey().tags().get("rack"));

        current.set(withTags(h, "tags: {rack: r2, nosync: true}\n"));
        h.cycle();
        assertEquals("r2", h.myKey().tags().get("rack"));
        assertEquals(true, h.myKey().tags().get("nosync"));
        assertEquals("r2", h.state().me().tags().get("rack"), "/patroni shows the reloaded tags");
    }

    @Test
    void aReplicaTaggedNofailoverByAReloadNoLongerTakesOver() {
        LoopHarness h = HaLoopTagsTest.leaderless("");
        CurrentConfig current = new CurrentConfig(h.config);
        h.loop.follow(current);
        current.set(withTags(h, "tags: {nofailover: true}\n"));
        assertEquals("no action: the cluster has no leader and I am tagged nofailover", h.cycle());
    }
}
