package dev.baton.agent.process;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutablesTest {
    @Test
    void theFirstExecutableFileOfThatNameOnThePath(@TempDir Path dir) throws Exception {
        Path exe = Files.createFile(dir.resolve("pgbackrest"));
        assertEquals(Optional.empty(), Executables.onPath("pgbackrest", dir.toString()), "not executable");
        exe.toFile().setExecutable(true);
        assertEquals(Optional.of(exe), Executables.onPath("pgbackrest", "/nonexistent::" + dir), "empty entries skipped");
        assertEquals(Optional.empty(), Executables.onPath("pgbackrest", null));
        Files.createDirectory(dir.resolve("sub"));
        assertEquals(Optional.empty(), Executables.onPath("sub", dir.toString()), "a directory is no program");
    }
}
