package dev.baton.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.VersionedValue;
import dev.baton.leader.model.ClusterView;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What baton list prints below its table about values in etcd that cannot be used (issue 14). */
class ListCommandTest {

    @Test
    void invalidValuesInEtcdAreWarnings() {
        ClusterSnapshot s = new ClusterSnapshot(3, null, new VersionedValue("{\"synchronous_mode\":\"quorum\"}", 1, 2, 0),
                null, Map.of(), new VersionedValue("node1:node2:node3", 1, 4, 0), null, null, null);
        assertEquals("""
                Warning: config.synchronous_mode: "quorum" (Patroni 4's quorum commit) is not supported by Baton; \
                read as true: only a listed synchronous standby may be promoted
                Warning: failover: neither JSON nor Patroni's legacy leader:candidate form: "node1:node2:node3"; \
                never executed, the leader removes it
                """, ListCommand.footer(ClusterView.of(s, DynamicConfig.defaults())));
    }

    @Test
    void aValidClusterHasNoWarning() {
        ClusterSnapshot s = new ClusterSnapshot(3, null, new VersionedValue(DynamicConfig.defaults().toJson(), 1, 2, 0),
                null, Map.of(), null, null, null, null);
        assertEquals("", ListCommand.footer(ClusterView.of(s, DynamicConfig.defaults())));
    }
}
