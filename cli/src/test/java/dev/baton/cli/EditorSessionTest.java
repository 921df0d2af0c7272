package dev.baton.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EditorSessionTest {

    @Test
    void editorFromTheEnvironmentIsSplitOnSpacesAndGetsTheFileLast() {
        List<List<String>> runs = new ArrayList<>();
        EditorSession s = new EditorSession(Map.of("EDITOR", " code  --wait "), name -> Optional.empty(), c -> {
            runs.add(c);
            Path f = Path.of(c.get(c.size() - 1));
            assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                    Files.getPosixFilePermissions(f));
            Files.writeString(f, Files.readString(f).replace("loop_wait: 10", "loop_wait: 3"));
            return 0;
        });
        assertEquals("ttl: 30\nloop_wait: 3\n", s.edit("ttl: 30\nloop_wait: 10\n", "demo"));
        assertEquals(List.of("code", "--wait"), runs.get(0).subList(0, 2));
        Path file = Path.of(runs.get(0).get(2));
        assertTrue(file.getFileName().toString().startsWith("demo-config-"));
        assertFalse(Files.exists(file), "the temporary file is removed");
    }

    @Test
    void withoutEditorTheFallbacksAreSearchedInOrder() {
        EditorSession s = new EditorSession(Map.of(),
                name -> name.equals("vi") ? Optional.of(Path.of("/usr/bin/vi")) : Optional.empty(), c -> 0);
        assertEquals(List.of("/usr/bin/vi"), s.command());
        assertFalse(s.editorGiven());
        EditorSession none = new EditorSession(Map.of("EDITOR", "  "), name -> Optional.empty(), c -> 0);
        ExitException e = assertThrows(ExitException.class, none::command);
        assertEquals(BaseCommand.EXIT_BAD_INPUT, e.code());
        assertTrue(e.getMessage().contains("EDITOR is not set"), e.getMessage());
    }

    @Test
    void aFailingEditorChangesNothing() {
        EditorSession s = new EditorSession(Map.of("EDITOR", "false"), name -> Optional.empty(), c -> 3);
        ExitException e = assertThrows(ExitException.class, () -> s.edit("ttl: 30\n", "demo"));
        assertEquals(BaseCommand.EXIT_FAILED, e.code());
        assertTrue(e.getMessage().contains("exited with 3"), e.getMessage());
    }

    @Test
    void clusterNamesBecomeSafeFilePrefixes() {
        assertEquals("demo", EditorSession.safePrefix("demo"));
        assertEquals("_.._x", EditorSession.safePrefix("/../x"));
        assertEquals("baton..x", EditorSession.safePrefix("..x"));
        assertEquals("baton", EditorSession.safePrefix(""));
    }
}
