package dev.baton.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.ha.CurrentConfig;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGHUP / POST /reload: a file read again, validated whole, and only what may change installed. */
class LocalReloadTest {
    private static final String BASE = """
            scope: demo
            name: node1
            restapi: {listen: 127.0.0.1:8008, connect_address: 127.0.0.1:8008}
            etcd3: {hosts: 127.0.0.1:2379}
            postgresql:
              listen: 127.0.0.1:5432
              connect_address: 127.0.0.1:5432
              data_dir: /tmp/x/data
              authentication:
                superuser: {username: postgres, password: secret}
                replication: {username: replicator, password: rep}
                rewind: {username: rewinder, password: rw}
              parameters:
                work_mem: 4MB
            tags:
              rack: r1
            """;

    @TempDir
    Path dir;

    private final List<BatonConfig> applied = new ArrayList<>();

    private LocalReload reloadOf(Path file, CurrentConfig[] current) {
        ConfigLoader loader = new ConfigLoader(Map.of("PATRONI_NAME", "node1"));
        ConfigLoader.Loaded start = loader.loadWithTree(file);
        assertTrue(start.result().ok(), start.result().errors()::toString);
        current[0] = new CurrentConfig(start.result().config());
        LocalReload r = new LocalReload(() -> loader.loadWithTree(file), loader::fromTree, start.tree(), current[0],
                file.toString());
        r.onApplied(applied::add);
        return r;
    }

    @Test
    void aChangedParameterAndTagAreInstalledAndAChangedDataDirIsOnlyNamed() throws Exception {
        Path f = dir.resolve("baton.yml");
        Files.writeString(f, BASE);
        CurrentConfig[] current = new CurrentConfig[1];
        LocalReload reload = reloadOf(f, current);

        Files.writeString(f, BASE.replace("work_mem: 4MB", "work_mem: 8MB").replace("rack: r1", "rack: r2")
                .replace("/tmp/x/data", "/tmp/y/data"));
        LocalReload.Outcome o = reload.reload();
        assertTrue(o.ok(), o.message());
        assertEquals(List.of("postgresql.parameters.work_mem", "tags.rack"), o.plan().applied());
        assertEquals(List.of("postgresql.data_dir"), o.plan().needsRestart());
        BatonConfig now = current[0].get();
        assertEquals("8MB", now.postgresql().parameters().get("work_mem"));
        assertEquals("r2", now.tags().all().get("rack"));
        assertEquals(Path.of("/tmp/x/data"), now.postgresql().dataDir(), "kept as running");
        assertEquals(1, applied.size());

        // The same file again: nothing new is applied, the data_dir is named again.
        LocalReload.Outcome again = reload.reload();
        assertTrue(again.plan().applied().isEmpty());
        assertEquals(List.of("postgresql.data_dir"), again.plan().needsRestart());
        assertEquals(1, applied.size());
    }

    @Test
    void aBrokenFileChangesNothingAndNamesTheKey() throws Exception {
        Path f = dir.resolve("baton.yml");
        Files.writeString(f, BASE);
        CurrentConfig[] current = new CurrentConfig[1];
        LocalReload reload = reloadOf(f, current);
        BatonConfig before = current[0].get();

        Files.writeString(f, BASE.replace("work_mem: 4MB", "work_mem: 8MB").replace("rack: r1", "rack: r2")
                .replace("listen: 127.0.0.1:5432", "listen: [1, 2]"));
        LocalReload.Outcome bad = reload.reload();
        assertFalse(bad.ok());
        assertTrue(bad.message().contains("postgresql.listen"), bad.message());
        assertTrue(bad.message().startsWith("invalid configuration in " + f + ", nothing changed: "), bad.message());
        assertSame(before, current[0].get(), "the running configuration stays");

        Files.writeString(f, "scope: [unclosed");
        LocalReload.Outcome yaml = reload.reload();
        assertFalse(yaml.ok());
        assertTrue(yaml.message().contains("invalid YAML"), yaml.message());
        assertSame(before, current[0].get());
        assertTrue(applied.isEmpty());
    }

    @Test
    void theEnvironmentAsAtStartStillOverridesTheFile() throws Exception {
        Path f = dir.resolve("baton.yml");
        Files.writeString(f, BASE);
        CurrentConfig[] current = new CurrentConfig[1];
        LocalReload reload = reloadOf(f, current);
        Files.writeString(f, BASE.replace("name: node1", "name: renamed"));
        LocalReload.Outcome o = reload.reload();
        assertTrue(o.ok());
        assertTrue(o.plan().unchanged(), "PATRONI_NAME still names the node: " + o.message());
        assertEquals("node1", current[0].get().name());
    }
}
