package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReloadPlanTest {

    private static ObjectNode tree(String yaml) {
        ConfigLoader.Loaded l = new ConfigLoader(Map.of()).loadWithTree(write(yaml));
        assertTrue(l.result().ok(), () -> l.result().errors().toString());
        return l.tree();
    }

    @TempDir
    static Path dir;

    private static Path write(String yaml) {
        try {
            Path f = Files.createTempFile(dir, "baton", ".yml");
            Files.writeString(f, yaml);
            return f;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static final String BASE = ConfigLoaderTest.SAMPLE;

    @Test
    void theSameFileChangesNothing() {
        ReloadPlan p = ReloadPlan.between(tree(BASE), tree(BASE));
        assertTrue(p.unchanged());
        assertEquals("configuration unchanged", p.describe());
    }

    @Test
    void aParameterAndATagAreAppliedAndMerged() {
        String edited = BASE.replace("    shared_buffers: 32MB", "    shared_buffers: 32MB\n    work_mem: 8MB")
                .replace("  noloadbalance: false", "  noloadbalance: false\n  rack: r2");
        ReloadPlan p = ReloadPlan.between(tree(BASE), tree(edited));
        assertEquals(List.of("postgresql.parameters.work_mem", "tags.rack"), p.applied());
        assertEquals(List.of(), p.needsRestart());
        BatonConfig after = new ConfigLoader(Map.of()).fromTree(p.merged()).config();
        assertEquals("8MB", after.postgresql().parameters().get("work_mem"));
        assertEquals("r2", after.tags().all().get("rack"));
    }

    @Test
    void whatCannotChangeAtRunTimeIsNamedAndKeptAsRunning() {
        String edited = BASE.replace("data_dir: /tmp/x/data", "data_dir: /tmp/y/data")
                .replace("hosts: 127.0.0.1:2379", "hosts: 127.0.0.2:2379")
                .replace("name: node1", "name: node9")
                .replace("    shared_buffers: 32MB", "    shared_buffers: 64MB");
        ReloadPlan p = ReloadPlan.between(tree(BASE), tree(edited));
        assertEquals(List.of("postgresql.parameters.shared_buffers"), p.applied());
        assertEquals(List.of("name", "etcd3.hosts", "postgresql.data_dir"), p.needsRestart());
        BatonConfig after = new ConfigLoader(Map.of()).fromTree(p.merged()).config();
        assertEquals("node1", after.name());
        assertEquals(Path.of("/tmp/x/data"), after.postgresql().dataDir());
        assertEquals("64MB", after.postgresql().parameters().get("shared_buffers"));
        assertTrue(p.describe().contains("needs an agent restart, not applied: name, etcd3.hosts, postgresql.data_dir"),
                p.describe());
    }

    @Test
    void bootstrapChangesAreIgnoredNotRestartWorthy() {
        String edited = BASE.replace("    ttl: 10", "    ttl: 20");
        ReloadPlan p = ReloadPlan.between(tree(BASE), tree(edited));
        assertEquals(List.of("bootstrap.dcs.ttl"), p.ignored());
        assertTrue(p.applied().isEmpty());
        assertTrue(p.needsRestart().isEmpty());
        assertFalse(p.unchanged());
    }

    @Test
    void aRemovedSectionIsRemovedFromTheMergedTree() {
        String edited = BASE.replace("tags:\n  nofailover: false\n  noloadbalance: false\n", "");
        ReloadPlan p = ReloadPlan.between(tree(BASE), tree(edited));
        assertEquals(List.of("tags"), p.applied());
        assertNull(p.merged().get("tags"));
    }

    @Test
    void pgHbaIsComparedAsAWholeList() {
        String withHba = BASE.replace("  parameters:\n    shared_buffers: 32MB",
                "  pg_hba:\n  - host all all 10.0.0.0/8 scram-sha-256\n  parameters:\n    shared_buffers: 32MB");
        String edited = withHba.replace("10.0.0.0/8", "10.1.0.0/16");
        ReloadPlan p = ReloadPlan.between(tree(withHba), tree(edited));
        assertEquals(List.of("postgresql.pg_hba"), p.applied());
        BatonConfig after = new ConfigLoader(Map.of()).fromTree(p.merged()).config();
        assertEquals(List.of("host all all 10.1.0.0/16 scram-sha-256"), after.postgresql().pgHba());
    }

    @Test
    void environmentOverridesAreInBothTreesSoTheyDoNotShowAsChanges() {
        Map<String, String> env = Map.of("PATRONI_NAME", "fromenv");
        Path f = write(BASE);
        ObjectNode a = new ConfigLoader(env).loadWithTree(f).tree();
        ObjectNode b = new ConfigLoader(env).loadWithTree(write(BASE.replace("name: node1", "name: other"))).tree();
        assertEquals("fromenv", a.get("name").asText());
        assertTrue(ReloadPlan.between(a, b).unchanged());
    }

    @Test
    void theRestApisAuthenticationIsLiveItsListenAddressIsNot() {
        String edited = BASE.replace("  connect_address: 127.0.0.1:8008", "  connect_address: 127.0.0.1:8008\n"
                + "  authentication: {username: u, password: p}\n  allowlist: [10.0.0.0/8]")
                .replace("listen: 127.0.0.1:8008", "listen: 127.0.0.1:8009");
        ReloadPlan p = ReloadPlan.between(tree(BASE), tree(edited));
        assertEquals(List.of("restapi.authentication", "restapi.allowlist"), p.applied());
        assertEquals(List.of("restapi.listen"), p.needsRestart());
        BatonConfig after = new ConfigLoader(Map.of()).fromTree(p.merged()).config();
        assertEquals("u", after.restapi().authentication().username());
        assertEquals("127.0.0.1:8008", after.restapi().listen());
    }
}
