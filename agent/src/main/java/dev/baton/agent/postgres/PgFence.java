package dev.baton.agent.postgres;

import dev.baton.agent.postgres.FenceResult.Outcome;
import dev.baton.config.Credentials;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * Fences a former primary over a PostgreSQL connection (fence before promote), so that it
 * acknowledges no commit any more, also to clients already connected, without any process of
 * its own node having to run but postgres:
 * <ol>
 *   <li>connects as the rewind user ({@code authentication.rewind}, else the superuser) with its
 *       TLS options to database postgres; a server in recovery is {@link Outcome#NOT_PRIMARY};</li>
 *   <li>{@code ALTER SYSTEM SET synchronous_standby_names = '"baton fence"'} (a standby nobody
 *       has: every synchronous commit waits instead of being acknowledged) and
 *       {@code default_transaction_read_only = on}, then {@code pg_reload_conf()};</li>
 *   <li>confirms: a probe transaction (a transactional logical message, so that it has a commit
 *       record) commits from another thread and must still be waiting for synchronous
 *       replication when it is cancelled after {@value #PROBE_WAIT_MS} ms (the server warns
 *       "canceling wait for synchronous replication": the proof, not the time); the reload is
 *       asynchronous (the checkpointer publishes the new standby list to the commits), so it
 *       probes again every {@value #PROBE_RETRY_MS} ms until the budget runs short, and answers
 *       {@link Outcome#REFUSED} if never;</li>
 *   <li>terminates every other client backend (not walsenders; not superusers' when the fencer
 *       is no superuser: it cannot, and their commits wait too);</li>
 *   <li>reads {@code pg_current_wal_flush_lsn()}, the position the candidate drains to.</li>
 * </ol>
 * The whole attempt is bounded by the budget; it never throws. The fence stays in the old
 * primary's postgresql.auto.conf ({@link FenceMark}) until its own node rejoins.
 *
 * <p>Limits: a client that opens a read-write transaction itself and sets
 * {@code synchronous_commit} to {@code local} or {@code off}, or cancels its waiting commit (a
 * {@code statement_timeout} does; PostgreSQL then reports the commit with a warning), is not held;
 * and a superuser's session cannot be terminated by a fencer that is not one (the detail counts
 * the sessions it left).
 */
final class PgFence {
    private static final Logger LOG = Logger.getLogger(PgFence.class.getName());

    /**
     * How long a probe commit may run before it is cancelled (and again every as long, until it
     * ends). Short: the proof is the server's warning that it cancelled a wait for synchronous
     * replication, which only a commit that waited can give; a slow commit that did not wait gives
     * none and is no proof, whatever the time.
     */
    static final long PROBE_WAIT_MS = 40;
    /** The pause between probes while the reload has not reached the server's commits yet. */
    static final long PROBE_RETRY_MS = 10;
    static final String PROBE_SQL = "SELECT pg_logical_emit_message(true, 'baton-fence', 'probe')";
    /**
     * The other client backends and whether their role is a superuser. A fencer without
     * pg_read_all_stats sees only datid, pid and usesysid of other roles' sessions (backend_type is
     * null), so client backends are also told by what it sees: a database and a role (auxiliary
     * processes have neither), and no WAL sender (pg_stat_replication shows their pids to anyone).
     */
    static final String CLIENTS_SQL = """
            SELECT a.pid, coalesce(r.rolsuper, true) FROM pg_stat_activity a
            LEFT JOIN pg_roles r ON r.oid = a.usesysid
            WHERE a.pid <> pg_backend_pid() AND a.datid IS NOT NULL AND a.usesysid IS NOT NULL
              AND coalesce(a.backend_type, 'client backend') = 'client backend'
              AND a.pid NOT IN (SELECT pid FROM pg_stat_replication WHERE pid IS NOT NULL)
            """;
    static final String SYNC_WAIT_WARNING = "canceling wait for synchronous replication";

    /** Opens a connection to {@code host:port}, giving up on the TCP connect and the login after the timeouts. */
    @FunctionalInterface
    interface Connector {
        Connection connect(String host, int port, Duration connectTimeout, Duration loginTimeout) throws SQLException;
    }

    /** What a fence can tell before it connects: a result that ends it, or null to go on. */
    @FunctionalInterface
    interface Precheck {
        FenceResult before(String host, int port, Duration connectTimeout);
    }

    /** No precheck (tests with a fake connector). */
    static final Precheck NONE = (host, port, connectTimeout) -> null;

    private final Connector connector;
    private final Precheck precheck;

    /**
     * Fences as {@code user} (the rewind user), with its password and TLS options, after a plain
     * TCP connect ({@link #tcpFirst}): a dead primary's refused port ends the fence in a
     * millisecond, on the calling thread, without the driver or the fence's own thread.
     */
    PgFence(Credentials user) {
        this(jdbc(user), PgFence::tcpFirst);
    }

    PgFence(Connector connector) {
        this(connector, NONE);
    }

    PgFence(Connector connector, Precheck precheck) {
        this.connector = connector;
        this.precheck = precheck;
    }

    /** pgjdbc to database postgres as {@code user}; the password goes only into the driver's properties. */
    static Connector jdbc(Credentials user) {
        return (host, port, connectTimeout, loginTimeout) -> {
            Properties p = new Properties();
            p.setProperty("user", user.username());
            if (user.password() != null) {
                p.setProperty("password", user.password());
            }
            p.setProperty("connectTimeout", Long.toString(seconds(connectTimeout)));
            p.setProperty("loginTimeout", Long.toString(seconds(loginTimeout)));
            p.setProperty("socketTimeout", Long.toString(seconds(loginTimeout) + 1));
            p.setProperty("ApplicationName", "baton-fence");
            p.setProperty("assumeMinServerVersion", "13");
            p.putAll(PgJdbcTls.properties(user.libpqOptions()));
            return DriverManager.getConnection("jdbc:postgresql://" + PgQueries.hostForUrl(host) + ":" + port
                    + "/postgres", p);
        };
    }

    /**
     * The fence's precheck, a TCP connect ({@link dev.baton.agent.net.TcpProbe}): nothing
     * listening (refused) is {@link Outcome#NOT_RUNNING}, no answer within the probe's limit
     * {@link Outcome#UNREACHABLE}, in the words {@link #classify} gives the driver's same errors;
     * anything else null: the driver's own connect and login go on (and say it in their words).
     */
    static FenceResult tcpFirst(String host, int port, Duration connectTimeout) {
        String where = host + ":" + port;
        var r = dev.baton.agent.net.TcpProbe.probe(host, port, connectTimeout);
        return switch (r.answer()) {
            case REFUSED -> FenceResult.of(Outcome.NOT_RUNNING, where + ": Connection to " + where + " failed: " + r.detail());
            case SILENT -> FenceResult.of(Outcome.UNREACHABLE, where + ": Connection to " + where + ": " + r.detail());
            default -> null;
        };
    }

    private static long seconds(Duration d) {
        return Math.max(1, d.toSeconds());
    }

    /** The TCP connect timeout: short (a silent host must leave time), at most 3 s and half the budget. */
    static Duration connectTimeout(Duration budget) {
        Duration half = budget.dividedBy(2);
        return half.compareTo(Duration.ofSeconds(3)) > 0 ? Duration.ofSeconds(3) : half;
    }

    /** Fences the primary at {@code host:port} within {@code budget}; never throws. */
    FenceResult fence(String host, int port, Duration budget) {
        FenceResult result = attempt(host, port, budget);
        LOG.info("fencing " + host + ":" + port + ": " + result.outcome().words() + " (" + result.detail() + ")");
        return result;
    }

    /**
     * Runs the path of a fence whose server is not running once, when the agent starts, so that
     * the first real one (a failover, while the cluster has no primary) does not load the hundred
     * or so classes it needs (about 50 ms on two cores): a TCP connect to a loopback port nobody
     * listens on, and an attempt on the fence's own thread whose connector refuses without any
     * network or credentials. No log line, nothing sent.
     */
    static void warmUp() {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        } catch (java.io.IOException e) {
            return;
        }
        Connector refusing = (host, p, connect, login) -> {
            throw new SQLException("Connection to " + host + ":" + p + " failed: Connection refused", "08001",
                    new ConnectException("Connection refused"));
        };
        // A dead primary's path (the TCP connect refused), then the attempt's own thread and the
        // classification of a driver's error, which a live one's fence goes through.
        new PgFence(refusing, PgFence::tcpFirst).attempt("127.0.0.1", port, Duration.ofSeconds(1));
        new PgFence(refusing, NONE).attempt("127.0.0.1", port, Duration.ofSeconds(1));
    }

    private FenceResult attempt(String host, int port, Duration budget) {
        String where = host + ":" + port;
        if (budget.isZero() || budget.isNegative()) {
            return FenceResult.of(Outcome.UNREACHABLE, where + ": no time left to fence");
        }
        FenceResult early = precheck.before(host, port, connectTimeout(budget));
        if (early != null) {
            return early;
        }
        Attempt attempt = new Attempt(host, port, budget);
        ExecutorService threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "baton-fence");
            t.setDaemon(true);
            return t;
        });
        FenceResult result;
        try {
            Future<FenceResult> f = threads.submit(() -> attempt.run(threads));
            result = f.get(budget.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            attempt.expire();
            result = FenceResult.of(Outcome.UNREACHABLE, where + ": no answer within " + budget.toMillis() + " ms");
        } catch (ExecutionException e) {
            attempt.expire();
            result = FenceResult.of(Outcome.REFUSED, where + ": " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            attempt.expire();
            result = FenceResult.of(Outcome.UNREACHABLE, where + ": interrupted");
        } finally {
            threads.shutdownNow();
        }
        return result;
    }

    /** One fencing attempt; {@link #expire} aborts its connection when the budget is spent. */
    private final class Attempt {
        private final String host;
        private final int port;
        private final Duration budget;
        private final long deadline;
        private Connection connection;
        private boolean expired;

        Attempt(String host, int port, Duration budget) {
            this.host = host;
            this.port = port;
            this.budget = budget;
            this.deadline = System.nanoTime() + budget.toNanos();
        }

        synchronized void expire() {
            expired = true;
            if (connection != null) {
                abort(connection);
            }
        }

        private synchronized boolean hold(Connection c) {
            if (expired) {
                abort(c);
                return false;
            }
            connection = c;
            return true;
        }

        FenceResult run(ExecutorService threads) {
            String where = host + ":" + port;
            Connection c;
            try {
                c = connect();
            } catch (SQLException e) {
                return classify(e, where);
            } catch (InterruptedException e) {
                return FenceResult.of(Outcome.UNREACHABLE, where + ": interrupted");
            }
            if (!hold(c)) {
                return FenceResult.of(Outcome.UNREACHABLE, where + ": no answer within the budget");
            }
            try (c; Statement st = c.createStatement()) {
                if (bool(st, "SELECT pg_is_in_recovery()")) {
                    return FenceResult.of(Outcome.NOT_PRIMARY, where + " runs in recovery");
                }
                boolean superuser = "on".equals(text(st, "SHOW is_superuser"));
                st.execute("ALTER SYSTEM SET synchronous_standby_names = " + PgQueries.sqlLiteral(FenceMark.NAMES_VALUE));
                st.execute("ALTER SYSTEM SET default_transaction_read_only = on");
                st.execute("SELECT pg_reload_conf()");
                st.execute("SET synchronous_commit = on");
                long probeDeadline = deadline - Math.min(TimeUnit.SECONDS.toNanos(1), budget.toNanos() / 4);
                Probe probe = confirm(c, st, threads, probeDeadline);
                if (!probe.confirmed()) {
                    return FenceResult.of(Outcome.REFUSED, where + ": the fence is set but commits were still "
                            + "acknowledged without waiting after " + probe.probes() + " probe(s)");
                }
                String sessions = terminateClients(c, st, superuser);
                long flush = Lsn.parse(text(st, "SELECT pg_current_wal_flush_lsn()::text"));
                return new FenceResult(Outcome.FENCED, flush, where + ": commits wait for synchronous standby "
                        + FenceMark.NAMES_VALUE + " and transactions are read-only (confirmed by probe "
                        + probe.probes() + ": " + probe.warning() + "); " + sessions + "; WAL flushed to "
                        + Lsn.format(flush));
            } catch (SQLException e) {
                return classify(e, where);
            } catch (InterruptedException e) {
                return FenceResult.of(Outcome.UNREACHABLE, where + ": interrupted");
            }
        }

        /** Connects; a server starting up or in crash recovery is asked again until the deadline. */
        private Connection connect() throws SQLException, InterruptedException {
            while (true) {
                long left = deadline - System.nanoTime();
                Duration loginTimeout = Duration.ofNanos(Math.max(left, 0));
                try {
                    return connector.connect(host, port, connectTimeout(loginTimeout), loginTimeout);
                } catch (SQLException e) {
                    if (kind(e) != Kind.STARTING || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200) > deadline) {
                        throw e;
                    }
                    Thread.sleep(200);
                }
            }
        }
    }

    record Probe(boolean confirmed, int probes, String warning) {
    }

    /**
     * Commits probe transactions until one waits for synchronous replication (confirmed) or the
     * deadline passes. Each commit runs on another thread and is cancelled after
     * {@value #PROBE_WAIT_MS} ms (again, in case a cancel reached the server before the commit).
     */
    private static Probe confirm(Connection c, Statement st, ExecutorService threads, long deadline)
            throws SQLException, InterruptedException {
        int probes = 0;
        while (true) {
            probes++;
            st.execute("BEGIN READ WRITE");
            st.execute(PROBE_SQL);
            Statement commit = c.createStatement();
            Future<SQLWarning> f = threads.submit(() -> {
                commit.execute("COMMIT");
                return commit.getWarnings();
            });
            boolean waited = false;
            SQLWarning warning = null;
            SQLException failed = null;
            try {
                while (true) {
                    try {
                        warning = f.get(PROBE_WAIT_MS, TimeUnit.MILLISECONDS);
                        break;
                    } catch (TimeoutException e) {
                        waited = true;
                        commit.cancel();
                    }
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof SQLException se)) {
                    throw new SQLException("the probe commit failed: " + e.getCause(), e.getCause());
                }
                failed = se;
            } finally {
                commit.close();
            }
            if (failed != null) {
                if (!"57014".equals(failed.getSQLState())) {
                    throw failed;
                }
                // A cancel that landed after a slow commit: no verdict, the transaction is over.
                st.execute("ROLLBACK");
            } else if (waited && syncWaitCancelled(warning) != null) {
                return new Probe(true, probes, syncWaitCancelled(warning));
            }
            if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PROBE_RETRY_MS) > deadline) {
                return new Probe(false, probes, null);
            }
            Thread.sleep(PROBE_RETRY_MS);
        }
    }

    /**
     * The warning of the probe's commit (or one chained to it) saying that a wait for synchronous
     * replication was cancelled, or null: only that proves the commit waited.
     */
    static String syncWaitCancelled(SQLWarning warning) {
        for (SQLWarning w = warning; w != null; w = w.getNextWarning()) {
            if (w.getMessage() != null && w.getMessage().contains(SYNC_WAIT_WARNING)) {
                return w.getMessage();
            }
        }
        return null;
    }

    /** Terminates the other client backends it may; says how many it terminated and which it left. */
    private static String terminateClients(Connection c, Statement st, boolean superuser) throws SQLException {
        int terminated = 0;
        int superusers = 0;
        int failed = 0;
        List<Integer> pids = new ArrayList<>();
        try (ResultSet rs = st.executeQuery(CLIENTS_SQL)) {
            while (rs.next()) {
                if (!superuser && rs.getBoolean(2)) {
                    superusers++;
                } else {
                    pids.add(rs.getInt(1));
                }
            }
        }
        for (int pid : pids) {
            try (Statement t = c.createStatement(); ResultSet rs = t.executeQuery("SELECT pg_terminate_backend(" + pid + ")")) {
                if (rs.next() && rs.getBoolean(1)) {
                    terminated++;
                }
            } catch (SQLException e) {
                if (!"42501".equals(e.getSQLState())) {
                    throw e;
                }
                failed++;
            }
        }
        StringBuilder s = new StringBuilder("terminated " + terminated + " client session(s)");
        if (superusers > 0) {
            s.append(", left ").append(superusers).append(" superuser session(s) (their commits wait too)");
        }
        if (failed > 0) {
            s.append(", could not terminate ").append(failed);
        }
        return s.toString();
    }

    private static boolean bool(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    private static String text(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static void abort(Connection c) {
        try {
            c.abort(Runnable::run);
        } catch (SQLException | RuntimeException e) {
            LOG.fine("aborting the fencing connection: " + e.getMessage());
        }
    }

    /** What an error says about the old primary. */
    enum Kind {
        /** Nothing listens on the port, or the server shuts down: it acknowledges nothing. */
        NOT_RUNNING,
        /** The server is starting up or in crash recovery: it may soon accept writes again. */
        STARTING,
        /** No answer in time, or the connection was lost: nothing is known. */
        UNREACHABLE,
        /** Authentication or TLS failed. */
        AUTHENTICATION,
        /** The fencing role lacks a privilege. */
        PRIVILEGE,
        /** Anything else the server said. */
        OTHER
    }

    /** Reads an error by its SQLSTATE, its cause and (for the states several messages share) its words. */
    static Kind kind(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String message = e.getMessage() == null ? "" : e.getMessage().toLowerCase(Locale.ROOT);
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof ConnectException && String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT)
                    .contains("refused")) {
                return Kind.NOT_RUNNING;
            }
            if (t instanceof SocketTimeoutException || t instanceof NoRouteToHostException
                    || t instanceof UnknownHostException || t instanceof ConnectException) {
                return Kind.UNREACHABLE;
            }
            if (t instanceof javax.net.ssl.SSLException || t instanceof java.security.GeneralSecurityException) {
                return Kind.AUTHENTICATION;
            }
        }
        if (state.equals("57P03")) {
            if (message.contains("shutting down")) {
                return Kind.NOT_RUNNING;
            }
            // starting up, in recovery mode (after a crash), not yet accepting connections, or the
            // same in another language: it may be writable again in a moment.
            return Kind.STARTING;
        }
        if (state.equals("57P01") && message.contains("shutting down")) {
            return Kind.NOT_RUNNING;
        }
        if (state.startsWith("28") || message.contains("password authentication failed")) {
            return Kind.AUTHENTICATION;
        }
        if (state.equals("42501")) {
            return Kind.PRIVILEGE;
        }
        if (state.startsWith("08") || state.equals("57P01") || state.equals("57P02")) {
            return Kind.UNREACHABLE;
        }
        return Kind.OTHER;
    }

    /** The result an error leads to; the detail has the server's words (never a password). */
    static FenceResult classify(SQLException e, String where) {
        String said = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return switch (kind(e)) {
            case NOT_RUNNING -> FenceResult.of(Outcome.NOT_RUNNING, where + ": " + said);
            case STARTING -> FenceResult.of(Outcome.UNREACHABLE, where + " is starting up or recovering and "
                    + "could not be fenced: " + said);
            case UNREACHABLE -> FenceResult.of(Outcome.UNREACHABLE, where + ": " + said);
            case AUTHENTICATION -> FenceResult.of(Outcome.REFUSED, where + " refused the fencing login: " + said);
            case PRIVILEGE -> FenceResult.of(Outcome.REFUSED, where + ": the fencing role lacks a privilege "
                    + "(see ensureFenceGrants): " + said);
            case OTHER -> FenceResult.of(Outcome.REFUSED, where + ": " + said);
        };
    }
}
