package dev.baton.agent.postgres;

import dev.baton.config.BatonConfig;
import dev.baton.config.Credentials;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;

/**
 * What the agent asks and tells the running server over JDBC, as the superuser, on one cached
 * connection. Calls are serialised (the HA loop and the REST API share the connection); a failed
 * call drops the connection, and the next one opens a new one.
 */
final class PgQueries {

    /** Opens a connection to the local server (a fake in tests). */
    @FunctionalInterface
    interface Connector {
        Connection connect() throws SQLException;
    }

    static final String STATUS_SQL = """
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
    static final String RECEIVER_SQL =
            "SELECT status, received_tli, sender_host, sender_port FROM pg_stat_wal_receiver";
    static final String REPLICATION_SQL = """
            SELECT application_name, client_addr::text, state, sync_state, sent_lsn::text, flush_lsn::text,
                   replay_lsn::text, extract(epoch from replay_lag)::float8, usename::text, sync_priority
            FROM pg_stat_replication ORDER BY application_name
            """;

    private final Connector connector;
    /** A connection to another database of the local server (logical slots are made inside theirs). */
    private final Function<String, Connector> databases;
    private Connection connection;

    PgQueries(Connector connector) {
        this(connector, database -> connector);
    }

    PgQueries(Connector connector, Function<String, Connector> databases) {
        this.connector = connector;
        this.databases = databases;
    }

    /**
     * Connects to the node's own server as the superuser: over TCP with the superuser's TLS
     * options ({@link PgJdbcTls}), or with {@code postgresql.use_unix_socket} through the Unix
     * socket ({@link #socketFile}), where, as with libpq, TLS is not used.
     */
    static Connector jdbc(BatonConfig config) {
        return jdbc(config, "postgres");
    }

    /**
     * {@link #jdbc(BatonConfig)} to {@code database} (untrusted: URL-encoded into the JDBC URL,
     * which the driver decodes).
     */
    static Connector jdbc(BatonConfig config, String database) {
        Credentials su = config.postgresql().authentication().superuser();
        boolean unix = config.postgresql().control().useUnixSocket();
        String url = "jdbc:postgresql://" + (unix ? "localhost" : hostForUrl(localHost(config.postgresql().listenHost())))
                + ":" + config.postgresql().listenPort() + "/"
                + java.net.URLEncoder.encode(database, java.nio.charset.StandardCharsets.UTF_8);
        String socketFile = unix ? socketFile(config).toString() : null;
        return () -> {
            Properties p = new Properties();
            p.setProperty("user", su.username());
            if (su.password() != null) {
                p.setProperty("password", su.password());
            }
            p.setProperty("connectTimeout", "3");
            p.setProperty("socketTimeout", "10");
            p.setProperty("ApplicationName", "baton");
            p.setProperty("assumeMinServerVersion", "13");
            if (socketFile != null) {
                p.setProperty("socketFactory", UnixSocketFactory.class.getName());
                p.setProperty("socketFactoryArg", socketFile);
                p.setProperty("sslmode", "disable");
                p.setProperty("gssEncMode", "disable");
            } else {
                p.putAll(PgJdbcTls.properties(su.libpqOptions()));
            }
            return DriverManager.getConnection(url, p);
        };
    }

    /**
     * The server's socket for {@code use_unix_socket}: {@code .s.PGSQL.<port>} in the first of
     * {@code unix_socket_directories} (Baton's {@code <data_dir>.sock} when it is not set).
     */
    static java.nio.file.Path socketFile(BatonConfig config) {
        return dev.baton.agent.backup.PgBackRestConf.socketDir(config)
                .resolve(".s.PGSQL." + config.postgresql().listenPort());
    }

    /** The address the agent uses to reach its own server: the listen host, or loopback for wildcards. */
    static String localHost(String listenHost) {
        String h = listenHost;
        if (h == null || h.isEmpty() || h.equals("*") || h.equals("0.0.0.0")) {
            return "127.0.0.1";
        }
        if (h.equals("::")) {
            return "::1";
        }
        return h.contains(",") ? h.substring(0, h.indexOf(',')).trim() : h;
    }

    static String hostForUrl(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    /** The server's state; {@link PgStatus#stopped()} when it cannot be queried. */
    synchronized PgStatus status() {
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
                            Double lagOrNull = rr.wasNull() ? null : lag;
                            replicas.add(new PgStatus.Replica(rr.getString(1), rr.getString(2), rr.getString(3),
                                    rr.getString(4), Lsn.parse(rr.getString(5)), Lsn.parse(rr.getString(6)),
                                    Lsn.parse(rr.getString(7)), lagOrNull, rr.getString(9), rr.getInt(10)));
                        }
                    }
                }
                authenticationFailure = null;
                return new PgStatus(true, inRecovery, timeline, write, received, replayed, replayTs, paused,
                        streaming, upstreamHost, upstreamPort, started, version, replicas, pendingRestart);
            }
        } catch (SQLException e) {
            close();
            // SQLSTATE class 28: invalid authorization (a wrong password, no such role, no pg_hba line).
            authenticationFailure = e.getSQLState() != null && e.getSQLState().startsWith("28")
                    ? e.getSQLState() + " " + String.valueOf(e.getMessage()) : null;
            return PgStatus.stopped();
        }
    }

    private volatile String authenticationFailure;

    /** Why the last {@link #status()} could not log in (SQLSTATE class 28 and the server's words), or null. */
    String authenticationFailure() {
        return authenticationFailure;
    }

    /** Where a promotion stands, as {@link #recovery()} sees it. */
    enum Recovery {
        /** Out of recovery: writable. */
        DONE,
        /** Still in recovery. */
        IN_PROGRESS,
        /**
         * Still in recovery, and the startup process sleeps out {@code wal_retrieve_retry_interval}
         * (wait event RecoveryRetrieveRetryInterval): a promote request it took while a WAL receiver
         * was starting is acted on only after that sleep, unless it is woken again.
         */
        RETRY_SLEEP
    }

    /**
     * The one question a promotion waits on: {@code pg_is_in_recovery()} and what the startup
     * process waits for; null when the server does not answer (not running, not yet accepting
     * connections).
     */
    synchronized Recovery recovery() {
        return firstRow(RECOVERY_SQL, rs -> !rs.getBoolean(1) ? Recovery.DONE
                : "RecoveryRetrieveRetryInterval".equals(rs.getString(2)) ? Recovery.RETRY_SLEEP : Recovery.IN_PROGRESS,
                null);
    }

    static final String RECOVERY_SQL = "SELECT pg_is_in_recovery(), (SELECT wait_event FROM pg_stat_activity"
            + " WHERE backend_type = 'startup' LIMIT 1)";

    /**
     * {@code pg_promote(false)}: the server writes its promote signal file and signals the
     * postmaster itself, over this connection (no pg_ctl process to start); false when it did not
     * answer or refused (e.g. no longer in recovery).
     */
    synchronized boolean signalPromote() {
        return firstRow("SELECT pg_promote(false)", rs -> rs.getBoolean(1), false);
    }

    synchronized void checkpoint() {
        execute("CHECKPOINT");
    }

    /** The synchronous_standby_names postgres runs with now, or null if it cannot be read. */
    synchronized String synchronousStandbyNames() {
        return firstRow("SELECT current_setting('synchronous_standby_names')", rs -> rs.getString(1), null);
    }

    /**
     * ALTER SYSTEM (postgresql.auto.conf: it survives restarts and is what a clone or rewind
     * copies along, so a promoted node resets it before it opens for writes), then a reload.
     */
    synchronized void setSynchronousStandbyNames(String value) {
        execute(value == null ? "ALTER SYSTEM RESET synchronous_standby_names"
                : "ALTER SYSTEM SET synchronous_standby_names = " + sqlLiteral(value));
        execute("SELECT pg_reload_conf()");
    }

    /** Creates the replication role, or sets its password and attributes if it exists. */
    synchronized void ensureReplicationRole(Credentials repl) {
        ensureRole(repl, "replication", exists -> List.of(roleStatement(exists, repl)));
    }

    /**
     * Creates the rewind role with the grants pg_rewind needs and those fencing needs
     * ({@link #fenceGrantStatements}), or sets its password if it exists.
     */
    synchronized void ensureRewindRole(Credentials rewind) {
        int version;
        try {
            version = serverVersion();
        } catch (SQLException e) {
            close();
            throw new PostgresException("cannot create the rewind role " + rewind.username() + ": " + e.getMessage(), e);
        }
        ensureRole(rewind, "rewind", exists -> {
            List<String> sql = new ArrayList<>(rewindRoleStatements(exists, rewind));
            sql.addAll(fenceGrantStatements(rewind.username(), version));
            return sql;
        });
    }

    /**
     * Gives an existing role that is no superuser what fencing a former primary as it needs
     * ({@link #fenceGrantStatements}); idempotent. Returns false when there is no such role or it is
     * a superuser (nothing to grant).
     */
    synchronized boolean ensureFenceGrants(String role) {
        try {
            Connection c = connection();
            int version = serverVersion();
            Boolean superuser = null;
            try (PreparedStatement ps = c.prepareStatement("SELECT rolsuper FROM pg_roles WHERE rolname = ?")) {
                ps.setString(1, role);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        superuser = rs.getBoolean(1);
                    }
                }
            }
            if (superuser == null || superuser) {
                return false;
            }
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                for (String sql : fenceGrantStatements(role, version)) {
                    st.execute(sql);
                }
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
            return true;
        } catch (SQLException e) {
            close();
            throw new PostgresException("cannot grant the fencing privileges to " + role + ": " + e.getMessage(), e);
        }
    }

    static final String VERSION_SQL = "SELECT current_setting('server_version_num')::int";

    private int serverVersion() throws SQLException {
        try (Statement st = connection().createStatement(); ResultSet rs = st.executeQuery(VERSION_SQL)) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    /**
     * What a candidate fencing a former primary as {@code role} needs there ({@link PgFence}):
     * ALTER SYSTEM on the two settings of the fence (PostgreSQL 15 and later; before, only a
     * superuser may run ALTER SYSTEM), EXECUTE on pg_reload_conf() and membership in
     * pg_signal_backend, to terminate the sessions of other roles that are no superusers.
     */
    static List<String> fenceGrantStatements(String role, int serverVersion) {
        String r = ident(role);
        List<String> sql = new ArrayList<>();
        if (serverVersion >= 150000) {
            sql.add("GRANT ALTER SYSTEM ON PARAMETER synchronous_standby_names, default_transaction_read_only TO " + r);
        }
        sql.add("GRANT EXECUTE ON FUNCTION pg_catalog.pg_reload_conf() TO " + r);
        sql.add("GRANT pg_signal_backend TO " + r);
        return sql;
    }

    /**
     * Creates a {@code bootstrap.users} role, or updates its options and password if it exists
     * ({@link #bootstrapUserStatement}), in a transaction the server logs without its statement.
     */
    synchronized void ensureBootstrapUser(dev.baton.config.BootstrapUser user) {
        ensureRole(user.name(), "bootstrap", exists -> List.of(bootstrapUserStatement(exists, user)));
    }

    /** The role options a bootstrap user may carry (checked again here: they are written into SQL). */
    private static final java.util.regex.Pattern ROLE_OPTION = java.util.regex.Pattern.compile(
            "(NO)?(SUPERUSER|CREATEDB|CREATEROLE|INHERIT|LOGIN|REPLICATION|BYPASSRLS)|CONNECTION LIMIT (-1|\\d{1,9})");

    /**
     * Patroni 3.x's {@code CREATE ROLE} (or {@code ALTER ROLE}) "name" {@code WITH} options,
     * {@code LOGIN} unless the options say LOGIN or NOLOGIN, and {@code PASSWORD} as an escape
     * string literal (right whatever standard_conforming_strings says) when there is one.
     *
     * @throws IllegalArgumentException an option is not a role option keyword
     */
    static String bootstrapUserStatement(boolean exists, dev.baton.config.BootstrapUser user) {
        List<String> options = new ArrayList<>();
        for (String o : user.options()) {
            String option = o.trim().toUpperCase(java.util.Locale.ROOT);
            if (!ROLE_OPTION.matcher(option).matches()) {
                throw new IllegalArgumentException("bootstrap.users." + user.name() + ": \"" + o
                        + "\" is not a role option");
            }
            options.add(option);
        }
        if (!options.contains("LOGIN") && !options.contains("NOLOGIN")) {
            options.add("LOGIN");
        }
        if (user.password() != null) {
            options.add("PASSWORD " + escapeLiteral(user.password()));
        }
        return (exists ? "ALTER ROLE " : "CREATE ROLE ") + ident(user.name()) + " WITH " + String.join(" ", options);
    }

    /** An escape string literal {@code E'...'}: {@code \} and {@code '} doubled, read the same under any setting. */
    static String escapeLiteral(String v) {
        return "E'" + v.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    /** Runs the role's statements in one transaction that the server logs without its statements. */
    private void ensureRole(Credentials role, String what, Function<Boolean, List<String>> statements) {
        ensureRole(role.username(), what, statements);
    }

    private void ensureRole(String name, String what, Function<Boolean, List<String>> statements) {
        try {
            Connection c = connection();
            boolean exists;
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    exists = rs.next();
                }
            }
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                // Keep the password out of the server log whatever log_statement says.
                st.execute("SET LOCAL log_statement = 'none'");
                st.execute("SET LOCAL log_min_duration_statement = -1");
                st.execute("SET LOCAL log_min_error_statement = 'panic'");
                // Nor in pg_stat_statements, when it is loaded.
                st.execute("SELECT set_config('pg_stat_statements.track_utility', 'off', true) FROM pg_settings "
                        + "WHERE name = 'pg_stat_statements.track_utility'");
                for (String sql : statements.apply(exists)) {
                    st.execute(sql);
                }
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            close();
            throw new PostgresException("cannot create the " + what + " role " + name + ": " + e.getMessage(), e);
        }
    }

    /** {@code CREATE ROLE} or {@code ALTER ROLE} "name" {@code WITH REPLICATION LOGIN PASSWORD} '…' (or NULL). */
    static String roleStatement(boolean exists, Credentials repl) {
        String password = repl.password() == null ? "NULL" : sqlLiteral(repl.password());
        return (exists ? "ALTER ROLE " : "CREATE ROLE ") + ident(repl.username())
                + " WITH REPLICATION LOGIN PASSWORD " + password;
    }

    /** The functions pg_rewind calls on its source server (Patroni grants the same). */
    static final List<String> REWIND_FUNCTIONS = List.of("pg_catalog.pg_ls_dir(text, boolean, boolean)",
            "pg_catalog.pg_stat_file(text, boolean)", "pg_catalog.pg_read_binary_file(text)",
            "pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)");

    /**
     * The rewind role: a login role that is no superuser ({@code CREATE ROLE} makes it
     * {@code NOSUPERUSER}; an existing role keeps its attributes and gets its password), with
     * EXECUTE on the functions pg_rewind calls.
     */
    static List<String> rewindRoleStatements(boolean exists, Credentials rewind) {
        String role = ident(rewind.username());
        String password = rewind.password() == null ? "NULL" : sqlLiteral(rewind.password());
        List<String> sql = new ArrayList<>();
        sql.add(exists ? "ALTER ROLE " + role + " WITH LOGIN PASSWORD " + password
                : "CREATE ROLE " + role + " WITH NOSUPERUSER LOGIN PASSWORD " + password);
        REWIND_FUNCTIONS.forEach(f -> sql.add("GRANT EXECUTE ON FUNCTION " + f + " TO " + role));
        return sql;
    }

    /** A quoted SQL identifier: double quotes, with {@code "} doubled. */
    static String ident(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    /** An SQL string literal (standard_conforming_strings: only {@code '} is special). */
    static String sqlLiteral(String v) {
        return "'" + v.replace("'", "''") + "'";
    }

    synchronized Set<String> physicalSlots() {
        try (Statement st = connection().createStatement();
             ResultSet rs = st.executeQuery("SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'physical'")) {
            Set<String> slots = new LinkedHashSet<>();
            while (rs.next()) {
                slots.add(rs.getString(1));
            }
            return slots;
        } catch (SQLException e) {
            close();
            throw new PostgresException("cannot list replication slots: " + e.getMessage(), e);
        }
    }

    /** Every non-temporary slot, sorted by name. */
    synchronized List<ReplicationSlot> replicationSlots() {
        try (Statement st = connection().createStatement();
             ResultSet rs = st.executeQuery("SELECT slot_name, slot_type, database, plugin FROM pg_replication_slots "
                     + "WHERE NOT temporary ORDER BY slot_name")) {
            List<ReplicationSlot> slots = new ArrayList<>();
            while (rs.next()) {
                slots.add(new ReplicationSlot(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)));
            }
            return slots;
        } catch (SQLException e) {
            close();
            throw new PostgresException("cannot list replication slots: " + e.getMessage(), e);
        }
    }

    /**
     * Creates a logical slot over a one-off connection to {@code database} (a logical slot belongs
     * to the database it is made in); name and plugin are bind parameters.
     */
    synchronized void createLogicalSlot(String name, String database, String plugin) {
        String create;
        try {
            // PostgreSQL 17: failover = true, so that standbys with sync_replication_slots keep it.
            create = serverVersion() >= PgParameters.SYNC_REPLICATION_SLOTS
                    ? "pg_create_logical_replication_slot(?, ?, false, false, true)"
                    : "pg_create_logical_replication_slot(?, ?)";
        } catch (SQLException e) {
            close();
            throw new PostgresException("logical replication slot " + name + ": " + e.getMessage(), e);
        }
        try (Connection c = databases.apply(database).connect();
             PreparedStatement ps = c.prepareStatement("SELECT " + create + " WHERE NOT EXISTS "
                     + "(SELECT 1 FROM pg_replication_slots WHERE slot_name = ?)")) {
            ps.setString(1, name);
            ps.setString(2, plugin);
            ps.setString(3, name);
            ps.execute();
        } catch (SQLException e) {
            throw new PostgresException("logical replication slot " + name + ": " + e.getMessage(), e);
        }
    }

    /** Every non-temporary slot with its position (logical: confirmed_flush_lsn, physical: restart_lsn), by name. */
    synchronized List<SlotPosition> slotPositions() {
        try (Statement st = connection().createStatement();
             ResultSet rs = st.executeQuery("SELECT slot_name, slot_type, database, plugin, "
                     + "(CASE WHEN slot_type = 'logical' THEN confirmed_flush_lsn ELSE restart_lsn END)::text, active "
                     + "FROM pg_replication_slots WHERE NOT temporary ORDER BY slot_name")) {
            List<SlotPosition> slots = new ArrayList<>();
            while (rs.next()) {
                String lsn = rs.getString(5);
                slots.add(new SlotPosition(new ReplicationSlot(rs.getString(1), rs.getString(2), rs.getString(3),
                        rs.getString(4)), lsn == null ? 0 : Lsn.parse(lsn), rs.getBoolean(6)));
            }
            return slots;
        } catch (SQLException e) {
            close();
            throw new PostgresException("cannot list replication slots: " + e.getMessage(), e);
        }
    }

    /**
     * The first position of the oldest WAL segment in pg_wal (0 when there is none), from its file
     * name and wal_segment_size.
     */
    synchronized long oldestWalLsn() {
        try (Statement st = connection().createStatement();
             ResultSet rs = st.executeQuery("SELECT (SELECT min(name) FROM pg_ls_waldir() "
                     + "WHERE name ~ '^[0-9A-F]{24}$'), (SELECT setting::bigint FROM pg_settings "
                     + "WHERE name = 'wal_segment_size')")) {
            return rs.next() ? segmentStart(rs.getString(1), rs.getLong(2)) : 0;
        } catch (SQLException e) {
            close();
            throw new PostgresException("cannot list pg_wal: " + e.getMessage(), e);
        }
    }

    /** The first position of WAL segment {@code name} (timeline, log, segment: 8 hex digits each); 0 for none. */
    static long segmentStart(String name, long segmentSize) {
        if (name == null || !name.matches("[0-9A-F]{24}") || segmentSize <= 0) {
            return 0;
        }
        long log = Long.parseLong(name.substring(8, 16), 16);
        long seg = Long.parseLong(name.substring(16, 24), 16);
        return (log << 32) + seg * segmentSize;
    }

    /**
     * pg_replication_slot_advance, the name and position bound: a logical slot over a one-off
     * connection to its database (PostgreSQL requires it), a physical one over the usual connection.
     */
    synchronized void advanceSlot(String name, String database, long lsn) {
        String sql = "SELECT pg_replication_slot_advance(?, ?::pg_lsn)";
        if (database == null) {
            executeWith(sql, name, Lsn.format(lsn));
            return;
        }
        try (Connection c = databases.apply(database).connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, name);
            ps.setString(2, Lsn.format(lsn));
            ps.execute();
        } catch (SQLException e) {
            throw new PostgresException("advancing replication slot " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * The state file of slot {@code name} ({@code pg_replslot/<name>/state}) read over {@code c}
     * (a connection to the primary); the name is bound, and must be a slot name (no path).
     */
    static byte[] readSlotState(Connection c, String name) throws SQLException {
        if (!name.matches("[a-z0-9_]{1,63}")) {
            throw new IllegalArgumentException("not a replication slot name: " + name);
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_read_binary_file('pg_replslot/' || ? || '/state')")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || rs.getBytes(1) == null) {
                    throw new SQLException("no state file for slot " + name);
                }
                return rs.getBytes(1);
            }
        }
    }

    synchronized void createPhysicalSlot(String name) {
        executeWith("SELECT pg_create_physical_replication_slot(?) WHERE NOT EXISTS "
                + "(SELECT 1 FROM pg_replication_slots WHERE slot_name = ?)", name, name);
    }

    /** Drops the slot unless a standby is streaming from it. */
    synchronized void dropPhysicalSlot(String name) {
        executeWith("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                + "WHERE slot_name = ? AND NOT active", name);
    }

    /** The content of the server's history file for {@code timeline}, or null. */
    synchronized String timelineHistory(int timeline) {
        try (PreparedStatement ps = connection().prepareStatement("SELECT pg_read_file(?, 0, 1048576, true)")) {
            ps.setString(1, String.format("pg_wal/%08X.history", timeline));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            close();
            return null;
        }
    }

    static final String ARCHIVER_SQL = "SELECT archived_count, last_archived_wal, last_archived_time, failed_count, "
            + "last_failed_wal, last_failed_time FROM pg_stat_archiver";

    /** {@code pg_stat_archiver}; null when the server cannot be queried. */
    synchronized ArchiverStats archiver() {
        try (Statement st = connection().createStatement(); ResultSet rs = st.executeQuery(ARCHIVER_SQL)) {
            if (!rs.next()) {
                return null;
            }
            java.sql.Timestamp archived = rs.getTimestamp(3);
            java.sql.Timestamp failed = rs.getTimestamp(6);
            return new ArchiverStats(rs.getLong(1), rs.getString(2), archived == null ? null : archived.toInstant(),
                    rs.getLong(4), rs.getString(5), failed == null ? null : failed.toInstant());
        } catch (SQLException e) {
            close();
            return null;
        }
    }

    /** Closes the cached connection, if any. */
    synchronized void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // closing a broken connection
            }
            connection = null;
        }
    }

    private Connection connection() throws SQLException {
        if (connection != null && !connection.isClosed()) {
            return connection;
        }
        connection = connector.connect();
        connection.setAutoCommit(true);
        return connection;
    }

    /** Reads a column of the first row of a query that always returns one. */
    @FunctionalInterface
    private interface RowReader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    /**
     * The first row of {@code sql}, read by {@code read}; {@code failed} when the server does not
     * answer or refuses (the connection is closed, the next call opens another).
     */
    private <T> T firstRow(String sql, RowReader<T> read, T failed) {
        try (Statement st = connection().createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return read.read(rs);
        } catch (SQLException e) {
            close();
            return failed;
        }
    }

    private void execute(String sql) {
        try (Statement st = connection().createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            close();
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
            close();
            throw new PostgresException("replication slot " + String.join(",", args) + ": " + e.getMessage(), e);
        }
    }
}
