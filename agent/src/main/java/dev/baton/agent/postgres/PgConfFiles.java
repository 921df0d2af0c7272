package dev.baton.agent.postgres;

import dev.baton.agent.postgres.PostgresController.Upstream;
import dev.baton.config.BatonConfig;
import dev.baton.config.Credentials;
import dev.baton.config.DynamicConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Writes the files Baton owns in and beside the data directory, with the text
 * {@link PgConfRenderer} renders: postgresql.conf (keeping initdb's as {@code postgresql.base.conf}),
 * standby.signal, pg_hba.conf and the pgpass file. Every file is replaced atomically, so postgres
 * never reads half of one.
 *
 * <p>The parameters are fitted to the server's {@link PgCatalog} first ({@link PgParameters#plan}):
 * each parameter translated or dropped is logged once, not at every configure.
 */
final class PgConfFiles {
    private static final Logger LOG = Logger.getLogger(PgConfFiles.class.getName());

    private final BatonConfig config;
    private final Path dataDir;
    private final PgCatalogCache server;
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    /** Without a catalog: parameters are written as configured. */
    PgConfFiles(BatonConfig config, Path dataDir) {
        this(config, dataDir, PgCatalogCache.none());
    }

    /** @param server what the server's binaries say about parameters */
    PgConfFiles(BatonConfig config, Path dataDir, PgCatalogCache server) {
        this.config = config;
        this.dataDir = dataDir;
        this.server = server;
    }

    /**
     * Writes postgresql.conf for the role, standby.signal to match, pg_hba.conf when the
     * configuration manages it, and the pgpass file.
     *
     * @throws PostgresException a file cannot be written, or a parameter cannot be (its name says which)
     */
    void configure(boolean replica, Upstream upstream, DynamicConfig dynamic) {
        try {
            // Everything is rendered first: a value that cannot be written changes no file.
            String conninfo = replica && upstream != null ? conninfo(upstream.host(), upstream.port(),
                    config.postgresql().authentication().replication().username(), null) : null;
            PgParameters.Planned planned = PgParameters.plan(config, dynamic, replica, upstream, conninfo,
                    server.catalog(), server);
            String confText = PgConfRenderer.postgresqlConf(planned.parameters());
            String hbaText = config.postgresql().pgHba().isEmpty() ? null : hbaText(config.postgresql().pgHba());
            Path conf = dataDir.resolve("postgresql.conf");
            Path base = dataDir.resolve(PgConfRenderer.BASE_CONF);
            if (!Files.exists(base)) {
                if (Files.exists(conf) && !Files.readString(conf).startsWith(PgConfRenderer.HEADER)) {
                    Files.move(conf, base);
                } else {
                    Files.writeString(base, "");
                }
            }
            if (hbaText != null) {
                writeAtomically(dataDir.resolve("pg_hba.conf"), hbaText);
            }
            writeAtomically(conf, confText);
            Path signal = dataDir.resolve("standby.signal");
            if (replica) {
                if (!Files.exists(signal)) {
                    Files.writeString(signal, "");
                }
            } else {
                Files.deleteIfExists(signal);
            }
            writePgpass();
            planned.warnings().stream().filter(warned::add).forEach(LOG::warning);
        } catch (IOException | IllegalArgumentException e) {
            throw new PostgresException("cannot write the configuration in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The text of pg_hba.conf from {@code lines}, or of Baton's default lines when there are none.
     *
     * @throws PostgresException the replication role's name cannot be written in pg_hba.conf
     */
    String hbaText(List<String> lines) {
        try {
            return PgConfRenderer.pgHba(lines.isEmpty()
                    ? PgConfRenderer.defaultHba(config.postgresql().authentication().replication().username()) : lines);
        } catch (IllegalArgumentException e) {
            throw new PostgresException("cannot write pg_hba.conf: " + e.getMessage(), e);
        }
    }

    /** Writes pg_hba.conf rendered by {@link #hbaText}. */
    void writeHba(String hbaText) throws IOException {
        writeAtomically(dataDir.resolve("pg_hba.conf"), hbaText);
    }

    /** A connection string to {@code host:port} for Baton's programs, with the pgpass file. */
    String conninfo(String host, int port, String user, String dbname) {
        return new PgConfRenderer.Conninfo(host, port, user, dbname, pgpass(), config.name()).text();
    }

    /** The pgpass file: the configured one, else {@code .<data dir name>.pgpass} beside the data directory. */
    Path pgpass() {
        Path configured = config.postgresql().pgpass();
        return configured != null ? configured.toAbsolutePath()
                : dataDir.resolveSibling("." + dataDir.getFileName() + ".pgpass");
    }

    /** Writes the pgpass file (mode 0600) with both roles' passwords, unless it already says that. */
    void writePgpass() {
        var auth = config.postgresql().authentication();
        Path file = pgpass();
        try {
            String content = PgConfRenderer.pgpass(List.<Credentials>of(auth.replication(), auth.superuser()));
            Files.createDirectories(file.getParent());
            if (Files.exists(file) && Files.readString(file).equals(content)) {
                return;
            }
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, content);
            move(tmp, file);
        } catch (IOException | IllegalArgumentException e) {
            throw new PostgresException("cannot write the pgpass file " + file + ": " + e.getMessage(), e);
        }
    }

    private static void writeAtomically(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".baton-tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        move(tmp, file);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
