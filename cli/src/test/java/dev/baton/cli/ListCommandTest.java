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
        ClusterSnapshot s = new ClusterSnapshot(3, null, new VersionedValue("{\"synchronous_mode\":\"maybe\"}", 1, 2, 0),
                null, Map.of(), new VersionedValue("node1:node2:node3", 1, 4, 0), null, null, null);
        assertEquals("""
                Warning: config.synchronous_mode: must be a boolean (true or false), got "maybe"; read as true
                Warning: failover: neither JSON nor Patroni's legacy leader:candidate form: "node1:node2:node3"; \
                never executed, the leader removes it
                """, ListCommand.footer(ClusterView.of(s, DynamicConfig.defaults())));
    }

    @Test
    void aVoterIsAQuorumStandby() throws Exception {
        String sync = "{\"leader\":\"node1\",\"sync_standby\":\"node2\",\"quorum\":0}";
        for (boolean quorum : new boolean[] {true, false}) {
            DynamicConfig d = DynamicConfig.fromJson("{\"synchronous_mode\":" + (quorum ? "\"quorum\"" : "true") + "}");
            ClusterSnapshot s = new ClusterSnapshot(3, null, new VersionedValue(d.toJson(), 1, 2, 0), null, Map.of(),
                    null, new VersionedValue(sync, 1, 5, 0), null, null);
            ClusterView view = new ClusterView(null, "node1", 1, Map.of(), d, true, 0, s);
            dev.baton.leader.model.MemberStatus m = dev.baton.leader.model.MemberStatus.parse("node2",
                    "{\"state\":\"running\",\"role\":\"replica\"}");
            assertEquals(quorum ? "Quorum Standby" : "Sync Standby", ListCommand.row("demo", view, m, "node2").role());
        }
    }

    @Test
    void aValidClusterHasNoWarning() {
        ClusterSnapshot s = new ClusterSnapshot(3, null, new VersionedValue(DynamicConfig.defaults().toJson(), 1, 2, 0),
                null, Map.of(), null, null, null, null);
        assertEquals("", ListCommand.footer(ClusterView.of(s, DynamicConfig.defaults())));
    }
}
