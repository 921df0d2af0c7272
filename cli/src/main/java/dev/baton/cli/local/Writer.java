package dev.baton.cli.local;

import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A write workload through one JDBC URL (typically HAProxy's port, which routes to the primary):
 * a few threads insert uniquely numbered rows into {@code baton_writes} in autocommit mode,
 * reconnecting on any error, and remember every write the server acknowledged. After a failover
 * {@link #missingOn} tells which acknowledged writes the surviving primary does not have.
 */
public final class Writer implements AutoCloseable {
    /** Pause between two writes of one thread, so the demo does not hammer a small machine. */
    private static final long PAUSE_MILLIS = 10;
    /** Pause after an error before reconnecting. */
    private static final long RETRY_MILLIS = 50;
    private static final long CREATE_DEADLINE_NANOS = 120_000_000_000L;
    private static final int CHUNK = 1000;
    /** SQLSTATE read_only_sql_transaction: a standby (or a fenced primary) refused the INSERT. */
    private static final String READ_ONLY = "25006";

    /**
     * One acknowledged write.
     *
     * @param id         the row's id
     * @param nanos      {@link System#nanoTime()} when the acknowledgement arrived
     * @param serverPort the port of the PostgreSQL that acknowledged it ({@code inet_server_port()})
     * @param sentNanos  {@link System#nanoTime()} just before the INSERT was sent: the server
     *                   committed it between {@code sentNanos} and {@code nanos}
     * @param serverAddr the address of that server ({@code inet_server_addr()}), null if unknown
     */
    public record Ack(long id, long nanos, int serverPort, long sentNanos, String serverAddr) {
        /** An ack without its send time and address (both taken as unknown: sent = acknowledged). */
        public Ack(long id, long nanos, int serverPort) {
            this(id, nanos, serverPort, nanos, null);
        }
    }

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final int threads;
    private final AtomicLong nextId;
    private final boolean staysOnReadOnly;
    private final List<Ack> acks = new ArrayList<>(); // guarded by itself, in ack order
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean running;
    private volatile String lastError;

    public Writer(String jdbcUrl, String user, String password, int threads) {
        this(jdbcUrl, user, password, threads, new AtomicLong(1), false);
    }

    /**
     * A writer that takes its ids from {@code ids}, which several writers may share (one per
     * member, each writing straight to that member's postgres), so that every id stays unique.
     *
     * @param staysOnReadOnly keep the connection when an INSERT is refused as read-only (a writer
     *                        connected straight to a member that may be a standby), instead of
     *                        reconnecting (through a load balancer, which may route elsewhere)
     */
    public Writer(String jdbcUrl, String user, String password, int threads, AtomicLong ids, boolean staysOnReadOnly) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.threads = threads;
        this.nextId = ids;
        this.staysOnReadOnly = staysOnReadOnly;
    }

    /**
     * Creates the table if absent (retrying for up to two minutes while there is no primary),
     * then starts the writing threads.
     *
     * @throws IllegalStateException if the table could not be created in time
     */
    public synchronized void start() throws InterruptedException {
        if (running) {
            return;
        }
        createTable();
        startThreads();
    }

    /**
     * Starts the writing threads without creating the table (another writer sharing the ids did):
     * a writer connected straight to a standby, whose INSERTs fail until it is promoted.
     */
    public synchronized void startOnExistingTable() {
        if (!running) {
            startThreads();
        }
    }

    private void startThreads() {
        running = true;
        for (int i = 0; i < threads; i++) {
            int index = i;
            Thread t = new Thread(() -> run(index), "baton-writer-" + i);
            t.setDaemon(true);
            workers.add(t);
            t.start();
        }
    }

    private void createTable() throws InterruptedException {
        long deadline = System.nanoTime() + CREATE_DEADLINE_NANOS;
        while (true) {
            try (Connection c = connect(jdbcUrl, 2); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS baton_writes (id bigint PRIMARY KEY, writer int, "
                        + "at timestamptz DEFAULT now(), server inet DEFAULT inet_server_addr(), "
                        + "server_port int DEFAULT inet_server_port())");
                // A table left by an earlier run: number on after its rows instead of colliding with them.
                try (ResultSet rs = s.executeQuery("SELECT coalesce(max(id), 0) FROM baton_writes")) {
                    if (rs.next()) {
                        nextId.accumulateAndGet(rs.getLong(1) + 1, Math::max);
                    }
                }
                return;
            } catch (SQLException e) {
                lastError = e.getMessage();
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("cannot create table baton_writes through " + jdbcUrl + ": "
                            + e.getMessage(), e);
                }
                Thread.sleep(500);
            }
        }
    }

    private void run(int index) {
        while (running) {
            Connection c = null;
            try {
                c = connect(jdbcUrl, 2);
                open.add(c);
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO baton_writes (id, writer) VALUES (?, ?) "
                                + "RETURNING inet_server_port(), host(inet_server_addr())")) {
                    while (running) {
                        long id = nextId.getAndIncrement();
                        ps.setLong(1, id);
                        ps.setInt(2, index);
                        long sent = System.nanoTime();
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            int port = rs.getInt(1);
                            String addr = rs.getString(2);
                            synchronized (acks) {
                                acks.add(new Ack(id, System.nanoTime(), port, sent, addr));
                            }
                        } catch (SQLException e) {
                            if (!staysOnReadOnly || !READ_ONLY.equals(e.getSQLState())) {
                                throw e;
                            }
                            // A standby (or a fenced primary) refused it: keep the connection, as a
                            // client would, rather than reconnecting 20 times a second.
                            lastError = e.getMessage();
                            Thread.sleep(RETRY_MILLIS);
                            continue;
                        }
                        Thread.sleep(PAUSE_MILLIS);
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (running) {
                    lastError = e.getMessage();
                    pause(RETRY_MILLIS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                closeQuietly(c);
            }
        }
    }

    /** Stops the threads and closes every connection. Idempotent. */
    public void stop() {
        List<Thread> ws;
        synchronized (this) {
            running = false;
            ws = List.copyOf(workers);
            workers.clear();
        }
        for (Connection c : open) {
            closeQuietly(c);
        }
        for (Thread t : ws) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (t.isAlive()) {
                t.interrupt();
            }
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** A snapshot of the acknowledged writes, in the order they were acknowledged. */
    public List<Ack> acks() {
        synchronized (acks) {
            return List.copyOf(acks);
        }
    }

    /** The acknowledged writes from the {@code from}-th on (0-based, in ack order): for polling without copying all. */
    public List<Ack> acksSince(int from) {
        synchronized (acks) {
            return from >= acks.size() ? List.of() : List.copyOf(acks.subList(Math.max(0, from), acks.size()));
        }
    }

    /** The time ({@link System#nanoTime()}) of the first acknowledgement after {@code nanos}, or -1. */
    public long firstAckAfter(long nanos) {
        return firstAckAfter(nanos, -1);
    }

    /**
     * The time of the first acknowledgement after {@code nanos} by the server listening on
     * {@code serverPort} (any server if negative), or -1.
     */
    public long firstAckAfter(long nanos, int serverPort) {
        synchronized (acks) {
            for (Ack a : acks) {
                if (a.nanos() - nanos > 0 && (serverPort < 0 || a.serverPort() == serverPort)) {
                    return a.nanos();
                }
            }
        }
        return -1;
    }

    /** The last error a writing thread saw (null if none), to explain a stalled workload. */
    public String lastError() {
        return lastError;
    }

    /**
     * The acknowledged ids that are not in {@code baton_writes} on the server at {@code jdbcUrl}
     * (e.g. the primary that survived a failover), in ack order.
     */
    public Set<Long> missingOn(String survivorJdbcUrl, String user, String password) throws SQLException {
        return missingOn(survivorJdbcUrl, user, password, acks());
    }

    /** As {@link #missingOn(String, String, String)}, for the given acknowledged writes only. */
    public Set<Long> missingOn(String survivorJdbcUrl, String user, String password, Collection<Ack> acknowledged)
            throws SQLException {
        List<Ack> snapshot = List.copyOf(acknowledged);
        Set<Long> missing = new LinkedHashSet<>();
        Properties p = properties(user, password, 30);
        try (Connection c = DriverManager.getConnection(survivorJdbcUrl, p);
             PreparedStatement ps = c.prepareStatement("SELECT id FROM baton_writes WHERE id = ANY (?)")) {
            for (int from = 0; from < snapshot.size(); from += CHUNK) {
                List<Ack> chunk = snapshot.subList(from, Math.min(snapshot.size(), from + CHUNK));
                Set<Long> wanted = new LinkedHashSet<>();
                for (Ack a : chunk) {
                    wanted.add(a.id());
                }
                Array ids = c.createArrayOf("int8", wanted.toArray());
                ps.setArray(1, ids);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        wanted.remove(rs.getLong(1));
                    }
                }
                ids.free();
                missing.addAll(wanted);
            }
        }
        return missing;
    }

    private Connection connect(String url, int socketTimeoutSeconds) throws SQLException {
        return DriverManager.getConnection(url, properties(user, password, socketTimeoutSeconds));
    }

    private static Properties properties(String user, String password, int socketTimeoutSeconds) {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("connectTimeout", "1");
        p.setProperty("loginTimeout", "2");
        p.setProperty("socketTimeout", Integer.toString(socketTimeoutSeconds));
        p.setProperty("ApplicationName", "baton-writer");
        return p;
    }

    private void closeQuietly(Connection c) {
        if (c == null) {
            return;
        }
        open.remove(c);
        try {
            c.close();
        } catch (SQLException | RuntimeException e) {
            // the connection is gone either way
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
