package dev.baton.agent.postgres;

import dev.baton.agent.process.ProcessRunner;
import dev.baton.agent.process.ProcessRunner.ProcessResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

    /**
     * The parameters these binaries' server knows: {@code postgres --version} and
     * {@code postgres --describe-config} (both run as any user, root included, and need no data
     * directory).
     *
     * @throws PostgresException postgres cannot be run or its answer cannot be read
     */
    public PgCatalog catalog(ProcessRunner runner) {
        Duration timeout = Duration.ofSeconds(30);
        ProcessResult version = runner.run(java.util.List.of(path("postgres"), "--version"), timeout);
        ProcessResult describe = runner.run(java.util.List.of(path("postgres"), "--describe-config"), timeout);
        if (!version.ok() || !describe.ok()) {
            throw new PostgresException("cannot list the parameters of " + path("postgres") + ": "
                    + (version.ok() ? describe : version).tail());
        }
        try {
            return PgCatalog.parse(version.output(), describe.output());
        } catch (IllegalArgumentException e) {
            throw new PostgresException("cannot list the parameters of " + path("postgres") + ": " + e.getMessage(), e);
        }
    }

    /**
     * Why this server would refuse {@code name = 'value'} in postgresql.conf, or empty if it reads
     * it: asks {@code postgres -C name} on a scratch directory holding just that line. For the
     * parameters describe-config leaves out (developer options, and those fixed at build or initdb
     * time, which a file may not set), so that a valid one is never dropped.
     *
     * @throws PostgresException the scratch directory cannot be written or postgres not run
     */
    public java.util.Optional<String> probe(ProcessRunner runner, String name, String value) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("baton-probe-");
            Files.writeString(dir.resolve("postgresql.conf"), PgConfRenderer.parameterLine(name, value) + "\n");
            ProcessResult r = runner.run(java.util.List.of(path("postgres"), "-C", name, "-D", dir.toString()),
                    Duration.ofSeconds(30));
            if (r.ok()) {
                return java.util.Optional.empty();
            }
            String why = r.output().lines().filter(l -> l.contains("LOG:") && !l.contains("skipping missing"))
                    .map(l -> l.substring(l.indexOf("LOG:") + 4).strip().replaceAll(" in file \".*\" line \\d+$", ""))
                    .findFirst().orElse(r.tail());
            return java.util.Optional.of("is refused by PostgreSQL: " + why);
        } catch (IOException | IllegalArgumentException e) {
            throw new PostgresException("cannot ask postgres about parameter " + name + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(dir);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a scratch directory left in /tmp is harmless
        }
    }
}
