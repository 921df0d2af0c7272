package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirectoriesTest {
    @TempDir
    Path tmp;
    private Path dir;
    private Path outside;

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createDirectories(tmp.resolve("data"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Files.createDirectories(dir.resolve("base/1"));
        Files.writeString(dir.resolve("base/1/1259"), "x");
        Files.writeString(dir.resolve("PG_VERSION"), "15");
        outside = Files.createDirectories(tmp.resolve("tablespace"));
        Files.writeString(outside.resolve("keep"), "x");
        Files.createSymbolicLink(dir.resolve("pg_tblspc"), outside);
    }

    @Test
    void deleteContentsKeepsTheDirectoryWithItsModeAndFollowsNoLink() throws Exception {
        DataDirectories.deleteContents(dir);
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.count());
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertTrue(Files.exists(outside.resolve("keep")), "a link is removed, not followed");
    }

    @Test
    void deleteTreeRemovesTheDirectory() throws Exception {
        DataDirectories.deleteTree(dir);
        assertFalse(Files.exists(dir));
        assertTrue(Files.exists(outside.resolve("keep")));
        assertTrue(DataDirectories.deleteTreeQuietly(dir), "nothing to delete");
        DataDirectories.deleteContents(dir);
    }
}
