package dev.baton.agent.postgres;

import dev.baton.agent.backup.PgBackRestConf;
import dev.baton.agent.postgres.PostgresController.Upstream;
import dev.baton.config.Authentication;
import dev.baton.config.BatonConfig;
import dev.baton.config.Credentials;
import dev.baton.config.DynamicConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Writes the files Baton owns in and beside the data directory, with the text
 * {@link PgConfRenderer} renders: postgresql.conf (keeping initdb's as {@code postgresql.base.conf}),
 * standby.signal, pg_hba.conf and the pgpass file. Every file is replaced atomically, so postgres
 * never reads half of one.
 *
 * <p>The pgpass file names the server of each entry ({@code host:port}, not {@code *:*:*}): the
 * local server for the superuser, and the upstream primary_conninfo names (or the server a tool is
 * about to connect to) for the replication and rewind roles. A password is thus sent only to the
 * server it is for.
 *
 * <p>The parameters are fitted to the server's {@link PgCatalog} first ({@link PgParameters#plan}):
 * each parameter translated or dropped is logged once, not at every configure.
 */
final class PgConfFiles {
    private static final Logger LOG = Logger.getLogger(PgConfFiles.class.getName());

    private final BatonConfig config;
    private final Path dataDir;
    private final PgCatalogCache server;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final Set<String> warned = ConcurrentHashMap.newKeySet();
    /** Where the parameters and pg_hba lines are read from at each write (a local reload replaces them). */
    private volatile java.util.function.Supplier<BatonConfig> current;
    /** Where primary_conninfo points (null for none): the pgpass file always holds its entries. */
    private volatile Upstream upstream;

    /** Without a catalog: parameters are written as configured. */
    PgConfFiles(BatonConfig config, Path dataDir) {
        this(config, dataDir, PgCatalogCache.none());
    }

    /** @param server what the server's binaries say about parameters */
    PgConfFiles(BatonConfig config, Path dataDir, PgCatalogCache server) {
        this.config = config;
        this.dataDir = dataDir;
        this.server = server;
        this.current = () -> config;
    }

    /** Reads postgresql.parameters and pg_hba from {@code current} at each write (local configuration reload). */
    void follow(java.util.function.Supplier<BatonConfig> current) {
        this.current = java.util.Objects.requireNonNull(current, "current");
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
            BatonConfig config = current.get(); // one snapshot for the whole write
            Upstream streamFrom = replica ? upstream : null;
            // PostgreSQL 17's slot synchronization connects to a database named in primary_conninfo
            // (Patroni adds dbname there from 17 on); older servers ignore it for replication.
            String conninfo = streamFrom != null && streamFrom.host() != null ? conninfo(streamFrom.host(),
                    streamFrom.port(), config.postgresql().authentication().replication(),
                    server.catalog().version() >= PgParameters.SYNC_REPLICATION_SLOTS ? "postgres" : null).text() : null;
            PgParameters.Planned planned = PgParameters.plan(config, dynamic, replica, upstream, conninfo,
                    server.catalog(), server);
            String confText = PgConfRenderer.postgresqlConf(planned.parameters());
            String hbaText = config.postgresql().pgHba().isEmpty() ? null
                    : hbaText(config.postgresql().pgHba(), dynamic);
            String pgpassText = pgpassText(streamFrom, null);
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
            // The passfile holds the new upstream's entry before primary_conninfo names it: the WAL
            // receiver reads it at every reconnection.
            writePgpassText(pgpassText);
            this.upstream = streamFrom;
            writeAtomically(conf, confText);
            Path signal = dataDir.resolve("standby.signal");
            if (replica) {
                if (!Files.exists(signal)) {
                    Files.writeString(signal, "");
                }
            } else {
                Files.deleteIfExists(signal);
            }
            planned.warnings().stream().filter(warned::add).forEach(LOG::warning);
        } catch (IOException | IllegalArgumentException e) {
            throw new PostgresException("cannot write the configuration in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    /** Whether postgresql.auto.conf carries the fence another member put on this directory ({@link FenceMark}). */
    boolean fenced() {
        Path auto = dataDir.resolve("postgresql.auto.conf");
        try {
            return Files.exists(auto) && FenceMark.present(Files.readString(auto));
        } catch (IOException e) {
            throw new PostgresException("cannot read " + auto + ": " + e.getMessage(), e);
        }
    }

    /**
     * Removes the fence from postgresql.auto.conf, keeping every other setting; returns whether
     * there was one. Only for a stopped server about to start (a rejoin): a running one would
     * drop the fence at its next reload.
     */
    boolean unfence() {
        Path auto = dataDir.resolve("postgresql.auto.conf");
        try {
            if (!Files.exists(auto)) {
                return false;
            }
            String text = Files.readString(auto);
            if (!FenceMark.present(text)) {
                return false;
            }
            writeAtomically(auto, FenceMark.strip(text));
            LOG.warning("removed the fence another member put on " + dataDir + " while it was a primary "
                    + "(synchronous_standby_names " + FenceMark.NAMES_VALUE + ", default_transaction_read_only)");
            return true;
        } catch (IOException e) {
            throw new PostgresException("cannot remove the fence from " + auto + ": " + e.getMessage(), e);
        }
    }

    /**
     * The text of pg_hba.conf from {@code lines}, or of Baton's default lines when there are none
     * ({@link PgConfRenderer#defaultHba}: {@code hostssl} when the parameters turn {@code ssl} on).
     *
     * @param dynamic the cluster-wide parameters, merged under the node's own
     * @throws PostgresException a role's name cannot be written in pg_hba.conf
     */
    String hbaText(List<String> lines, DynamicConfig dynamic) {
        try {
            if (!lines.isEmpty()) {
                return PgConfRenderer.pgHba(lines);
            }
            Authentication auth = config.postgresql().authentication();
            return PgConfRenderer.pgHba(PgConfRenderer.defaultHba(auth.superuser().username(),
                    auth.replication().username(), auth.rewind() == null ? null : auth.rewind().username(),
                    sslOn(config, dynamic), config.backup() != null || config.postgresql().control().useUnixSocket()));
        } catch (IllegalArgumentException e) {
            throw new PostgresException("cannot write pg_hba.conf: " + e.getMessage(), e);
        }
    }

    /** Whether the parameters turn server TLS on: the node's {@code ssl}, else the cluster's. */
    static boolean sslOn(BatonConfig config, DynamicConfig dynamic) {
        String value = null;
        for (Map<String, String> params : List.of(dynamic.parameters(), config.postgresql().parameters())) {
            for (Map.Entry<String, String> e : params.entrySet()) {
                if (e.getKey().equalsIgnoreCase("ssl")) {
                    value = e.getValue();
                }
            }
        }
        return value != null && switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "on", "true", "yes", "1" -> true;
            default -> false;
        };
    }

    /** Writes pg_hba.conf rendered by {@link #hbaText}. */
    void writeHba(String hbaText) throws IOException {
        writeAtomically(dataDir.resolve("pg_hba.conf"), hbaText);
    }

    /**
     * A connection string to {@code host:port} as {@code user} for Baton's programs: the pgpass
     * file, and the role's libpq options (TLS).
     */
    PgConfRenderer.Conninfo conninfo(String host, int port, Credentials user, String dbname) {
        return new PgConfRenderer.Conninfo(host, port, user.username(), dbname, pgpass(), config.name(),
                user.libpqOptions());
    }

    /**
     * Runs a pg_* tool that connects to {@code host:port} as {@code user}: first the pgpass file
     * gets that server's entries, then {@code run} gets the connection string and the environment
     * to run with ({@code PGPASSFILE}). A secret option ({@code sslpassword}) never goes into the
     * connection string, which is in argv: it goes into a service file (mode 0600) that lives only
     * while the tool runs.
     */
    <T> T withConnection(String host, int port, Credentials user, String dbname,
                         BiFunction<String, Map<String, String>, T> run) {
        writePgpass(new Upstream(host, port, null));
        PgConfRenderer.Conninfo info = conninfo(host, port, user, dbname);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PGPASSFILE", pgpass().toString());
        Map<String, String> secrets = info.secrets();
        if (secrets.isEmpty()) {
            return run.apply(info.text(), env);
        }
        Path service = pgpass().resolveSibling(pgpass().getFileName() + ".service");
        try {
            writePrivately(service, PgConfRenderer.serviceFile("baton", secrets));
        } catch (IOException | IllegalArgumentException e) {
            throw new PostgresException("cannot write the libpq service file " + service + ": " + e.getMessage(), e);
        }
        try {
            env.put("PGSERVICEFILE", service.toString());
            return run.apply(info.withoutSecrets().text() + " service=baton", env);
        } finally {
            try {
                Files.deleteIfExists(service);
            } catch (IOException e) {
                LOG.warning("cannot delete the libpq service file " + service + ": " + e.getMessage());
            }
        }
    }

    /** The pgpass file: the configured one, else {@code .<data dir name>.pgpass} beside the data directory. */
    Path pgpass() {
        return pgpass(config, dataDir);
    }

    static Path pgpass(BatonConfig config, Path dataDir) {
        Path configured = config.postgresql().pgpass();
        return configured != null ? configured.toAbsolutePath()
                : dataDir.resolveSibling("." + dataDir.getFileName() + ".pgpass");
    }

    /** Writes the pgpass file for the local server and the configured upstream. */
    void writePgpass() {
        writePgpass(null);
    }

    /**
     * Writes the pgpass file (mode 0600) for the local server (the superuser), the upstream
     * primary_conninfo names (the replication and rewind roles) and {@code target} (the same, when
     * not null), unless it already says that.
     */
    void writePgpass(Upstream target) {
        try {
            writePgpassText(pgpassText(upstream, target));
        } catch (IOException | IllegalArgumentException e) {
            throw new PostgresException("cannot write the pgpass file " + pgpass() + ": " + e.getMessage(), e);
        }
    }

    private String pgpassText(Upstream streamFrom, Upstream target) {
        Authentication auth = config.postgresql().authentication();
        List<PgConfRenderer.PgpassEntry> entries = new ArrayList<>();
        entries.add(new PgConfRenderer.PgpassEntry(PgQueries.localHost(config.postgresql().listenHost()),
                config.postgresql().listenPort(), auth.superuser()));
        if (config.backup() != null) {
            // pgBackRest connects over the Unix socket: libpq matches the socket directory as the host.
            entries.add(new PgConfRenderer.PgpassEntry(PgBackRestConf.socketDir(config).toString(),
                    config.postgresql().listenPort(), auth.superuser()));
        }
        for (Upstream u : Arrays.asList(streamFrom, target)) {
            if (u != null && u.host() != null) {
                entries.add(new PgConfRenderer.PgpassEntry(u.host(), u.port(), auth.replication()));
                entries.add(new PgConfRenderer.PgpassEntry(u.host(), u.port(), auth.rewindUser()));
            }
        }
        return PgConfRenderer.pgpass(entries);
    }

    private void writePgpassText(String content) throws IOException {
        Path file = pgpass();
        Files.createDirectories(file.getParent());
        if (Files.exists(file) && Files.readString(file).equals(content)) {
            if (!Files.getPosixFilePermissions(file).equals(OWNER_ONLY)) {
                Files.setPosixFilePermissions(file, OWNER_ONLY); // libpq ignores a passfile others can read
            }
            return;
        }
        writePrivately(file, content);
    }

    /** Replaces {@code file} atomically with a file of mode 0600 holding {@code content}. */
    private static void writePrivately(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        Files.writeString(tmp, content);
        move(tmp, file);
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
