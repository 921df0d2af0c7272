package dev.baton.agent.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/** Finds the PostgreSQL server binaries: the configured bin_dir, `pg_config --bindir`, or /usr/lib/postgresql/N/bin. */
public final class PgBinaries {
    private final Path binDir;

    private PgBinaries(Path binDir) {
        this.binDir = binDir;
    }

    public static PgBinaries at(Path binDir) {
        if (!Files.isExecutable(binDir.resolve("pg_ctl"))) {
            throw new IllegalArgumentException("postgresql.bin_dir: no executable pg_ctl in " + binDir);
        }
        return new PgBinaries(binDir);
    }

    /** Locates the binaries; {@code configured} may be null. */
    public static PgBinaries locate(Path configured) {
        if (configured != null) {
            return at(configured);
        }
        return find().map(PgBinaries::new).orElseThrow(() -> new IllegalArgumentException(
                "postgresql.bin_dir: PostgreSQL server binaries not found (set postgresql.bin_dir, "
                        + "or install postgresql-15)"));
    }

    public static Optional<Path> find() {
        Optional<Path> fromPgConfig = pgConfigBindir();
        if (fromPgConfig.isPresent()) {
            return fromPgConfig;
        }
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("pg_ctl")) && Files.isExecutable(b.resolve("postgres")))
                    .max(Comparator.comparingInt(PgBinaries::majorOf));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static int majorOf(Path bin) {
        try {
            return Integer.parseInt(bin.getParent().getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Optional<Path> pgConfigBindir() {
        try {
            Process p = new ProcessBuilder("pg_config", "--bindir").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (p.waitFor() == 0) {
                Path bin = Path.of(out);
                if (Files.isExecutable(bin.resolve("pg_ctl")) && Files.isExecutable(bin.resolve("postgres"))) {
                    return Optional.of(bin);
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Optional.empty();
    }

    public Path dir() {
        return binDir;
    }

    public String path(String program) {
        return binDir.resolve(program).toString();
    }
}
