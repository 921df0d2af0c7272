package dev.baton.agent.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finding a program the way a shell does: the first executable file of that name on a PATH. */
public final class Executables {
    private Executables() {
    }

    /** The first executable file {@code name} in the directories of {@code path} (a PATH value; null: none). */
    public static Optional<Path> onPath(String name, String path) {
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** {@link #onPath(String, String)} on this process's own PATH. */
    public static Optional<Path> onPath(String name) {
        return onPath(name, System.getenv("PATH"));
    }
}
