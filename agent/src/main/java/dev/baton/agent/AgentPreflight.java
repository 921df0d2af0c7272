package dev.baton.agent;

import dev.baton.agent.api.RestTls;
import dev.baton.agent.backup.PgBackRestConf;
import dev.baton.agent.callbacks.CallbackRunner;
import dev.baton.agent.postgres.PgBinaries;
import dev.baton.agent.watchdog.WatchdogDevice;
import dev.baton.agent.watchdog.WatchdogSetup;
import dev.baton.config.BatonConfig;
import dev.baton.config.Callbacks;
import dev.baton.config.WatchdogConfig;
import dev.baton.leader.etcd.EtcdTls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every check the agent runs on a loaded configuration before it starts, in one place: the agent
 * refuses to start on any problem, and {@code baton agent --validate-config} runs exactly these and
 * lists them all. (Before, the validator only loaded the file, and the agent then refused files it
 * had called valid: no superuser password, an unbalanced quote in a callback.)
 *
 * <p>What is not checked here can only be known by starting: whether {@code restapi.listen}'s port
 * is free, whether etcd answers, the AWS region from the instance metadata, and the user (the agent
 * refuses root; the validator may well run as another user than the agent). Those are listed in
 * {@link #NOT_CHECKED}.
 */
public final class AgentPreflight {

    /** What a check looks at: the file alone, or also this machine (binaries, watchdog device, data directory). */
    public enum Scope {
        FILE, HOST
    }

    /** One reason the agent would not start, named by the configuration key it is about. */
    public record Problem(String key, String message, Scope scope) {
        @Override
        public String toString() {
            return key + ": " + message;
        }
    }

    /** Said by {@code --validate-config}: what only starting the agent finds out. */
    public static final String NOT_CHECKED = "whether restapi.listen's port is free, whether etcd answers, "
            + "the AWS region from the instance metadata, and the user (the agent refuses to run as root)";

    /** What the machine checks read; {@link #system()} reads the file system. */
    public interface Host {
        /** Why the PostgreSQL server binaries cannot be used ({@code binDir} null: search for them), or empty. */
        Optional<String> binariesProblem(Path binDir);

        WatchdogDevice.Probe watchdog(Path device);

        boolean exists(Path path);

        boolean isDirectory(Path path);

        /** {@code program} on the PATH (an executable file), for {@code pgbackrest}. */
        default Optional<Path> onPath(String program) {
            return dev.baton.agent.process.Executables.onPath(program);
        }

        /** setsid on PATH, for the watchdog's own session (WatchdogSetup). */
        default Optional<Path> setsid() {
            return WatchdogSetup.findSetsid(System.getenv("PATH"));
        }

        /** perl on PATH, which runs the fencing watchdog script (WatchdogScript). */
        default Optional<Path> perl() {
            return dev.baton.agent.process.Executables.onPath("perl");
        }

        static Host system() {
            return new Host() {
                @Override
                public Optional<String> binariesProblem(Path binDir) {
                    try {
                        PgBinaries.locate(binDir);
                        return Optional.empty();
                    } catch (IllegalArgumentException e) {
                        String m = e.getMessage();
                        String prefix = "postgresql.bin_dir: ";
                        return Optional.of(m.startsWith(prefix) ? m.substring(prefix.length()) : m);
                    }
                }

                @Override
                public WatchdogDevice.Probe watchdog(Path device) {
                    return WatchdogDevice.probe(device);
                }

                @Override
                public boolean exists(Path path) {
                    return Files.exists(path);
                }

                @Override
                public boolean isDirectory(Path path) {
                    return Files.isDirectory(path);
                }
            };
        }
    }

    private AgentPreflight() {
    }

    /** Every problem, in configuration order; empty when the agent would start (apart from {@link #NOT_CHECKED}). */
    public static List<Problem> check(BatonConfig c, Host host) {
        List<Problem> problems = new ArrayList<>();
        if (c.postgresql().authentication().superuser().password() == null) {
            problems.add(new Problem("postgresql.authentication.superuser.password",
                    "is required (the agent connects to PostgreSQL over TCP)", Scope.FILE));
        }
        callbacks(c.postgresql().callbacks()).forEach((key, command) -> {
            try {
                CallbackRunner.splitCommand(command);
            } catch (IllegalArgumentException e) {
                problems.add(new Problem("postgresql.callbacks." + key, e.getMessage(), Scope.FILE));
            }
        });
        var control = c.postgresql().control();
        Map<String, String> hooks = new LinkedHashMap<>();
        hooks.put("pre_promote", control.prePromote());
        hooks.put("before_stop", control.beforeStop());
        hooks.forEach((key, command) -> {
            try {
                if (command != null) {
                    CallbackRunner.splitCommand(command);
                }
            } catch (IllegalArgumentException e) {
                problems.add(new Problem("postgresql." + key, e.getMessage(), Scope.FILE));
            }
        });
        if (control.useUnixSocket() && c.backup() == null && c.postgresql().dataDir() != null) {
            // The agent connects through the socket: its directory must be usable (as with a repository).
            boolean operatorSet = c.postgresql().parameters().keySet().stream()
                    .anyMatch(k -> k.equalsIgnoreCase("unix_socket_directories"));
            PgBackRestConf.socketDirProblem(c).ifPresent(p -> problems.add(new Problem(operatorSet
                    ? "postgresql.parameters.unix_socket_directories" : "postgresql.data_dir",
                    p.replace("pgBackRest reaches", "use_unix_socket connects to"), Scope.FILE)));
        }
        for (var m : c.postgresql().createReplicaMethods()) {
            if (m.command() != null) {
                try {
                    CallbackRunner.splitCommand(m.command());
                } catch (IllegalArgumentException e) {
                    problems.add(new Problem("postgresql." + m.name() + ".command", e.getMessage(), Scope.FILE));
                }
            }
        }
        // etcd3: the TLS files of protocol https (issue 13, etcd part).
        EtcdTls.problem(c.etcd()).ifPresent(p -> problems.add(new Problem(p.key(), p.message(), Scope.HOST)));
        Path dataDir = c.postgresql().dataDir();
        if (dataDir != null && host.exists(dataDir) && !host.isDirectory(dataDir)) {
            problems.add(new Problem("postgresql.data_dir", dataDir + " exists and is not a directory", Scope.HOST));
        }
        // The REST API's TLS files and cipher list, read as the server will read them.
        RestTls.check(c.restapi()).forEach(p -> problems.add(new Problem(p.key(), p.message(),
                p.key().equals("restapi.ciphers") ? Scope.FILE : Scope.HOST)));
        host.binariesProblem(c.postgresql().binDir())
                .ifPresent(p -> problems.add(new Problem("postgresql.bin_dir", p, Scope.HOST)));
        // The peer client's key material (issue 13): the agent must be able to call its peers.
        // The peer client falls back to restapi's files: a key already reported above is not reported twice.
        dev.baton.agent.client.PeerClients.problems(c).forEach((k, m) -> {
            if (problems.stream().noneMatch(p -> p.key().equals(k))) {
                problems.add(new Problem(k, m, Scope.HOST));
            }
        });
        WatchdogConfig wd = c.watchdog();
        if ("required".equals(wd.mode())) {
            Path device = Path.of(wd.device());
            WatchdogDevice.Probe probe = host.watchdog(device);
            if (!probe.usable()) {
                problems.add(new Problem("watchdog.mode", WatchdogSetup.requiredButUnusable(device, probe), Scope.HOST));
            }
            String session = WatchdogSetup.setsidProblem(wd, host.setsid());
            if (session != null) {
                problems.add(new Problem("watchdog.mode", session, Scope.HOST));
            }
            String perl = WatchdogSetup.perlProblem(wd, host.perl());
            if (perl != null) {
                problems.add(new Problem("watchdog.mode", perl, Scope.HOST));
            }
        }
        if (c.backup() != null) {
            backup(c, host, problems);
        }
        return List.copyOf(problems);
    }

    /**
     * With a backup repository: pgBackRest is there, PostgreSQL's socket path fits a Unix socket, and
     * backup.server's certificate has the CommonName its TLS server authorises clients by.
     */
    private static void backup(BatonConfig c, Host host, List<Problem> problems) {
        Path program = c.backup().pgbackrest();
        if (program != null) {
            if (!host.exists(program) || host.isDirectory(program)) {
                problems.add(new Problem("backup.pgbackrest", program + " does not exist (install pgBackRest, "
                        + "Debian package pgbackrest)", Scope.HOST));
            }
        } else if (host.onPath("pgbackrest").isEmpty()) {
            problems.add(new Problem("backup.pgbackrest", "pgbackrest is not on the PATH: install pgBackRest "
                    + "(Debian package pgbackrest) or set backup.pgbackrest to the program", Scope.HOST));
        }
        if (c.backup().server() != null) {
            try {
                dev.baton.agent.backup.PgBackRest.serverCommonName(c);
            } catch (IllegalArgumentException e) {
                problems.add(new Problem("backup.server.certfile", e.getMessage().replaceFirst(
                        "^backup\\.server\\.certfile:? ", ""), Scope.HOST));
            }
        }
        if (c.postgresql().dataDir() != null) {
            boolean operatorSet = c.postgresql().parameters().keySet().stream()
                    .anyMatch(k -> k.equalsIgnoreCase("unix_socket_directories"));
            PgBackRestConf.socketDirProblem(c).ifPresent(p -> problems.add(new Problem(operatorSet
                    ? "postgresql.parameters.unix_socket_directories" : "postgresql.data_dir", p, Scope.FILE)));
        }
    }

    /**
     * Refuses to start on any problem.
     *
     * @throws IllegalArgumentException listing every problem, one per line
     */
    public static void requireNoProblems(BatonConfig c, Host host) {
        List<Problem> problems = check(c, host);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(describe(problems));
        }
    }

    /** One problem per line. */
    public static String describe(List<Problem> problems) {
        StringBuilder sb = new StringBuilder();
        for (Problem p : problems) {
            if (sb.length() > 0) {
                sb.append('\n');
            }
            sb.append(p);
        }
        return sb.toString();
    }

    /** The configured callback commands by key (Patroni's names), skipping the unset ones. */
    private static Map<String, String> callbacks(Callbacks cb) {
        Map<String, String> m = new LinkedHashMap<>();
        put(m, CallbackRunner.Action.ON_START, cb.onStart());
        put(m, CallbackRunner.Action.ON_STOP, cb.onStop());
        put(m, CallbackRunner.Action.ON_ROLE_CHANGE, cb.onRoleChange());
        put(m, CallbackRunner.Action.ON_RESTART, cb.onRestart());
        put(m, CallbackRunner.Action.ON_RELOAD, cb.onReload());
        return m;
    }

    private static void put(Map<String, String> m, CallbackRunner.Action action, String command) {
        if (command != null) {
            m.put(action.wireName(), command);
        }
    }
}
