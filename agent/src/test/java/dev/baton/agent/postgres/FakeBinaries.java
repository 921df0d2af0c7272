package dev.baton.agent.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** PostgreSQL binaries that are never run: {@code <dir>/bin} with an empty executable pg_ctl, for a fake runner. */
final class FakeBinaries {
    private FakeBinaries() {
    }

    static PgBinaries in(Path dir) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path pgCtl = bin.resolve("pg_ctl");
        if (!Files.exists(pgCtl)) {
            Files.writeString(pgCtl, "");
            Files.setPosixFilePermissions(pgCtl, PosixFilePermissions.fromString("rwx------"));
        }
        return PgBinaries.at(bin);
    }
}
