package dev.baton.agent.postgres;

import dev.baton.agent.callbacks.CallbackRunner;
import dev.baton.agent.process.ProcessRunner;
import dev.baton.agent.process.ProcessRunner.ProcessResult;
import dev.baton.config.BatonConfig;
import dev.baton.config.PostgresConfig.ReplicaMethod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * A custom {@code create_replica_method} (Patroni's): the user's command makes the replica's data
 * directory. It runs without a shell, its words split as Patroni's {@code shlex.split} does, with
 * {@code --scope}, {@code --role=replica}, {@code --datadir} and {@code --connstring} (the
 * replication connection to the source; the password is in the pgpass file named by
 * {@code PGPASSFILE}, never on the command line). The data directory is emptied first unless the
 * method says {@code keep_data}, and emptied again when the command fails or leaves no cluster
 * behind, so the next method, or the next cycle, starts from an empty one.
 */
final class ReplicaCommand {
    private static final Logger LOG = Logger.getLogger(ReplicaCommand.class.getName());
    private static final Duration TIMEOUT = Duration.ofHours(12);

    private final BatonConfig config;
    private final ProcessRunner runner;
    private final Path dataDir;
    private final DataDirInspector inspector;
    private final PgConfFiles files;

    ReplicaCommand(BatonConfig config, ProcessRunner runner, Path dataDir, DataDirInspector inspector,
                   PgConfFiles files) {
        this.config = config;
        this.runner = runner;
        this.dataDir = dataDir;
        this.inspector = inspector;
        this.files = files;
    }

    /**
     * The command's argv: its own words, then the method's arguments
     * ({@link ReplicaMethod#arguments}). A pure function.
     *
     * @throws IllegalArgumentException the command cannot be split (an unclosed quote) or is empty
     */
    static List<String> argv(ReplicaMethod m, String scope, Path dataDir, String connstring) {
        List<String> argv = new ArrayList<>(CallbackRunner.splitCommand(m.command()));
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("the command of create_replica_method " + m.name() + " is empty");
        }
        argv.addAll(m.arguments(scope, dataDir, connstring));
        return argv;
    }

    /**
     * Runs method {@code m} into the data directory.
     *
     * @param host the source to copy from, or null when there is none (a {@code no_leader} method)
     */
    void run(ReplicaMethod m, String host, int port) {
        if (!m.keepData() && !inspector.inspect().isEmpty()) {
            LOG.info("emptying " + dataDir + " before create_replica_method " + m.name());
            wipe();
        }
        try {
            Files.createDirectories(dataDir.getParent());
        } catch (IOException e) {
            throw new PostgresException("cannot create " + dataDir.getParent() + ": " + e.getMessage(), e);
        }
        LOG.info("creating the replica by create_replica_method " + m.name() + ": " + m.command());
        ProcessResult r;
        try {
            r = host == null
                    ? runner.run(argv(m, config.scope(), dataDir, ""), Map.of(), null, TIMEOUT)
                    : files.withConnection(host, port, config.postgresql().authentication().replication(), null,
                            (conninfo, env) -> runner.run(argv(m, config.scope(), dataDir, conninfo), env, null,
                                    TIMEOUT));
        } catch (IllegalArgumentException e) {
            throw new PostgresException("create_replica_method " + m.name() + ": " + e.getMessage(), e);
        }
        if (!r.ok()) {
            wipe();
            throw new PostgresException("create_replica_method " + m.name() + " failed" + (r.timedOut()
                    ? " (timed out after " + TIMEOUT.toHours() + " h)" : " (exit code " + r.exitCode() + ")") + ": "
                    + r.tail());
        }
        if (!Files.isRegularFile(dataDir.resolve("PG_VERSION"))) {
            wipe();
            throw new PostgresException("create_replica_method " + m.name() + " exited 0 but left no data directory "
                    + "in " + dataDir);
        }
        try {
            Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
            if (!config.postgresql().pgHba().isEmpty()) {
                files.writeHba(files.hbaText(config.postgresql().pgHba(), config.bootstrap().dcs()));
            }
        } catch (IOException e) {
            throw new PostgresException("cannot finish the replica in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    private void wipe() {
        try {
            DataDirectories.deleteContents(dataDir);
        } catch (IOException e) {
            throw new PostgresException("cannot clean " + dataDir + ": " + e.getMessage(), e);
        }
    }
}
