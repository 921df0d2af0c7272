package dev.baton.cli.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding this build's .deb near the running jar when create-cluster gets no --package. */
class PackageLocatorTest {
    @TempDir
    Path tmp;

    @Test
    void findsTheNewestDebNearTheJar() throws Exception {
        Path jar = Files.createDirectories(tmp.resolve("src/cli/target")).resolve("baton.jar");
        Files.writeString(jar, "jar");
        assertEquals(Optional.empty(), PackageLocator.find(jar));
        Path old = Files.createDirectories(tmp.resolve("src/target/deb")).resolve("baton_0.0.9_all.deb");
        Path fresh = tmp.resolve("src/target/deb/baton_0.1.0_all.deb");
        Files.writeString(old, "old");
        Files.writeString(fresh, "new");
        Files.setLastModifiedTime(old, FileTime.from(Instant.parse("2026-01-01T00:00:00Z")));
        Files.setLastModifiedTime(fresh, FileTime.from(Instant.parse("2026-06-01T00:00:00Z")));
        Files.writeString(tmp.resolve("src/target/deb/other_1_all.deb"), "not ours");
        assertEquals(Optional.of(fresh), PackageLocator.find(jar));

        Path beside = jar.resolveSibling("baton_0.0.1_all.deb");
        Files.writeString(beside, "closest");
        Files.setLastModifiedTime(beside, FileTime.from(Instant.parse("2025-01-01T00:00:00Z")));
        assertEquals(Optional.of(beside), PackageLocator.find(jar), "the jar's own folder first");
    }

    @Test
    void describesWhereItLooked() {
        Path jar = tmp.resolve("a/b/c/baton.jar");
        String where = PackageLocator.describe(jar);
        assertTrue(where.contains(tmp.resolve("a/b/c").toString()) && where.contains(tmp.resolve("a").toString()), where);
        assertEquals(PackageLocator.UP + 1, PackageLocator.roots(jar).size());
    }
}
