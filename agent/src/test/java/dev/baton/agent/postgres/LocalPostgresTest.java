package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.PostgresController.StopMode;
import dev.baton.agent.postgres.PostgresController.Upstream;
import dev.baton.agent.process.FakeProcessRunner;
import dev.baton.config.BatonConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The facade end to end on a temporary directory, with a fake {@link dev.baton.agent.process.ProcessRunner}:
 * the files it writes, byte for byte, and the programs it runs. No PostgreSQL.
 */
class LocalPostgresTest {
    private static final String HEADER = "# Written by Baton. Do not edit: set parameters in Baton's configuration.\n";

    @TempDir
    Path tmp;
    private Path data;
    private Path pgpass;
    private BatonConfig config;
    private final FakeProcessRunner runner = new FakeProcessRunner();
    private LocalPostgres pg;

    @BeforeEach
    void setUp() throws Exception {
        config = TestConfigs.node(tmp);
        data = tmp.resolve("data");
        pgpass = tmp.resolve(".pgpass_node1");
        pg = new LocalPostgres(config, FakeBinaries.in(tmp), runner);
    }

    private String bin(String program) {
        return tmp.resolve("bin").resolve(program).toString();
    }

    private static final String COMMON = """
            max_connections = '100'
            max_wal_senders = '10'
            max_replication_slots = '10'
            wal_keep_size = '128MB'
            unix_socket_directories = ''
            wal_retrieve_retry_interval = '1s'
            work_mem = '8MB'
            shared_buffers = '32MB'
            listen_addresses = '127.0.0.1'
            port = '5432'
            cluster_name = 'demo'
            hot_standby = 'on'
            wal_level = 'replica'
            wal_log_hints = 'on'
            """;

    @Test
    void aPrimaryGetsBatonsPostgresqlConfAndNoStandbySignal() throws Exception {
        Files.createDirectories(data);
        Files.writeString(data.resolve("postgresql.conf"), "# initdb's\n");
        Files.writeString(data.resolve("standby.signal"), "");
        pg.configure(false, null, TestConfigs.dynamic(Map.of("work_mem", "8MB")));

        assertEquals(HEADER + "include 'postgresql.base.conf'\n" + COMMON, Files.readString(data.resolve("postgresql.conf")));
        assertEquals("# initdb's\n", Files.readString(data.resolve("postgresql.base.conf")), "initdb's file is kept");
        assertFalse(Files.exists(data.resolve("standby.signal")));
        assertNull(pg.configuredUpstream());
        assertEquals("127.0.0.1:5432:*:postgres:su-pw\n", Files.readString(pgpass), "a primary has no upstream");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(pgpass)));
        assertEquals(List.of(List.of(bin("postgres"), "--version"), List.of(bin("postgres"), "--describe-config")),
                runner.calls().stream().map(FakeProcessRunner.Call::argv).toList(),
                "only the catalog is asked (the fake's empty answer leaves the parameters unchecked)");
    }

    /** Issue 14: wal_keep_segments, removed in 13, was passed through and postgres refused to start. */
    @Test
    void parametersAreFittedToTheServersCatalogAndEachChangeIsLoggedOnce() throws Exception {
        runner.answer(c -> {
            List<String> a = c.argv();
            if (a.equals(List.of(bin("postgres"), "--version"))) {
                return FakeProcessRunner.ok(PgCatalogTest.resource("version-15.txt"));
            }
            if (a.equals(List.of(bin("postgres"), "--describe-config"))) {
                return FakeProcessRunner.ok(PgCatalogTest.resource("describe-config-15.txt"));
            }
            if (a.get(1).equals("-C") && a.get(2).equals("zero_damaged_pages")) {
                return FakeProcessRunner.ok("on\n");
            }
            return FakeProcessRunner.failed(1, "2026-12-03 20:12:00.057 GMT [2307] LOG:  unrecognized configuration "
                    + "parameter \"" + a.get(2) + "\" in file \"" + a.get(4) + "/postgresql.conf\" line 1\n"
                    + "2026-12-03 20:12:00.057 GMT [2307] FATAL:  configuration file contains errors\n");
        });
        List<String> logged = new java.util.ArrayList<>();
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(PgConfFiles.class.getName());
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                logged.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(h);
        try {
            Files.createDirectories(data);
            Map<String, String> dynamic = new java.util.LinkedHashMap<>();
            dynamic.put("wal_keep_segments", "16");
            dynamic.put("enable_seqscan", "maybe");
            dynamic.put("nosuch", "1");
            dynamic.put("zero_damaged_pages", "on");
            dynamic.put("pg_stat_statements.max", "1000");
            pg.configure(false, null, TestConfigs.dynamic(dynamic));
            pg.configure(true, null, TestConfigs.dynamic(dynamic));
        } finally {
            log.removeHandler(h);
        }
        Map<String, String> written = PgConfRendererTest.GucFile.parse(Files.readString(data.resolve("postgresql.conf")));
        assertEquals("256MB", written.get("wal_keep_size"));
        assertEquals("on", written.get("zero_damaged_pages"), "a developer option the server reads is kept");
        assertEquals("1000", written.get("pg_stat_statements.max"), "an extension's parameter passes");
        assertFalse(written.containsKey("wal_keep_segments"));
        assertFalse(written.containsKey("enable_seqscan"));
        assertFalse(written.containsKey("nosuch"));
        assertEquals(List.of(
                "wal_keep_segments is not a parameter of PostgreSQL 15 (wal_keep_segments became wal_keep_size in 13): "
                        + "written as wal_keep_size = '256MB'",
                "parameter enable_seqscan must be a boolean (on, off, true, false, yes, no, 1, 0), got \"maybe\": "
                        + "not written, PostgreSQL would refuse to start",
                "parameter nosuch is refused by PostgreSQL: unrecognized configuration parameter \"nosuch\": "
                        + "not written, PostgreSQL would refuse to start"), logged, "once each, over two configures");
        assertEquals(4, runner.calls().size(), "the catalog once, each unlisted parameter once: " + runner.calls());
    }

    @Test
    void aReplicaGetsPrimaryConninfoSlotAndStandbySignal() throws Exception {
        Files.createDirectories(data);
        pg.configure(true, new Upstream("10.0.0.2", 5433, "node2"), TestConfigs.dynamic(Map.of("work_mem", "8MB")));

        String conninfo = "'host=''10.0.0.2'' port=5433 user=''replicator'' passfile=''" + pgpass
                + "'' application_name=''node1'' connect_timeout=3'";
        assertEquals(HEADER + "include 'postgresql.base.conf'\n" + COMMON
                        + "primary_conninfo = " + conninfo + "\n"
                        + "primary_slot_name = 'node2'\n"
                        + "recovery_target_timeline = 'latest'\n",
                Files.readString(data.resolve("postgresql.conf")));
        assertEquals("", Files.readString(data.resolve("postgresql.base.conf")));
        assertTrue(Files.exists(data.resolve("standby.signal")));
        assertEquals("10.0.0.2:5433", pg.configuredUpstream());
    }

    @Test
    void initdbRunsWithChecksumsAndAPwfileThenWritesTheDefaultPgHba() throws Exception {
        runner.answer(c -> {
            if (c.program().equals("initdb")) {
                String pwfile = c.argv().get(4).substring("--pwfile=".length());
                try {
                    assertEquals("su-pw\n", Files.readString(Path.of(pwfile)));
                    Files.createDirectories(data);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            return FakeProcessRunner.ok("");
        });
        pg.initdb();

        FakeProcessRunner.Call initdb = runner.calls().get(0);
        assertEquals(List.of(bin("initdb"), "-D", data.toString(), "--username=postgres"), initdb.argv().subList(0, 4));
        assertTrue(initdb.argv().get(4).startsWith("--pwfile=" + tmp + "/.baton-pw"), initdb.argv().get(4));
        assertEquals(List.of("--auth-host=scram-sha-256", "--auth-local=peer", "--data-checksums"),
                initdb.argv().subList(5, initdb.argv().size()));
        assertEquals(Map.of("LC_ALL", "C.UTF-8"), initdb.env());
        assertFalse(Files.exists(Path.of(initdb.argv().get(4).substring("--pwfile=".length()))), "the pwfile is gone");
        assertEquals(PgConfRenderer.pgHba(PgConfRenderer.defaultHba("postgres", "replicator", null, false)),
                Files.readString(data.resolve("pg_hba.conf")));
    }

    @Test
    void aFailedInitdbLeavesAnEmptyDirectory() throws Exception {
        runner.answer(c -> {
            try {
                Files.createDirectories(data.resolve("base"));
                Files.writeString(data.resolve("base/1"), "x");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return FakeProcessRunner.failed(1, "initdb: error: out of disk\n");
        });
        PostgresException e = assertThrows(PostgresException.class, pg::initdb);
        assertEquals("initdb failed: initdb: error: out of disk", e.getMessage());
        assertTrue(Files.isDirectory(data));
        try (var s = Files.list(data)) {
            assertEquals(0, s.count());
        }
    }

    @Test
    void basebackupClonesAsTheReplicationUserWithThePgpassFile() throws Exception {
        runner.answer(c -> {
            try {
                Files.createDirectories(data);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return FakeProcessRunner.ok("");
        });
        pg.basebackup("10.0.0.2", 5433);
        FakeProcessRunner.Call c = runner.only();
        assertEquals(List.of(bin("pg_basebackup"), "-D", data.toString(), "-X", "stream", "-c", "fast",
                "-d", "host='10.0.0.2' port=5433 user='replicator' passfile='" + pgpass + "' application_name='node1' "
                        + "connect_timeout=3", "-w"), c.argv());
        assertEquals(Map.of("PGPASSFILE", pgpass.toString()), c.env());
        assertEquals("127.0.0.1:5432:*:postgres:su-pw\n10.0.0.2:5433:*:replicator:rep-pw\n"
                + "10.0.0.2:5433:*:postgres:su-pw\n", Files.readString(pgpass), "the entries for the primary");
        assertEquals(Duration.ofHours(12), c.timeout());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
    }

    @Test
    void pgCtlStartPromoteReloadAndStop() throws Exception {
        Files.createDirectories(data);
        pg.start(Duration.ofSeconds(30));
        PostgresException notRunning = assertThrows(PostgresException.class, () -> pg.promote(Duration.ofSeconds(20)));
        assertTrue(notRunning.getMessage().startsWith("postgres stopped while it was being promoted"),
                notRunning.getMessage());
        pg.reload();
        pg.stop(StopMode.FAST, Duration.ofSeconds(60));
        String log = tmp.resolve("data.log").toString();
        assertEquals(List.of(
                List.of(bin("pg_ctl"), "start", "-D", data.toString(), "-w", "-t", "30", "-l", log, "-s"),
                List.of(bin("pg_ctl"), "promote", "-D", data.toString(), "-W", "-s"),
                List.of(bin("pg_ctl"), "reload", "-D", data.toString(), "-s")),
                runner.calls().stream().map(FakeProcessRunner.Call::argv).toList(), "no stop: nothing runs");
        assertTrue(Files.exists(pgpass), "start writes the pgpass file");

        Files.writeString(data.resolve("postmaster.pid"), ProcessHandle.current().pid() + "\n" + data + "\n");
        pg.stop(StopMode.IMMEDIATE, Duration.ofSeconds(60));
        assertEquals(List.of(bin("pg_ctl"), "stop", "-D", data.toString(), "-w", "-t", "60", "-m", "immediate", "-s"),
                runner.calls().get(3).argv());
        assertEquals(Duration.ofSeconds(70), runner.calls().get(3).timeout());
    }

    /**
     * A connection that takes {@code pg_promote(false)} ({@code promoteTaken}) and answers
     * {@code pg_is_in_recovery()} true {@code recoveringFor} times, then false; every query in {@code sql}.
     */
    private static PgQueries.Connector recovering(int recoveringFor, boolean promoteTaken,
                                                  java.util.concurrent.atomic.AtomicInteger asked, List<String> sql) {
        java.lang.reflect.InvocationHandler rs = (proxy, m, args) -> switch (m.getName()) {
            case "next" -> true;
            case "getBoolean" -> sql.get(sql.size() - 1).contains("pg_promote") ? promoteTaken
                    : asked.incrementAndGet() <= recoveringFor;
            default -> null;
        };
        return fakeConnection(rs, sql);
    }

    @Test
    void promotionSignalsWithPgPromoteAndWatchesForTheEndOfRecoveryItself() throws Exception {
        var asked = new java.util.concurrent.atomic.AtomicInteger();
        List<String> sql = new java.util.ArrayList<>();
        LocalPostgres promoting = new LocalPostgres(config, FakeBinaries.in(tmp), runner, recovering(3, true, asked, sql),
                java.time.Clock.systemUTC());
        Files.createDirectories(data);
        Files.writeString(data.resolve("postmaster.pid"), ProcessHandle.current().pid() + "\n" + data + "\n");
        promoting.promote(Duration.ofSeconds(20));
        assertEquals("SELECT pg_promote(false)", sql.get(0), "the server signals itself: no wait, no pg_ctl process");
        assertEquals(List.of(), runner.calls(), "no pg_ctl");
        assertEquals(4, asked.get(), "asked until pg_is_in_recovery() was false, every "
                + LocalPostgres.PROMOTE_POLL.toMillis() + " ms (pg_promote(true) and pg_ctl -w look every 100 ms)");

        asked.set(0);
        sql.clear();
        PostgresException slow = assertThrows(PostgresException.class, () -> new LocalPostgres(config,
                FakeBinaries.in(tmp), runner, recovering(Integer.MAX_VALUE, true, asked, sql), java.time.Clock.systemUTC())
                .promote(Duration.ofMillis(100)));
        assertTrue(slow.getMessage().startsWith("postgres was still in recovery"), slow.getMessage());
    }

    @Test
    void aStartupProcessAsleepInTheRetryIntervalIsSignalledAgain() throws Exception {
        // PostgreSQL took the request while a WAL receiver was starting: it sleeps out
        // wal_retrieve_retry_interval (up to 1 s here, 5 s by default) unless woken again.
        List<String> sql = new java.util.ArrayList<>();
        java.lang.reflect.InvocationHandler rs = (proxy, m, args) -> switch (m.getName()) {
            case "next" -> true;
            case "getBoolean" -> sql.get(sql.size() - 1).contains("pg_promote")
                    || sql.stream().filter(q -> q.contains("pg_promote")).count() < 2;
            case "getString" -> "RecoveryRetrieveRetryInterval";
            default -> null;
        };
        Files.createDirectories(data);
        Files.writeString(data.resolve("postmaster.pid"), ProcessHandle.current().pid() + "\n" + data + "\n");
        new LocalPostgres(config, FakeBinaries.in(tmp), runner, fakeConnection(rs, sql), java.time.Clock.systemUTC())
                .promote(Duration.ofSeconds(20));
        assertEquals(2, sql.stream().filter("SELECT pg_promote(false)"::equals).count(), String.join("\n", sql));
        assertEquals(PgQueries.RECOVERY_SQL, sql.get(1), "the second signal only after the sleep was seen");
        assertEquals(PgQueries.RECOVERY_SQL, sql.get(sql.size() - 1), "then polled until out of recovery");
        assertEquals(List.of(), runner.calls(), "no pg_ctl");
    }

    @Test
    void aServerThatDoesNotTakePgPromoteIsSignalledWithPgCtl() throws Exception {
        var asked = new java.util.concurrent.atomic.AtomicInteger();
        List<String> sql = new java.util.ArrayList<>();
        Files.createDirectories(data);
        Files.writeString(data.resolve("postmaster.pid"), ProcessHandle.current().pid() + "\n" + data + "\n");
        new LocalPostgres(config, FakeBinaries.in(tmp), runner, recovering(2, false, asked, sql), java.time.Clock.systemUTC())
                .promote(Duration.ofSeconds(20));
        assertEquals(List.of(bin("pg_ctl"), "promote", "-D", data.toString(), "-W", "-s"), runner.only().argv(),
                "pg_promote(false) answered false while still in recovery: pg_ctl promote, without its wait");
        assertEquals(3, asked.get(), "one check before pg_ctl, then polled until false");
    }

    @Test
    void rewindAgainstTheSourceServerAsTheSuperuser() throws Exception {
        Files.createDirectories(data);
        runner.answer("pg_rewind", FakeProcessRunner.ok(
                "pg_rewind: servers diverged at WAL location 0/3000060 on timeline 1\n"
                        + "pg_rewind: rewinding from last common checkpoint at 0/2000060 on timeline 1\n"));
        PostgresController.RewindCheck check = pg.checkRewind("10.0.0.2", 5433);
        assertTrue(check.needed());
        assertEquals(Lsn.parse("0/3000060"), check.divergenceLsn());
        assertEquals(1, check.timeline());
        pg.rewind("10.0.0.2", 5433);
        String source = "--source-server=host='10.0.0.2' port=5433 user='postgres' dbname='postgres' passfile='"
                + pgpass + "' application_name='node1' connect_timeout=3";
        assertEquals(List.of(
                List.of(bin("pg_rewind"), "-D", data.toString(), "--dry-run", source),
                List.of(bin("pg_rewind"), "-D", data.toString(), source, "--progress")),
                runner.calls().stream().map(FakeProcessRunner.Call::argv).toList());
        assertEquals(Map.of("PGPASSFILE", pgpass.toString()), runner.calls().get(0).env());
    }

    @Test
    void aFencedDirectoryRefusesSynchronousStandbyNamesAndLosesTheFenceOnlyBeforeAStart() throws Exception {
        Files.createDirectories(data);
        Path auto = data.resolve("postgresql.auto.conf");
        String fenced = "# Do not edit this file manually!\nwork_mem = '4MB'\n"
                + "synchronous_standby_names = '\"baton fence\"'\ndefault_transaction_read_only = 'on'\n";
        Files.writeString(auto, fenced);
        assertTrue(pg.fenced());
        PostgresException e = assertThrows(PostgresException.class, () -> pg.setSynchronousStandbyNames(null));
        assertTrue(e.getMessage().startsWith("refusing to set synchronous_standby_names"), e.getMessage());

        // A running server (a reload of the parameters) keeps its fence: a reload would drop it.
        Files.writeString(data.resolve("postmaster.pid"), ProcessHandle.current().pid() + "\n" + data + "\n");
        pg.configure(false, null, TestConfigs.dynamic(Map.of()));
        assertEquals(fenced, Files.readString(auto));

        Files.delete(data.resolve("postmaster.pid"));
        pg.configure(true, new Upstream("10.0.0.2", 5432, null), TestConfigs.dynamic(Map.of()));
        assertEquals("# Do not edit this file manually!\nwork_mem = '4MB'\n", Files.readString(auto));
        assertFalse(pg.fenced());
    }

    /** A connection that answers {@code current_setting('synchronous_standby_names')} with {@code current} and records every statement. */
    private static PgQueries.Connector recordingSql(String current, List<String> sql) {
        java.lang.reflect.InvocationHandler rs = (proxy, m, args) -> switch (m.getName()) {
            case "next" -> true;
            case "getString" -> current;
            default -> null;
        };
        return fakeConnection(rs, sql);
    }

    /** A connection whose queries all answer with the result set {@code rs}; every statement is recorded in {@code sql}. */
    private static PgQueries.Connector fakeConnection(java.lang.reflect.InvocationHandler rs, List<String> sql) {
        java.lang.reflect.InvocationHandler st = (proxy, m, args) -> {
            if (m.getName().startsWith("execute")) {
                sql.add((String) args[0]);
            }
            return m.getName().equals("executeQuery")
                    ? java.lang.reflect.Proxy.newProxyInstance(LocalPostgresTest.class.getClassLoader(),
                            new Class<?>[] {java.sql.ResultSet.class}, rs)
                    : m.getName().equals("execute") ? Boolean.FALSE : null;
        };
        java.lang.reflect.InvocationHandler c = (proxy, m, args) -> switch (m.getName()) {
            case "createStatement" -> java.lang.reflect.Proxy.newProxyInstance(LocalPostgresTest.class.getClassLoader(),
                    new Class<?>[] {java.sql.Statement.class}, st);
            case "isClosed" -> false;
            default -> null;
        };
        return () -> (java.sql.Connection) java.lang.reflect.Proxy.newProxyInstance(
                LocalPostgresTest.class.getClassLoader(), new Class<?>[] {java.sql.Connection.class}, c);
    }

    @Test
    void thePromotionLeavesSynchronousStandbyNamesAloneWhenPostgresAlreadyRunsWithIt() throws Exception {
        Files.createDirectories(data);
        List<String> sql = new java.util.ArrayList<>();
        new LocalPostgres(config, FakeBinaries.in(tmp), runner, recordingSql("", sql), java.time.Clock.systemUTC())
                .ensureSynchronousStandbyNames(null);
        assertEquals(List.of("SELECT current_setting('synchronous_standby_names')"), sql,
                "no ALTER SYSTEM and no reload: a reload just before pg_ctl promote delays it by up to "
                        + "wal_retrieve_retry_interval");

        sql.clear();
        new LocalPostgres(config, FakeBinaries.in(tmp), runner, recordingSql("node3", sql), java.time.Clock.systemUTC())
                .ensureSynchronousStandbyNames(null);
        assertEquals(List.of("SELECT current_setting('synchronous_standby_names')",
                "ALTER SYSTEM RESET synchronous_standby_names", "SELECT pg_reload_conf()"), sql,
                "a value copied along by a clone or rewind is still reset");
    }
}
