package dev.baton.cli.local;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finds programs on PATH and in the places Debian installs them. */
public final class Binaries {
    private Binaries() {
    }

    public static Optional<Path> find(String program, String... extraDirs) {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(":")) {
                Path p = Path.of(dir.isEmpty() ? "." : dir, program);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        for (String dir : extraDirs) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    public static Path require(String program, String debianPackage) {
        return find(program, "/usr/bin", "/usr/sbin", "/usr/local/bin").orElseThrow(() -> new IllegalStateException(
                program + " not found: install the Debian package " + debianPackage));
    }
}
