package dev.baton.agent.postgres;

import dev.baton.agent.process.ProcessRunner;
import dev.baton.agent.process.ProcessRunner.ProcessResult;
import dev.baton.config.BatonConfig;
import dev.baton.config.Credentials;
import dev.baton.config.DynamicConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * The PostgreSQL controller for an instance on this machine, driving the real binaries through a
 * {@link ProcessRunner} and querying the server over JDBC as the configured superuser.
 *
 * <p>Baton owns {@code postgresql.conf}: the file initdb wrote is kept as
 * {@code postgresql.base.conf} and included first. Passwords never appear in argv: programs get
 * them from the pgpass file ({@code postgresql.pgpass}) and initdb from a temporary pwfile.
 */
public final class LocalPostgres implements PostgresController {
    private static final Logger LOG = Logger.getLogger(LocalPostgres.class.getName());
    static final String HEADER = "# Written by Baton. Do not edit: set parameters in Baton's configuration.";
    private static final Duration SHORT = Duration.ofSeconds(30);

    private final BatonConfig config;
    private final PgBinaries bin;
    private final ProcessRunner runner;
    private final Path dataDir;
    private Connection connection;
    private volatile String configuredUpstream;

    public LocalPostgres(BatonConfig config, PgBinaries bin, ProcessRunner runner) {
        this.config = config;
        this.bin = bin;
        this.runner = runner;
        this.dataDir = config.postgresql().dataDir().toAbsolutePath().normalize();
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The server log, beside the data directory so that pg_basebackup does not copy it. */
    public Path logFile() {
        return dataDir.resolveSibling(dataDir.getFileName() + ".log");
    }

    // ---------------------------------------------------------------- inspection

    @Override
    public DataDirInfo inspectDataDir() {
        if (!Files.exists(dataDir)) {
            return DataDirInfo.of(DataDirInfo.Kind.ABSENT);
        }
        if (!Files.isDirectory(dataDir)) {
            return DataDirInfo.invalid(dataDir + " exists and is not a directory");
        }
        try (Stream<Path> entries = Files.list(dataDir)) {
            if (entries.findAny().isEmpty()) {
                return DataDirInfo.of(DataDirInfo.Kind.EMPTY);
            }
        } catch (IOException e) {
            return DataDirInfo.invalid("cannot read " + dataDir + ": " + e.getMessage());
        }
        if (!Files.exists(dataDir.resolve("PG_VERSION")) || !Files.exists(dataDir.resolve("global/pg_control"))) {
            return DataDirInfo.invalid(dataDir + " is not empty and is not a PostgreSQL data directory");
        }
        ProcessResult r = runner.run(List.of(bin.path("pg_controldata"), "-D", dataDir.toString()),
                Map.of("LC_ALL", "C"), null, SHORT);
        if (!r.ok()) {
            return DataDirInfo.invalid("pg_controldata failed on " + dataDir + ": " + r.tail());
        }
        Map<String, String> fields = new HashMap<>();
        for (String line : r.output().split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
            }
        }
        int tli = parseInt(fields.get("Latest checkpoint's TimeLineID"));
        long lsn = fields.containsKey("Latest checkpoint location") ? Lsn.parse(fields.get("Latest checkpoint location")) : 0;
        return new DataDirInfo(DataDirInfo.Kind.INITIALIZED, fields.get("Database system identifier"),
                fields.get("Database cluster state"), tli, lsn, Files.exists(dataDir.resolve("standby.signal")), null);
    }

    private static int parseInt(String s) {
        try {
            return s == null ? 0 : Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public boolean isRunning() {
        Path pidFile = dataDir.resolve("postmaster.pid");
        try {
            if (!Files.exists(pidFile)) {
                return false;
            }
            List<String> lines = Files.readAllLines(pidFile);
            if (lines.isEmpty()) {
                return false;
            }
            long pid = Long.parseLong(lines.get(0).trim());
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && !zombie(pid);
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    /**
     * postgres refuses to start while postmaster.pid names an existing process, and a killed
     * postmaster that its parent has not reaped yet still exists as a zombie. Wait briefly for the
     * reaping; if it does not come, the zombie is certainly dead and its lock file is stale.
     */
    private void clearStalePidFile() {
        long pid = postmasterPid();
        if (pid <= 0 || !zombie(pid)) {
            return;
        }
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (System.nanoTime() - deadline < 0 && ProcessHandle.of(pid).isPresent() && zombie(pid)) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (ProcessHandle.of(pid).isPresent() && zombie(pid)) {
            try {
                Files.deleteIfExists(dataDir.resolve("postmaster.pid"));
                LOG.warning("removed postmaster.pid of the dead postmaster " + pid + " (an unreaped zombie)");
            } catch (IOException e) {
                LOG.warning("cannot remove the stale postmaster.pid: " + e.getMessage());
            }
        }
    }

    /** A killed postmaster that nobody reaped yet still "exists"; /proc says it is a zombie. */
    private static boolean zombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            return close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) == 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    /** The postmaster's pid, or -1. */
    public long postmasterPid() {
        try {
            List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"));
            return lines.isEmpty() ? -1 : Long.parseLong(lines.get(0).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static final String STATUS_SQL = """
            SELECT pg_is_in_recovery(), current_setting('server_version_num')::int,
                   pg_postmaster_start_time()::text,
                   CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END,
                   pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text,
                   pg_last_xact_replay_timestamp()::text,
                   CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END,
                   CASE WHEN pg_is_in_recovery() THEN NULL
                        ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END,
                   (SELECT timeline_id FROM pg_control_checkpoint()),
                   EXISTS (SELECT 1 FROM pg_settings WHERE pending_restart),
                   CASE WHEN pg_is_in_recovery() THEN
                        (SELECT max(('x' || substr(name, 1, 8))::bit(32)::int) FROM pg_ls_waldir()
                         WHERE name ~ '^[0-9A-F]{8}[.]history$') END
            """;
    private static final String RECEIVER_SQL =
            "SELECT status, received_tli, sender_host, sender_port FROM pg_stat_wal_receiver";
    private static final String REPLICATION_SQL = """
            SELECT application_name, client_addr::text, state, sync_state, sent_lsn::text, flush_lsn::text,
                   replay_lsn::text, extract(epoch from replay_lag)::float8
            FROM pg_stat_replication ORDER BY application_name
            """;

    @Override
    public synchronized PgStatus status() {
        if (!isRunning()) {
            closeConnection();
            return PgStatus.stopped();
        }
        try {
            Connection c = connection();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(STATUS_SQL)) {
                rs.next();
                boolean inRecovery = rs.getBoolean(1);
                int version = rs.getInt(2);
                String started = rs.getString(3);
                long write = Lsn.parse(rs.getString(4));
                long received = Lsn.parse(rs.getString(5));
                long replayed = Lsn.parse(rs.getString(6));
                String replayTs = rs.getString(7);
                boolean paused = rs.getBoolean(8);
                int timeline = rs.getInt(9);
                int checkpointTimeline = rs.getInt(10);
                boolean pendingRestart = rs.getBoolean(11);
                // A replica's control-file timeline moves only at its next restartpoint (minutes
                // after a promotion), and the WAL receiver's is gone when the primary is: the
                // newest timeline history file it fetched says which timeline it follows.
                int historyTimeline = rs.getInt(12);
                boolean streaming = false;
                String upstreamHost = null;
                int upstreamPort = 0;
                List<PgStatus.Replica> replicas = new ArrayList<>();
                if (inRecovery) {
                    timeline = Math.max(checkpointTimeline, historyTimeline);
                    try (ResultSet wr = st.executeQuery(RECEIVER_SQL)) {
                        if (wr.next()) {
                            streaming = "streaming".equals(wr.getString(1));
                            // While a WAL receiver runs, its timeline is the one being replayed. The
                            // newest history file is not: a replica that received WAL past the point
                            // where the new timeline forked has fetched that file and still cannot
                            // follow it, and must report the old timeline to be rewound.
                            int tli = wr.getInt(2);
                            if (tli > 0) {
                                timeline = tli;
                            }
                            upstreamHost = wr.getString(3);
                            upstreamPort = wr.getInt(4);
                        }
                    }
                } else {
                    try (ResultSet rr = st.executeQuery(REPLICATION_SQL)) {
                        while (rr.next()) {
                            double lag = rr.getDouble(8);
                            replicas.add(new PgStatus.Replica(rr.getString(1), rr.getString(2), rr.getString(3),
                                    rr.getString(4), Lsn.parse(rr.getString(5)), Lsn.parse(rr.getString(6)),
                                    Lsn.parse(rr.getString(7)), rr.wasNull() ? null : lag));
                        }
                    }
                }
                return new PgStatus(true, inRecovery, timeline, write, received, replayed, replayTs, paused,
                        streaming, upstreamHost, upstreamPort, started, version, replicas, pendingRestart);
            }
        } catch (SQLException e) {
            closeConnection();
            return PgStatus.stopped();
        }
    }

    private Connection connection() throws SQLException {
        if (connection != null && !connection.isClosed()) {
            return connection;
        }
        Credentials su = config.postgresql().authentication().superuser();
        Properties p = new Properties();
        p.setProperty("user", su.username());
        if (su.password() != null) {
            p.setProperty("password", su.password());
        }
        p.setProperty("connectTimeout", "3");
        p.setProperty("socketTimeout", "10");
        p.setProperty("ApplicationName", "baton");
        p.setProperty("assumeMinServerVersion", "13");
        String host = localHost();
        connection = DriverManager.getConnection(
                "jdbc:postgresql://" + hostForUrl(host) + ":" + config.postgresql().listenPort() + "/postgres", p);
        connection.setAutoCommit(true);
        return connection;
    }

    /** The address the agent uses to reach its own server: the listen host, or loopback for wildcards. */
    String localHost() {
        String h = config.postgresql().listenHost();
        if (h == null || h.isEmpty() || h.equals("*") || h.equals("0.0.0.0")) {
            return "127.0.0.1";
        }
        if (h.equals("::")) {
            return "::1";
        }
        return h.contains(",") ? h.substring(0, h.indexOf(',')).trim() : h;
    }

    private static String hostForUrl(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    private synchronized void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // closing a broken connection
            }
            connection = null;
        }
    }

    // ---------------------------------------------------------------- creation

    @Override
    public void initdb() {
        DataDirInfo info = inspectDataDir();
        if (!info.isEmpty()) {
            throw new PostgresException("refusing to initdb: " + dataDir + " is not empty");
        }
        Credentials su = config.postgresql().authentication().superuser();
        Path pwfile = null;
        try {
            Files.createDirectories(dataDir.getParent());
            pwfile = Files.createTempFile(dataDir.getParent(), ".baton-pw", "");
            Files.setPosixFilePermissions(pwfile, PosixFilePermissions.fromString("rw-------"));
            Files.writeString(pwfile, su.password() == null ? "" : su.password() + "\n");
            Set<String> args = new LinkedHashSet<>();
            args.add(bin.path("initdb"));
            args.add("-D");
            args.add(dataDir.toString());
            args.add("--username=" + su.username());
            args.add("--pwfile=" + pwfile);
            args.add("--auth-host=scram-sha-256");
            args.add("--auth-local=peer");
            args.add("--data-checksums");
            args.addAll(config.bootstrap().initdbArgs());
            args.remove("-k");
            ProcessResult r = runner.run(new ArrayList<>(args), Map.of("LC_ALL", "C.UTF-8"), null, Duration.ofMinutes(10));
            if (!r.ok()) {
                wipeDataDirectory();
                throw new PostgresException("initdb failed: " + r.tail());
            }
            writeHba(config.postgresql().pgHba().isEmpty() ? config.bootstrap().pgHba() : config.postgresql().pgHba());
        } catch (IOException e) {
            throw new PostgresException("initdb failed: " + e.getMessage(), e);
        } finally {
            deleteQuietly(pwfile);
        }
    }

    private void writeHba(List<String> lines) throws IOException {
        List<String> hba = lines.isEmpty() ? defaultHba() : lines;
        writeAtomically(dataDir.resolve("pg_hba.conf"), HEADER + "\n" + String.join("\n", hba) + "\n");
    }

    List<String> defaultHba() {
        String repl = config.postgresql().authentication().replication().username();
        return List.of(
                "local   all          all                  peer",
                "host    all          all        127.0.0.1/32  scram-sha-256",
                "host    all          all        ::1/128       scram-sha-256",
                "host    replication  " + repl + "  127.0.0.1/32  scram-sha-256",
                "host    replication  " + repl + "  ::1/128       scram-sha-256",
                "host    all          all        0.0.0.0/0     scram-sha-256",
                "host    replication  " + repl + "  0.0.0.0/0     scram-sha-256");
    }

    @Override
    public void basebackup(String host, int port) {
        DataDirInfo info = inspectDataDir();
        if (!info.isEmpty()) {
            throw new PostgresException("refusing to clone into " + dataDir + ": it is not empty");
        }
        writePgpass();
        try {
            Files.createDirectories(dataDir.getParent());
        } catch (IOException e) {
            throw new PostgresException("cannot create " + dataDir.getParent() + ": " + e.getMessage(), e);
        }
        List<String> argv = List.of(bin.path("pg_basebackup"), "-D", dataDir.toString(), "-X", "stream",
                "-c", "fast", "-h", host, "-p", Integer.toString(port),
                "-U", config.postgresql().authentication().replication().username(), "-w");
        ProcessResult r = runner.run(argv, Map.of("PGPASSFILE", pgpass().toString(), "PGAPPNAME", config.name()),
                null, Duration.ofHours(12));
        if (!r.ok()) {
            wipeDataDirectory();
            throw new PostgresException("pg_basebackup from " + host + ":" + port + " failed: " + r.tail());
        }
        try {
            Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
            if (!config.postgresql().pgHba().isEmpty()) {
                writeHba(config.postgresql().pgHba());
            }
        } catch (IOException e) {
            throw new PostgresException("cannot finish the clone in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- configuration

    @Override
    public void configure(boolean replica, Upstream upstream, DynamicConfig dynamic) {
        try {
            Path conf = dataDir.resolve("postgresql.conf");
            Path base = dataDir.resolve("postgresql.base.conf");
            if (!Files.exists(base)) {
                if (Files.exists(conf) && !Files.readString(conf).startsWith(HEADER)) {
                    Files.move(conf, base);
                } else {
                    Files.writeString(base, "");
                }
            }
            if (!config.postgresql().pgHba().isEmpty()) {
                writeHba(config.postgresql().pgHba());
            }
            Map<String, String> params = parameters(dynamic);
            if (replica && upstream != null) {
                params.put("primary_conninfo", conninfo(upstream.host(), upstream.port(),
                        config.postgresql().authentication().replication().username(), null));
                if (upstream.slotName() != null && dynamic.useSlots()) {
                    params.put("primary_slot_name", upstream.slotName());
                }
            }
            if (replica) {
                params.put("recovery_target_timeline", "latest");
            }
            StringBuilder sb = new StringBuilder(HEADER).append('\n');
            sb.append("include 'postgresql.base.conf'\n");
            params.forEach((k, v) -> sb.append(k).append(" = ").append(quote(v)).append('\n'));
            writeAtomically(conf, sb.toString());
            Path signal = dataDir.resolve("standby.signal");
            if (replica) {
                if (!Files.exists(signal)) {
                    Files.writeString(signal, "");
                }
            } else {
                Files.deleteIfExists(signal);
            }
            configuredUpstream = replica && upstream != null ? upstream.host() + ":" + upstream.port() : null;
            writePgpass();
        } catch (IOException e) {
            throw new PostgresException("cannot write the configuration in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String configuredUpstream() {
        return configuredUpstream;
    }

    /** Baton's defaults, then the dynamic (cluster-wide) parameters, then local ones, then what Baton enforces. */
    Map<String, String> parameters(DynamicConfig dynamic) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("max_connections", "100");
        p.put("max_wal_senders", "10");
        p.put("max_replication_slots", "10");
        p.put("wal_keep_size", "128MB");
        p.put("unix_socket_directories", "");
        // A replica that re-points to a new primary retries its WAL stream after this long.
        p.put("wal_retrieve_retry_interval", "1s");
        p.putAll(dynamic.parameters());
        p.putAll(config.postgresql().parameters());
        String listen = config.postgresql().listenHost();
        p.put("listen_addresses", listen == null || listen.isEmpty() ? "*" : listen);
        p.put("port", Integer.toString(config.postgresql().listenPort()));
        p.put("cluster_name", config.scope());
        p.put("hot_standby", "on");
        if (!"logical".equals(p.get("wal_level"))) {
            p.put("wal_level", "replica");
        }
        Boolean localRewind = config.postgresql().usePgRewind();
        if (localRewind != null ? localRewind : dynamic.usePgRewind()) {
            p.put("wal_log_hints", "on");
        }
        p.remove("primary_conninfo");
        p.remove("primary_slot_name");
        return p;
    }

    /** A libpq connection string with a passfile instead of a password. */
    String conninfo(String host, int port, String user, String dbname) {
        StringBuilder sb = new StringBuilder();
        sb.append("host=").append(connValue(host)).append(" port=").append(port)
                .append(" user=").append(connValue(user));
        if (dbname != null) {
            sb.append(" dbname=").append(connValue(dbname));
        }
        sb.append(" passfile=").append(connValue(pgpass().toString()))
                .append(" application_name=").append(connValue(config.name()))
                .append(" connect_timeout=3");
        return sb.toString();
    }

    private static String connValue(String v) {
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    private static String quote(String v) {
        return "'" + v.replace("'", "''") + "'";
    }

    Path pgpass() {
        Path configured = config.postgresql().pgpass();
        return configured != null ? configured.toAbsolutePath()
                : dataDir.resolveSibling("." + dataDir.getFileName() + ".pgpass");
    }

    private void writePgpass() {
        var auth = config.postgresql().authentication();
        StringBuilder sb = new StringBuilder();
        for (Credentials c : List.of(auth.replication(), auth.superuser())) {
            if (c.password() != null) {
                sb.append("*:*:*:").append(pgpassEscape(c.username())).append(':')
                        .append(pgpassEscape(c.password())).append('\n');
            }
        }
        try {
            Path file = pgpass();
            Files.createDirectories(file.getParent());
            if (Files.exists(file) && Files.readString(file).equals(sb.toString())) {
                return;
            }
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, sb.toString());
            move(tmp, file);
        } catch (IOException e) {
            throw new PostgresException("cannot write the pgpass file " + pgpass() + ": " + e.getMessage(), e);
        }
    }

    private static String pgpassEscape(String s) {
        return s.replace("\\", "\\\\").replace(":", "\\:");
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public void start(Duration timeout) {
        clearStalePidFile();
        writePgpass();
        ProcessResult r = runner.run(List.of(bin.path("pg_ctl"), "start", "-D", dataDir.toString(), "-w",
                "-t", Long.toString(Math.max(1, timeout.toSeconds())), "-l", logFile().toString(), "-s"),
                Map.of(), null, timeout.plusSeconds(10));
        if (!r.ok()) {
            throw new PostgresException("pg_ctl start failed (log " + logFile() + "): " + r.tail() + logTail());
        }
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(logFile());
            return "\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "";
        }
    }

    @Override
    public void stop(StopMode mode, Duration timeout) {
        closeConnection();
        if (!isRunning()) {
            return;
        }
        ProcessResult r = runner.run(List.of(bin.path("pg_ctl"), "stop", "-D", dataDir.toString(), "-w",
                "-t", Long.toString(Math.max(1, timeout.toSeconds())), "-m", mode.name().toLowerCase(), "-s"),
                Map.of(), null, timeout.plusSeconds(10));
        if (!r.ok() && isRunning()) {
            throw new PostgresException("pg_ctl stop -m " + mode.name().toLowerCase() + " failed: " + r.tail());
        }
    }

    @Override
    public void promote(Duration timeout) {
        ProcessResult r = runner.run(List.of(bin.path("pg_ctl"), "promote", "-D", dataDir.toString(), "-w",
                "-t", Long.toString(Math.max(1, timeout.toSeconds())), "-s"), Map.of(), null, timeout.plusSeconds(10));
        if (!r.ok()) {
            throw new PostgresException("pg_ctl promote failed: " + r.tail());
        }
    }

    @Override
    public void reload() {
        ProcessResult r = runner.run(List.of(bin.path("pg_ctl"), "reload", "-D", dataDir.toString(), "-s"), SHORT);
        if (!r.ok()) {
            throw new PostgresException("pg_ctl reload failed: " + r.tail());
        }
    }

    @Override
    public synchronized void checkpoint() {
        execute("CHECKPOINT");
    }

    @Override
    public synchronized void setSynchronousStandbyNames(String value) {
        // postgresql.auto.conf: it survives restarts and is what a clone or rewind copies along, so
        // a promoted node resets it before it opens for writes (see HaLoop).
        execute(value == null ? "ALTER SYSTEM RESET synchronous_standby_names"
                : "ALTER SYSTEM SET synchronous_standby_names = " + quote(value));
        execute("SELECT pg_reload_conf()");
    }

    @Override
    public synchronized void ensureReplicationRole() {
        Credentials repl = config.postgresql().authentication().replication();
        try {
            Connection c = connection();
            boolean exists;
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
                ps.setString(1, repl.username());
                try (ResultSet rs = ps.executeQuery()) {
                    exists = rs.next();
                }
            }
            String ident = "\"" + repl.username().replace("\"", "\"\"") + "\"";
            String password = repl.password() == null ? "NULL" : "'" + repl.password().replace("'", "''") + "'";
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                // Keep the password out of the server log whatever log_statement says.
                st.execute("SET LOCAL log_statement = 'none'");
                st.execute("SET LOCAL log_min_duration_statement = -1");
                st.execute("SET LOCAL log_min_error_statement = 'panic'");
                st.execute((exists ? "ALTER ROLE " : "CREATE ROLE ") + ident
                        + " WITH REPLICATION LOGIN PASSWORD " + password);
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            closeConnection();
            throw new PostgresException("cannot create the replication role " + repl.username() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized Set<String> physicalSlots() {
        try (Statement st = connection().createStatement();
             ResultSet rs = st.executeQuery("SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'physical'")) {
            Set<String> slots = new LinkedHashSet<>();
            while (rs.next()) {
                slots.add(rs.getString(1));
            }
            return slots;
        } catch (SQLException e) {
            closeConnection();
            throw new PostgresException("cannot list replication slots: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void createPhysicalSlot(String name) {
        executeWith("SELECT pg_create_physical_replication_slot(?) WHERE NOT EXISTS "
                + "(SELECT 1 FROM pg_replication_slots WHERE slot_name = ?)", name, name);
    }

    @Override
    public synchronized void dropPhysicalSlot(String name) {
        executeWith("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                + "WHERE slot_name = ? AND NOT active", name);
    }

    private void execute(String sql) {
        try (Statement st = connection().createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            closeConnection();
            throw new PostgresException(sql + " failed: " + e.getMessage(), e);
        }
    }

    private void executeWith(String sql, String... args) {
        try (PreparedStatement ps = connection().prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setString(i + 1, args[i]);
            }
            ps.execute();
        } catch (SQLException e) {
            closeConnection();
            throw new PostgresException("replication slot " + String.join(",", args) + ": " + e.getMessage(), e);
        }
    }

    private void crashRecoveryIfNeeded() {
        clearStalePidFile();
        if (inspectDataDir().uncleanShutdown()) {
            // pg_rewind needs a cleanly shut down target: let single-user mode finish crash recovery.
            ProcessResult rec = runner.run(List.of(bin.path("postgres"), "--single", "-D", dataDir.toString(),
                    "-c", "archive_mode=off", "postgres"), Map.of(), null, Duration.ofMinutes(30));
            if (!rec.ok()) {
                throw new PostgresException("crash recovery before pg_rewind failed: " + rec.tail());
            }
        }
    }

    private static final java.util.regex.Pattern DIVERGED = java.util.regex.Pattern.compile(
            "servers diverged at WAL location ([0-9A-Fa-f]+/[0-9A-Fa-f]+) on timeline (\\d+)");

    @Override
    public RewindCheck checkRewind(String host, int port) {
        crashRecoveryIfNeeded();
        writePgpass();
        ProcessResult r = runner.run(List.of(bin.path("pg_rewind"), "-D", dataDir.toString(), "--dry-run",
                "--source-server=" + rewindSource(host, port)), Map.of("PGPASSFILE", pgpass().toString()), null,
                Duration.ofMinutes(10));
        if (!r.ok()) {
            throw new PostgresException("pg_rewind --dry-run against " + host + ":" + port + " failed: " + r.tail());
        }
        java.util.regex.Matcher m = DIVERGED.matcher(r.output());
        long lsn = 0;
        int tli = 0;
        if (m.find()) {
            lsn = Lsn.parse(m.group(1));
            tli = Integer.parseInt(m.group(2));
        }
        return new RewindCheck(!r.output().contains("no rewind required"), lsn, tli, r.output().strip());
    }

    private static final java.util.regex.Pattern LSN_IN_WALDUMP = java.util.regex.Pattern.compile(
            "(?:lsn: |at )([0-9A-Fa-f]+/[0-9A-Fa-f]+)");

    @Override
    public long localWalEnd() {
        Path walDir = dataDir.resolve("pg_wal");
        String last;
        try (Stream<Path> files = Files.list(walDir)) {
            last = files.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9A-F]{24}"))
                    .max(String::compareTo).orElse(null);
        } catch (IOException e) {
            return 0;
        }
        if (last == null) {
            return 0;
        }
        ProcessResult r = runner.run(List.of(bin.path("pg_waldump"), "-p", walDir.toString(), last),
                Map.of("LC_ALL", "C"), null, Duration.ofMinutes(5));
        long end = 0;
        java.util.regex.Matcher m = LSN_IN_WALDUMP.matcher(r.output());
        while (m.find()) {
            end = Math.max(end, Lsn.parse(m.group(1)));
        }
        return end;
    }

    @Override
    public Path keepWal(int timeline, long fromLsn) {
        long segSize = walSegmentSize();
        long fromSeg = fromLsn / segSize;
        Path dest = dataDir.resolveSibling(dataDir.getFileName() + ".diverged").resolve(
                java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss").format(java.time.LocalDateTime.now())
                        + "-tl" + timeline + "-" + Lsn.format(fromLsn).replace('/', '_'));
        String tl = String.format("%08X", timeline);
        try (Stream<Path> files = Files.list(dataDir.resolve("pg_wal"))) {
            Files.createDirectories(dest);
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (n.matches("[0-9A-F]{24}") && n.startsWith(tl)) {
                    long seg = Long.parseLong(n.substring(8, 16), 16) * (0x100000000L / segSize)
                            + Long.parseLong(n.substring(16, 24), 16);
                    if (seg >= fromSeg) {
                        Files.copy(f, dest.resolve(n), StandardCopyOption.COPY_ATTRIBUTES);
                    }
                }
            }
            return dest;
        } catch (IOException e) {
            throw new PostgresException("cannot keep the diverged WAL in " + dest + ": " + e.getMessage(), e);
        }
    }

    private long walSegmentSize() {
        ProcessResult r = runner.run(List.of(bin.path("pg_controldata"), "-D", dataDir.toString()),
                Map.of("LC_ALL", "C"), null, SHORT);
        for (String line : r.output().split("\n")) {
            if (line.startsWith("Bytes per WAL segment:")) {
                return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        return 16L * 1024 * 1024;
    }

    private String rewindSource(String host, int port) {
        return conninfo(host, port, config.postgresql().authentication().superuser().username(), "postgres");
    }

    @Override
    public void rewind(String host, int port) {
        crashRecoveryIfNeeded();
        writePgpass();
        ProcessResult r = runner.run(List.of(bin.path("pg_rewind"), "-D", dataDir.toString(),
                "--source-server=" + rewindSource(host, port), "--progress"), Map.of("PGPASSFILE", pgpass().toString()),
                null, Duration.ofHours(2));
        if (!r.ok()) {
            throw new PostgresException("pg_rewind from " + host + ":" + port + " failed: " + r.tail());
        }
    }

    @Override
    public synchronized String timelineHistory(int timeline) {
        try (PreparedStatement ps = connection().prepareStatement("SELECT pg_read_file(?, 0, 1048576, true)")) {
            ps.setString(1, String.format("pg_wal/%08X.history", timeline));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            closeConnection();
            return null;
        }
    }

    @Override
    public void removeDataDirectory() {
        if (isRunning()) {
            throw new PostgresException("refusing to remove " + dataDir + " while PostgreSQL runs");
        }
        wipeDataDirectory();
    }

    private void wipeDataDirectory() {
        if (!Files.exists(dataDir)) {
            return;
        }
        try {
            Files.walkFileTree(dataDir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    if (!dir.equals(dataDir)) {
                        Files.delete(dir);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new PostgresException("cannot clean " + dataDir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        closeConnection();
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
