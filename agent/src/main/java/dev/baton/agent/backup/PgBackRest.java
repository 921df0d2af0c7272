package dev.baton.agent.backup;

import dev.baton.agent.postgres.DataDirectories;
import dev.baton.agent.postgres.LocalPostgres;
import dev.baton.agent.process.ProcessRunner;
import dev.baton.agent.process.ProcessRunner.ProcessResult;
import dev.baton.config.BackupConfig;
import dev.baton.config.BatonConfig;
import dev.baton.config.RestoreConfig;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * The {@link BackupRepository} of this node with pgBackRest (stanza = scope). Before each command
 * the node's own configuration file ({@link PgBackRestConf#conf}, {@code <data_dir>.pgbackrest.conf},
 * mode 0600) is written again, so it always says what Baton's configuration says; every command
 * names it with {@code --config}. pgBackRest reaches PostgreSQL over the Unix socket as the
 * superuser, with the password from the pgpass file ({@code PGPASSFILE}, its only extra environment
 * variable: S3 keys are in the configuration file, never in argv or an environment).
 */
public final class PgBackRest implements BackupRepository {
    private static final Logger LOG = Logger.getLogger(PgBackRest.class.getName());
    private static final Duration STANZA_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration INFO_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration BACKUP_TIMEOUT = Duration.ofHours(24);
    private static final Duration RESTORE_TIMEOUT = Duration.ofHours(24);
    /** The TLS server runs until the agent stops it. */
    private static final Duration SERVER_TIMEOUT = Duration.ofDays(3650);

    private final BatonConfig config;
    private final ProcessRunner runner;
    private final Map<String, String> env;
    private final int processMax;
    private final Path dataDir;
    private final Path confFile;
    private final String program;
    private final Path pgpass;
    /** The scope restoreCluster restored from in this process (its stanza section stays in the file). */
    private volatile String restoredFrom;

    /**
     * The repository of {@code config}'s {@code backup} section, with the agent's environment (AWS
     * credentials for S3) and {@code process-max} 2 on a machine with 4 or more processors, else 1.
     *
     * @throws IllegalArgumentException the configuration has no backup repository
     */
    public static PgBackRest create(BatonConfig config, ProcessRunner runner) {
        return new PgBackRest(config, runner, System.getenv(), Runtime.getRuntime().availableProcessors() >= 4 ? 2 : 1);
    }

    PgBackRest(BatonConfig config, ProcessRunner runner, Map<String, String> env, int processMax) {
        if (config.backup() == null) {
            throw new IllegalArgumentException("no backup repository is configured (backup.repository)");
        }
        PgBackRestConf.checkScope(config.scope());
        this.config = config;
        this.runner = runner;
        this.env = Map.copyOf(env);
        this.processMax = processMax;
        this.dataDir = PgBackRestConf.dataDir(config);
        this.confFile = PgBackRestConf.confFile(dataDir);
        this.program = PgBackRestConf.program(config.backup());
        this.pgpass = LocalPostgres.pgpassFile(config);
    }

    /** The configuration file every command reads. */
    public Path confFile() {
        return confFile;
    }

    @Override
    public void ensureStanza() {
        ProcessResult r = run(List.of("--stanza=" + config.scope(), "--log-level-console=info", "stanza-create"),
                STANZA_TIMEOUT, null);
        if (!r.ok()) {
            throw failure("stanza-create for " + config.scope(), r);
        }
    }

    @Override
    public BackupInfo backup(BackupType type, BackupProgress progress) {
        ProcessResult r = run(List.of("--stanza=" + config.scope(), "--log-level-console=detail",
                "--type=" + type.key(), "backup"), BACKUP_TIMEOUT, new PgBackRestConf.ProgressTracker(progress));
        if (!r.ok()) {
            throw failure("the " + type.key() + " backup of " + config.scope(), r);
        }
        return lastListed(type, progress);
    }

    private BackupInfo lastListed(BackupType type, BackupProgress progress) {
        List<BackupInfo> all = list();
        if (all.isEmpty()) {
            throw new BackupException("the " + type.key() + " backup of " + config.scope()
                    + " succeeded, but pgbackrest info lists no backup");
        }
        BackupInfo last = all.get(all.size() - 1);
        if (progress != null && last.sizeBytes() > 0) {
            progress.update(last.sizeBytes(), last.sizeBytes());
        }
        return last;
    }

    @Override
    public BackupInfo backupFromStandby(BackupType type, PgBackRestPeer primary, BackupProgress progress) {
        BackupConfig.Server server = config.backup().server();
        if (server == null) {
            throw new BackupException(BackupConfig.FROM_REPLICA_NEEDS_SERVER);
        }
        String what = "the " + type.key() + " backup of " + config.scope() + " from this standby (primary at "
                + primary.host() + ":" + primary.port() + ")";
        List<String> args;
        try {
            args = PgBackRestConf.standbyBackupArgs(config.scope(), type, primary, server.tls());
        } catch (IllegalArgumentException e) {
            throw new BackupException("cannot take " + what + ": " + e.getMessage(), e);
        }
        ProcessResult r = run(args, BACKUP_TIMEOUT, new PgBackRestConf.ProgressTracker(progress));
        if (!r.ok()) {
            throw failure(what, r);
        }
        return lastListed(type, progress);
    }

    /**
     * Runs pgBackRest's TLS server ({@code pgbackrest server}) until it stops or the calling thread
     * is interrupted (then it is killed). Its remote processes reach the local PostgreSQL with the
     * same pgpass file as every other command.
     *
     * @throws BackupException without {@code backup.server}, or a certificate Baton cannot use
     */
    public ProcessResult serve(Consumer<String> lines) {
        BackupConfig.Server server = config.backup().server();
        if (server == null) {
            throw new BackupException("no backup.server is configured");
        }
        List<String> args;
        try {
            args = PgBackRestConf.serverArgs(server, serverCommonName(config), config.scope());
        } catch (IllegalArgumentException e) {
            throw new BackupException("cannot start pgBackRest's TLS server: " + e.getMessage(), e);
        }
        return run(args, SERVER_TIMEOUT, lines);
    }

    /**
     * The CommonName of {@code backup.server.certfile}: the client identity every member's server
     * accepts (and presents as a client).
     *
     * @throws IllegalArgumentException the file cannot be read, or has no usable CommonName
     */
    public static String serverCommonName(BatonConfig config) {
        Path certfile = config.backup().server().tls().certfile();
        java.security.cert.X509Certificate cert;
        try (java.io.InputStream in = Files.newInputStream(certfile)) {
            cert = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(in);
        } catch (IOException | java.security.cert.CertificateException | ClassCastException e) {
            throw new IllegalArgumentException("backup.server.certfile: cannot read a certificate from " + certfile
                    + ": " + e.getMessage());
        }
        try {
            return PgBackRestConf.commonName(cert.getSubjectX500Principal().getName());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("backup.server.certfile " + certfile + ": " + e.getMessage());
        }
    }

    /**
     * Kills what is left of an earlier agent's {@code pgbackrest server} for this node (its
     * command line names this node's configuration file), which would hold the port.
     */
    public int killStaleServers() {
        String marker = "--config=" + confFile;
        int killed = 0;
        for (ProcessHandle h : ProcessHandle.allProcesses().toList()) {
            if (h.pid() == ProcessHandle.current().pid()) {
                continue;
            }
            String[] args = h.info().arguments().orElse(null);
            if (args == null || args.length == 0 || !args[args.length - 1].equals("server")
                    || !java.util.Arrays.asList(args).contains(marker)) {
                continue;
            }
            LOG.warning("stopping a pgBackRest server left by an earlier agent (pid " + h.pid() + ")");
            h.destroy();
            killed++;
        }
        return killed;
    }

    @Override
    public List<BackupInfo> list() {
        return list(config.scope());
    }

    @Override
    public List<BackupInfo> list(String scope) {
        PgBackRestConf.checkScope(scope);
        ProcessResult r = run(List.of("--stanza=" + scope, "--output=json", "--log-level-console=warn", "info"),
                INFO_TIMEOUT, null);
        if (!r.ok()) {
            throw failure("pgbackrest info for " + scope, r);
        }
        return PgBackRestConf.parseInfo(json(r.output()), scope);
    }

    @Override
    public void restoreReplica(BackupProgress progress) {
        restore(PgBackRestConf.restoreStandbyArgs(config.scope()), "a standby restore of " + config.scope(),
                progress);
        // Baton's postgresql.conf has its own restore_command: pgBackRest's in postgresql.auto.conf would win.
        clearRestoreSettings();
    }

    @Override
    public void restoreCluster(RestoreConfig restore, BackupProgress progress) {
        String from = restore.fromScope() != null ? PgBackRestConf.checkScope(restore.fromScope()) : config.scope();
        restoredFrom = from;
        // pgBackRest's restore_command and recovery target stay in postgresql.auto.conf for the recovery
        // (it reads the source's stanza); clearRestoreSettings removes them after the promotion.
        restore(PgBackRestConf.restoreArgs(from, restore), "a restore of " + from + " to "
                + restore.describeTarget(), progress);
    }

    @Override
    public void clearRestoreSettings() {
        Path auto = dataDir.resolve("postgresql.auto.conf");
        try {
            if (!Files.exists(auto)) {
                return;
            }
            String text = Files.readString(auto);
            String stripped = PgBackRestConf.stripRestoreSettings(text);
            if (!stripped.equals(text)) {
                Path tmp = auto.resolveSibling(auto.getFileName() + ".baton-tmp");
                Files.writeString(tmp, stripped);
                move(tmp, auto);
            }
        } catch (IOException e) {
            throw new BackupException("cannot remove pgBackRest's recovery settings from " + auto + ": "
                    + e.getMessage(), e);
        }
    }

    private void restore(List<String> args, String what, BackupProgress progress) {
        try {
            if (Files.exists(dataDir)) {
                try (Stream<Path> entries = Files.list(dataDir)) {
                    if (entries.findAny().isPresent()) {
                        throw new BackupException("refusing " + what + ": " + dataDir + " is not empty");
                    }
                }
            } else {
                Files.createDirectories(dataDir.getParent());
                Files.createDirectory(dataDir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new BackupException("cannot prepare " + dataDir + " for " + what + ": " + e.getMessage(), e);
        }
        ProcessResult r;
        try {
            r = run(args, RESTORE_TIMEOUT, new PgBackRestConf.ProgressTracker(progress));
        } catch (RuntimeException e) {
            wipe();
            throw e;
        }
        if (!r.ok()) {
            wipe();
            throw failure(what, r);
        }
    }

    private void wipe() {
        try {
            DataDirectories.deleteContents(dataDir);
        } catch (IOException e) {
            LOG.warning("cannot empty " + dataDir + " after a failed restore: " + e.getMessage());
        }
    }

    /** Writes the configuration file, then runs {@code pgbackrest --config=<file> args...}. */
    private ProcessResult run(List<String> args, Duration timeout, Consumer<String> lines) {
        writeConf();
        List<String> argv = new ArrayList<>();
        argv.add(program);
        argv.add("--config=" + confFile);
        argv.addAll(args);
        Map<String, String> childEnv = Map.of("PGPASSFILE", pgpass.toString());
        return lines == null ? runner.run(argv, childEnv, null, timeout)
                : runner.run(argv, childEnv, null, timeout, lines);
    }

    /** The node's configuration file (0600, replaced atomically) and its lock and log folders (0700). */
    void writeConf() {
        String text;
        try {
            text = PgBackRestConf.conf(config.backup(), PgBackRestConf.node(config, restoredFrom), env, processMax);
        } catch (IllegalArgumentException e) {
            throw new BackupException("cannot write the pgBackRest configuration " + confFile + ": "
                    + e.getMessage(), e);
        }
        try {
            privateDir(PgBackRestConf.stateDir(dataDir));
            privateDir(PgBackRestConf.lockPath(dataDir));
            privateDir(PgBackRestConf.logPath(dataDir));
            privateDir(PgBackRestConf.spoolPath(dataDir));
            if (Files.exists(confFile) && Files.readString(confFile).equals(text)) {
                return;
            }
            Path tmp = confFile.resolveSibling(confFile.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, text);
            move(tmp, confFile);
        } catch (IOException e) {
            throw new BackupException("cannot write the pgBackRest configuration " + confFile + ": "
                    + e.getMessage(), e);
        }
    }

    private static void privateDir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir.getParent());
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The JSON in info's output (one line): warnings may come before it on the same stream. */
    static String json(String output) {
        List<String> arrays = output.lines().filter(l -> l.startsWith("[")).toList();
        return arrays.isEmpty() ? output : arrays.get(arrays.size() - 1);
    }

    private static BackupException failure(String what, ProcessResult r) {
        return new BackupException(what + (r.timedOut() ? " timed out: " : " failed (exit " + r.exitCode() + "): ")
                + lastLines(r.output()));
    }

    /**
     * pgBackRest's last lines, without the per-file DETAIL lines and the "command begin" line (every
     * option, often longer than the whole error budget).
     */
    static String lastLines(String output) {
        List<String> kept = output.strip().lines().filter(l -> !l.contains(" DETAIL: ")
                && !(l.contains(" INFO: ") && l.contains(" command begin "))).toList();
        int from = Math.max(0, kept.size() - 8);
        return dev.baton.config.Untrusted.shown(String.join(" | ", kept.subList(from, kept.size())), 2000);
    }
}
