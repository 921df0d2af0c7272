package dev.baton.agent.postgres;

import dev.baton.agent.process.ProcessRunner;
import dev.baton.agent.process.ProcessRunner.ProcessResult;
import dev.baton.config.BatonConfig;
import dev.baton.config.Credentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Creates a data directory: a new cluster ({@code initdb}) or a clone of the primary
 * ({@code pg_basebackup}). Both refuse a directory that is not empty, and both leave an empty one
 * behind when they fail, so that the next cycle can simply try again.
 */
final class Bootstrapper {
    private static final Logger LOG = Logger.getLogger(Bootstrapper.class.getName());
    private static final Duration INITDB_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration CLONE_TIMEOUT = Duration.ofHours(12);

    private final BatonConfig config;
    private final PgBinaries bin;
    private final ProcessRunner runner;
    private final Path dataDir;
    private final DataDirInspector inspector;
    private final PgConfFiles files;

    Bootstrapper(BatonConfig config, PgBinaries bin, ProcessRunner runner, Path dataDir, DataDirInspector inspector,
                 PgConfFiles files) {
        this.config = config;
        this.bin = bin;
        this.runner = runner;
        this.dataDir = dataDir;
        this.inspector = inspector;
        this.files = files;
    }

    /**
     * initdb with data checksums, the configured superuser (its password through a temporary
     * pwfile, never argv), the bootstrap.initdb options, then pg_hba.conf.
     */
    void initdb() {
        if (!inspector.inspect().isEmpty()) {
            throw new PostgresException("refusing to initdb: " + dataDir + " is not empty");
        }
        Credentials su = config.postgresql().authentication().superuser();
        // Rendered before initdb runs: a pg_hba.conf that cannot be written stops it before anything is created.
        String hba = files.hbaText(config.postgresql().pgHba().isEmpty() ? config.bootstrap().pgHba()
                : config.postgresql().pgHba(), config.bootstrap().dcs());
        Path pwfile = null;
        try {
            Files.createDirectories(dataDir.getParent());
            pwfile = Files.createTempFile(dataDir.getParent(), ".baton-pw", "");
            Files.setPosixFilePermissions(pwfile, PosixFilePermissions.fromString("rw-------"));
            Files.writeString(pwfile, su.password() == null ? "" : su.password() + "\n");
            ProcessResult r = runner.run(initdbArgv(bin.path("initdb"), dataDir, su.username(), pwfile,
                    config.bootstrap().initdbArgs()), Map.of("LC_ALL", "C.UTF-8"), null, INITDB_TIMEOUT);
            if (!r.ok()) {
                wipe();
                throw new PostgresException("initdb failed: " + r.tail());
            }
            files.writeHba(hba);
        } catch (IOException e) {
            throw new PostgresException("initdb failed: " + e.getMessage(), e);
        } finally {
            deleteQuietly(pwfile);
        }
    }

    /**
     * initdb's argv: Baton's options, then the configured ones, each once. {@code -k} is dropped
     * as it repeats {@code --data-checksums}.
     */
    static List<String> initdbArgv(String initdb, Path dataDir, String superuser, Path pwfile, List<String> extra) {
        Set<String> args = new LinkedHashSet<>();
        args.add(initdb);
        args.add("-D");
        args.add(dataDir.toString());
        args.add("--username=" + superuser);
        args.add("--pwfile=" + pwfile);
        args.add("--auth-host=scram-sha-256");
        args.add("--auth-local=peer");
        args.add("--data-checksums");
        args.addAll(extra);
        args.remove("-k");
        return new ArrayList<>(args);
    }

    /**
     * pg_basebackup from a running primary, as the replication user with its libpq options (TLS)
     * and the pgpass file, with the {@code postgresql.basebackup} options.
     */
    void basebackup(String host, int port) {
        if (!inspector.inspect().isEmpty()) {
            throw new PostgresException("refusing to clone into " + dataDir + ": it is not empty");
        }
        try {
            Files.createDirectories(dataDir.getParent());
        } catch (IOException e) {
            throw new PostgresException("cannot create " + dataDir.getParent() + ": " + e.getMessage(), e);
        }
        ProcessResult r = files.withConnection(host, port, config.postgresql().authentication().replication(), null,
                (conninfo, env) -> runner.run(basebackupArgv(bin.path("pg_basebackup"), dataDir, conninfo,
                        config.postgresql().basebackupArgs()), env, null, CLONE_TIMEOUT));
        if (!r.ok()) {
            wipe();
            throw new PostgresException("pg_basebackup from " + host + ":" + port + " failed: " + r.tail());
        }
        try {
            Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
            if (!config.postgresql().pgHba().isEmpty()) {
                files.writeHba(files.hbaText(config.postgresql().pgHba(), config.bootstrap().dcs()));
            }
        } catch (IOException e) {
            throw new PostgresException("cannot finish the clone in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * pg_basebackup's argv: Baton's options, then {@code postgresql.basebackup}'s (checked when the
     * configuration was read; a later {@code --checkpoint} wins over Baton's {@code -c fast}).
     */
    static List<String> basebackupArgv(String pgBasebackup, Path dataDir, String conninfo, List<String> extra) {
        List<String> argv = new ArrayList<>(List.of(pgBasebackup, "-D", dataDir.toString(), "-X", "stream", "-c",
                "fast", "-d", conninfo, "-w"));
        argv.addAll(extra);
        return argv;
    }

    /** Empties the data directory after a failed attempt. */
    void wipe() {
        try {
            DataDirectories.deleteContents(dataDir);
        } catch (IOException e) {
            throw new PostgresException("cannot clean " + dataDir + ": " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.fine("cannot delete " + p + ": " + e.getMessage());
            }
        }
    }
}
