package dev.baton.agent.postgres;

import dev.baton.agent.callbacks.CallbackRunner;
import dev.baton.agent.process.ProcessRunner;
import dev.baton.agent.process.ProcessRunner.ProcessResult;
import dev.baton.config.BatonConfig;
import dev.baton.config.CustomBootstrapMethod;
import dev.baton.config.DynamicConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * A new cluster's data directory made by a custom bootstrap method ({@code bootstrap.method:
 * <name>}, Patroni's "custom bootstrap"): the method's command, run with {@code --scope=} and
 * {@code --datadir=} (unless {@code no_params}) and its extra {@code --key=value} arguments; then
 * the recovery the method asks for. With {@code recovery_conf} its settings go into
 * {@code postgresql.auto.conf} between two marker lines and {@code recovery.signal} is written
 * ({@code standby.signal} with {@code standby_mode: on}), so that the first start recovers and
 * promotes; {@link #finishRecovery} removes them again once the server is a primary. Without it,
 * the signal files the command left are removed unless {@code keep_existing_recovery_conf}.
 *
 * <p>The data directory must be empty before the command runs, so that a failure can remove
 * everything in it without touching anything this bootstrap did not make.
 */
final class CustomBootstrap {
    private static final Logger LOG = Logger.getLogger(CustomBootstrap.class.getName());
    /** How long the command may run (a clone or restore of a big cluster). */
    static final Duration COMMAND_TIMEOUT = Duration.ofHours(12);
    static final String BEGIN = "# Recovery settings of Baton's custom bootstrap (removed after the promotion)";
    static final String END = "# End of the custom bootstrap's recovery settings";

    private final BatonConfig config;
    private final ProcessRunner runner;
    private final Path dataDir;
    private final DataDirInspector inspector;
    private final PgConfFiles files;

    CustomBootstrap(BatonConfig config, ProcessRunner runner, Path dataDir, DataDirInspector inspector,
                    PgConfFiles files) {
        this.config = config;
        this.runner = runner;
        this.dataDir = dataDir;
        this.inspector = inspector;
        this.files = files;
    }

    /**
     * Runs the method's command into the empty data directory, checks that it made one, writes
     * the recovery settings or removes the signal files, then {@code configure} (Baton's
     * postgresql.conf as a primary) and the bootstrap pg_hba lines. A standby.signal the method
     * keeps survives {@code configure}. On failure everything the command put in the directory
     * is removed and the failure is thrown.
     */
    void make(CustomBootstrapMethod method, DynamicConfig dynamic, Runnable configure) {
        if (!inspector.inspect().isEmpty()) {
            throw new PostgresException("refusing the custom bootstrap " + method.name() + ": " + dataDir
                    + " is not empty");
        }
        List<String> argv;
        try {
            argv = argv(method, config.scope(), dataDir);
        } catch (IllegalArgumentException e) {
            throw new PostgresException("bootstrap." + method.name() + ".command: " + e.getMessage(), e);
        }
        try {
            Files.createDirectories(dataDir.getParent());
        } catch (IOException e) {
            throw new PostgresException("cannot create " + dataDir.getParent() + ": " + e.getMessage(), e);
        }
        LOG.info("running the custom bootstrap method " + method.name() + ": " + argv);
        ProcessResult r = runner.run(argv, Map.of(), null, COMMAND_TIMEOUT);
        if (!r.ok()) {
            wipe();
            throw new PostgresException("the custom bootstrap method " + method.name() + " failed"
                    + (r.timedOut() ? " (timed out after " + COMMAND_TIMEOUT.toHours() + " h)" : " with exit code "
                    + r.exitCode()) + ": " + r.tail());
        }
        try {
            if (!Files.isRegularFile(dataDir.resolve("PG_VERSION"))) {
                wipe();
                throw new PostgresException("the custom bootstrap method " + method.name() + " exited 0 but left no "
                        + "PostgreSQL data directory in " + dataDir);
            }
            Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
            // As Patroni: a trigger file left behind would promote the server at once.
            Files.deleteIfExists(dataDir.resolve("promote"));
            Path recoverySignal = dataDir.resolve("recovery.signal");
            Path standbySignal = dataDir.resolve("standby.signal");
            if (!method.recoveryConf().isEmpty()) {
                Path auto = dataDir.resolve("postgresql.auto.conf");
                String text = Files.exists(auto) ? Files.readString(auto) : "";
                Files.writeString(auto, withRecoverySettings(text, method.recoveryConf()));
                boolean standby = isOn(method.recoveryConf().get("standby_mode"));
                Files.deleteIfExists(standby ? recoverySignal : standbySignal);
                Files.writeString(standby ? standbySignal : recoverySignal, "");
            } else if (!method.keepExistingRecoveryConf()) {
                Files.deleteIfExists(recoverySignal);
                Files.deleteIfExists(standbySignal);
            }
            boolean keepStandby = Files.exists(standbySignal);
            configure.run();
            if (keepStandby && !Files.exists(standbySignal)) {
                Files.writeString(standbySignal, "");
            }
            if (config.postgresql().pgHba().isEmpty() && !config.bootstrap().pgHba().isEmpty()) {
                files.writeHba(files.hbaText(config.bootstrap().pgHba(), dynamic));
            }
        } catch (IOException | RuntimeException e) {
            try {
                wipe();
            } catch (RuntimeException cleanup) {
                LOG.warning("cannot clean up after the failed custom bootstrap: " + cleanup.getMessage());
            }
            throw e instanceof PostgresException p ? p : new PostgresException("cannot finish the custom bootstrap "
                    + method.name() + " in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    /** After the promotion: the recovery settings this bootstrap wrote leave postgresql.auto.conf. */
    void finishRecovery(CustomBootstrapMethod method) {
        if (method.recoveryConf().isEmpty()) {
            return;
        }
        Path auto = dataDir.resolve("postgresql.auto.conf");
        try {
            if (Files.exists(auto)) {
                String text = Files.readString(auto);
                String stripped = withoutRecoverySettings(text, method.recoveryConf().keySet());
                if (!stripped.equals(text)) {
                    Files.writeString(auto, stripped);
                }
            }
        } catch (IOException e) {
            throw new PostgresException("cannot remove the custom bootstrap's recovery settings from " + auto + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * The command's words ({@code shlex.split}, no shell), then {@code --scope=<scope>
     * --datadir=<data dir>} unless {@code no_params}, then each extra key as {@code --key=value}
     * (Patroni's order).
     *
     * @throws IllegalArgumentException the command is empty or has an unclosed quote
     */
    static List<String> argv(CustomBootstrapMethod method, String scope, Path dataDir) {
        List<String> argv = new ArrayList<>(CallbackRunner.splitCommand(method.command()));
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("the command is empty");
        }
        if (!method.noParams()) {
            argv.add("--scope=" + scope);
            argv.add("--datadir=" + dataDir);
        }
        method.extraArgs().forEach((k, v) -> argv.add("--" + k + "=" + v));
        return argv;
    }

    /**
     * {@code autoConf} with the recovery settings appended between the two marker lines, each an
     * escaped string literal; any earlier line setting one of them goes ({@code standby_mode} only
     * chooses the signal file: PostgreSQL 12 and later do not know it).
     */
    static String withRecoverySettings(String autoConf, Map<String, String> settings) {
        StringBuilder sb = new StringBuilder(withoutRecoverySettings(autoConf, settings.keySet()));
        if (sb.length() > 0 && sb.charAt(sb.length() - 1) != '\n') {
            sb.append('\n');
        }
        sb.append(BEGIN).append('\n');
        settings.forEach((k, v) -> {
            if (!k.equals("standby_mode")) {
                if (v.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                    throw new IllegalArgumentException("recovery_conf." + k + " contains a control character");
                }
                sb.append(k).append(" = ").append(PgConfRenderer.gucString(v)).append('\n');
            }
        });
        sb.append(END).append('\n');
        return sb.toString();
    }

    /** {@code autoConf} without the marker lines and without any line that sets one of {@code keys}. */
    static String withoutRecoverySettings(String autoConf, Collection<String> keys) {
        StringBuilder sb = new StringBuilder();
        for (String line : autoConf.split("\n", -1)) {
            if (line.equals(BEGIN) || line.equals(END) || keys.stream().anyMatch(k -> sets(line, k))) {
                continue;
            }
            sb.append(line).append('\n');
        }
        return sb.substring(0, Math.max(0, sb.length() - 1));
    }

    private static boolean sets(String line, String key) {
        return Pattern.compile("\\s*" + Pattern.quote(key) + "\\s*=.*").matcher(line).matches();
    }

    private static boolean isOn(String v) {
        return v != null && List.of("on", "true", "yes", "1").contains(v.trim().toLowerCase(java.util.Locale.ROOT));
    }

    private void wipe() {
        try {
            DataDirectories.deleteContents(dataDir);
        } catch (IOException e) {
            throw new PostgresException("cannot clean " + dataDir + ": " + e.getMessage(), e);
        }
    }
}
