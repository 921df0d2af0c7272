package dev.baton.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.ArchiverStats;
import dev.baton.agent.postgres.LocalPostgres;
import dev.baton.agent.postgres.PgBinaries;
import dev.baton.agent.postgres.PostgresController.StopMode;
import dev.baton.agent.postgres.PostgresController.Upstream;
import dev.baton.agent.process.SystemProcessRunner;
import dev.baton.config.Authentication;
import dev.baton.config.BackupConfig;
import dev.baton.config.BatonConfig;
import dev.baton.config.BootstrapConfig;
import dev.baton.config.Credentials;
import dev.baton.config.DynamicConfig;
import dev.baton.config.PostgresConfig;
import dev.baton.config.RestoreConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, the pgBackRest layer, against real PostgreSQL 15 and pgBackRest with a posix repository
 * in a temporary directory: a primary archiving with Baton's settings, its stanza (created twice), a
 * full backup, two batches of rows with a time T between them; a new cluster (another scope) restored
 * from the primary's stanza to T holds exactly the first batch after its promotion; a replica restored
 * as a standby is in recovery and holds the rows. Runs as an unprivileged user.
 */
class PgBackRestIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final Credentials SUPERUSER = new Credentials("postgres", "su-pw");
    private static final Credentials REPLICATION = new Credentials("replicator", "rep-pw");

    @TempDir
    Path tmp;

    private final SystemProcessRunner runner = new SystemProcessRunner();
    private final PgBinaries bin = PgBinaries.locate(null);
    private final List<LocalPostgres> started = new ArrayList<>();
    private final List<Connection> connections = new ArrayList<>();

    @AfterEach
    void stopAll() {
        for (Connection c : connections) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // already gone
            }
        }
        for (LocalPostgres pg : started) {
            try {
                if (pg.isRunning()) {
                    pg.stop(StopMode.IMMEDIATE, TIMEOUT);
                }
            } finally {
                pg.close();
            }
        }
    }

    @Test
    void backupThenPointInTimeRestoreAndAStandbyRestore() throws Exception {
        Path repoDir = tmp.resolve("repo");
        Files.createDirectory(repoDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        DynamicConfig dynamic = DynamicConfig.defaults();
        int p1 = freePort();
        BatonConfig c1 = node("demo", "n1", p1, repoDir);
        LocalPostgres primary = startPrimary(c1);
        PgBackRest repo1 = PgBackRest.create(c1, runner);
        String conf = Files.readString(primary.dataDir().resolve("postgresql.conf"));
        assertTrue(conf.contains("archive_mode = 'always'"), conf);
        assertTrue(conf.contains("archive-push %p"), conf);

        assertEquals(List.of(), repo1.list(), "no stanza yet: no backups");
        repo1.ensureStanza();
        repo1.ensureStanza(); // idempotent
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(repo1.confFile())));

        Connection su = connect(p1);
        exec(su, "CREATE TABLE t (batch int, x int)");
        List<long[]> updates = new CopyOnWriteArrayList<>();
        BackupInfo backup = repo1.backup(BackupType.FULL, (done, total) -> updates.add(new long[] {done, total}));
        assertEquals(BackupType.FULL, backup.type());
        assertTrue(backup.label().endsWith("F"), backup.label());
        assertFalse(updates.isEmpty(), "progress was reported");
        assertTrue(updates.stream().anyMatch(u -> u[0] > 0 && u[1] >= u[0]), "bytes done of a total");

        // pgBackRest picks the newest backup that stopped before the target, and keeps whole seconds.
        while (!Instant.now().isAfter(backup.stop().plusSeconds(1))) {
            Thread.sleep(100);
        }
        exec(su, "INSERT INTO t SELECT 1, g FROM generate_series(1, 100) g");
        Instant t = Instant.parse(one(su, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                + "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"));
        String firstSegment = one(su, "SELECT pg_walfile_name(pg_current_wal_lsn())");
        exec(su, "SELECT pg_switch_wal()");
        awaitArchived("the first batch's segment is archived", primary, firstSegment);
        Thread.sleep(50); // the second batch commits strictly after T
        exec(su, "INSERT INTO t SELECT 2, g FROM generate_series(1, 50) g");
        String secondSegment = one(su, "SELECT pg_walfile_name(pg_current_wal_lsn())");
        exec(su, "SELECT pg_switch_wal()");
        awaitArchived("the second batch's segment is archived", primary, secondSegment);
        ArchiverStats stats = primary.archiver();
        assertTrue(stats.archivedCount() > 0 && stats.lastArchivedTime() != null, stats.toString());

        List<BackupInfo> listed = repo1.list();
        assertEquals(1, listed.size(), listed.toString());
        BackupInfo b = listed.get(0);
        assertEquals(backup, b);
        assertNotNull(b.start());
        assertNotNull(b.stop());
        assertFalse(b.stop().isBefore(b.start()));
        assertTrue(b.walStart().matches("[0-9A-F]{24}"), b.walStart());
        assertTrue(b.walStop().compareTo(b.walStart()) >= 0, b.walStop());
        assertTrue(b.sizeBytes() > 1_000_000, "size " + b.sizeBytes());
        assertTrue(b.repoSizeBytes() > 0);
        assertTrue(b.lsnStart().contains("/"), b.lsnStart());

        // A new cluster (scope "pitr") restored from demo's stanza to T: exactly the first batch.
        int p2 = freePort();
        BatonConfig c2 = node("pitr", "n2", p2, repoDir, new RestoreConfig("demo", t, null));
        PgBackRest repo2 = PgBackRest.create(c2, runner);
        assertEquals(1, repo2.list("demo").size());
        assertEquals(List.of(), repo2.list());
        LocalPostgres pitr = track(new LocalPostgres(c2, bin, runner));
        List<long[]> restoreUpdates = new CopyOnWriteArrayList<>();
        repo2.restoreCluster(c2.bootstrap().restore(), (done, total) -> restoreUpdates.add(
                new long[] {done, total}));
        assertFalse(restoreUpdates.isEmpty(), "restore progress was reported");
        String auto = Files.readString(pitr.dataDir().resolve("postgresql.auto.conf"));
        assertTrue(auto.contains("--stanza=demo") && auto.contains("recovery_target_time"), auto);
        pitr.configure(false, null, dynamic);
        pitr.start(TIMEOUT);
        await("the restored cluster promotes", () -> pitr.status().running() && !pitr.status().inRecovery());
        Connection pc = connect(p2);
        assertEquals("100", one(pc, "SELECT count(*) FROM t"));
        assertEquals("0", one(pc, "SELECT count(*) FROM t WHERE batch = 2"));
        repo2.clearRestoreSettings();
        String cleared = Files.readString(pitr.dataDir().resolve("postgresql.auto.conf"));
        assertFalse(cleared.contains("restore_command") || cleared.contains("recovery_target"), cleared);
        repo2.ensureStanza(); // the restored cluster archives to its own stanza (reference fact 7)
        exec(pc, "INSERT INTO t VALUES (3, 1)");
        String pitrSegment = one(pc, "SELECT pg_walfile_name(pg_current_wal_lsn())");
        exec(pc, "SELECT pg_switch_wal()");
        awaitArchived("the restored cluster archives to its own stanza", pitr, pitrSegment);

        // A replica of demo restored as a standby: in recovery, with the rows.
        int p3 = freePort();
        BatonConfig c3 = node("demo", "n3", p3, repoDir);
        PgBackRest repo3 = PgBackRest.create(c3, runner);
        LocalPostgres replica = track(new LocalPostgres(c3, bin, runner));
        Files.createDirectories(replica.dataDir());
        Files.writeString(replica.dataDir().resolve("stray"), "x");
        assertThrows(BackupException.class, () -> repo3.restoreReplica(BackupProgress.NONE), "not empty");
        Files.delete(replica.dataDir().resolve("stray"));
        repo3.restoreReplica(BackupProgress.NONE);
        assertTrue(Files.exists(replica.dataDir().resolve("standby.signal")));
        String replicaAuto = Files.readString(replica.dataDir().resolve("postgresql.auto.conf"));
        assertFalse(replicaAuto.contains("restore_command"), replicaAuto);
        replica.configure(true, new Upstream("127.0.0.1", p1, null), dynamic);
        replica.start(TIMEOUT);
        Connection rc = connect(p3);
        assertEquals("t", one(rc, "SELECT pg_is_in_recovery()"));
        await("the replica holds both batches", () -> count(rc).equals("150"));
        assertTrue(replica.status().inRecovery());
        // archive_mode=always: the replica pushes what it streamed into the same stanza; pgBackRest
        // accepts a duplicate with the same checksum (reference fact 3). Two pushes of one segment at
        // the same moment may fail once (a race in the repository); the archiver retries, so both get
        // every segment archived.
        exec(su, "INSERT INTO t SELECT 4, g FROM generate_series(1, 10) g");
        String thirdSegment = one(su, "SELECT pg_walfile_name(pg_current_wal_lsn())");
        exec(su, "SELECT pg_switch_wal()");
        awaitArchived("the primary archived the third segment", primary, thirdSegment);
        awaitArchived("the replica archived it too", replica, thirdSegment);
        for (LocalPostgres pg : List.of(primary, replica)) {
            if (pg.archiver().failedCount() > 0) {
                System.out.println("archive failures of " + pg.dataDir() + ": " + pg.archiver() + "\n"
                        + tail(pg.logFile()));
            }
        }
    }

    /**
     * A backup taken on a streaming standby (backup.server, pgBackRest's backup-standby): the
     * primary's agent runs pgBackRest's TLS server, the standby's pgBackRest reaches it with its own
     * certificate (same CommonName), copies the files locally; the backup restores to the data
     * written before it. A client whose certificate has another CommonName is refused.
     */
    @Test
    void aBackupFromAStandbyThroughThePrimarysTlsServer() throws Exception {
        Path repoDir = tmp.resolve("repo");
        Files.createDirectory(repoDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path tls = tmp.resolve("tls");
        Files.createDirectory(tls);
        Instant now = Instant.now();
        dev.baton.config.tls.CertificateAuthority ca = dev.baton.config.tls.CertificateAuthority.create("test CA",
                Duration.ofDays(2), now);
        ca.self().write(tls.resolve("ca.crt"), tls.resolve("ca.key"));
        for (String n : List.of("n1", "n2")) {
            ca.issue("baton-backup", List.of("localhost"), java.util.EnumSet.allOf(
                    dev.baton.config.tls.CertificateAuthority.Usage.class), Duration.ofDays(1), now)
                    .write(tls.resolve(n + ".crt"), tls.resolve(n + ".key"));
        }
        ca.issue("intruder", List.of("localhost"), java.util.EnumSet.allOf(
                dev.baton.config.tls.CertificateAuthority.Usage.class), Duration.ofDays(1), now)
                .write(tls.resolve("n3.crt"), tls.resolve("n3.key"));
        DynamicConfig dynamic = DynamicConfig.defaults();
        int p1 = freePort();
        int s1 = freePort();
        BatonConfig c1 = node("demo", "n1", p1, repoDir, null, server(tls, "n1", s1));
        LocalPostgres primary = startPrimary(c1);
        PgBackRest repo1 = PgBackRest.create(c1, runner);
        repo1.ensureStanza();
        Connection su = connect(p1);
        exec(su, "CREATE TABLE t (batch int, x int)");
        exec(su, "INSERT INTO t SELECT 1, g FROM generate_series(1, 100) g");
        repo1.backup(BackupType.FULL, BackupProgress.NONE);

        int p2 = freePort();
        BatonConfig c2 = node("demo", "n2", p2, repoDir, null, server(tls, "n2", freePort()));
        PgBackRest repo2 = PgBackRest.create(c2, runner);
        LocalPostgres standby = track(new LocalPostgres(c2, bin, runner));
        repo2.restoreReplica(BackupProgress.NONE);
        standby.configure(true, new Upstream("127.0.0.1", p1, null), dynamic);
        standby.start(TIMEOUT);
        exec(su, "INSERT INTO t SELECT 2, g FROM generate_series(1, 50) g");
        Connection sc = connect(p2);
        await("the standby holds both batches", () -> count(sc).equals("150"));

        assertEquals("baton-backup", PgBackRest.serverCommonName(c1));
        PgBackRestPeer primaryFacts = PgBackRestPeer.of(c1);
        assertEquals(new PgBackRestPeer("localhost", s1, repo1.confFile(), primary.dataDir(), p1,
                PgBackRestConf.socketDir(c1), "postgres", false), primaryFacts);
        try (PgBackRestServer server = PgBackRestServer.start(repo1)) {
            List<long[]> updates = new CopyOnWriteArrayList<>();
            BackupInfo fromStandby = awaitBackup(() -> repo2.backupFromStandby(BackupType.FULL, primaryFacts,
                    (done, total) -> updates.add(new long[] {done, total})));
            assertEquals(BackupType.FULL, fromStandby.type());
            assertFalse(updates.isEmpty(), "progress was reported");
            assertEquals(2, repo1.list().size(), "the primary lists the standby's backup too");
            assertEquals(1, server.starts(), "the server kept running");

            // Another CommonName, signed by the same CA: the primary's server refuses it.
            BatonConfig c3 = node("demo", "n2", p2, repoDir, null, new dev.baton.config.BackupConfig.Server(
                    c2.backup().server().listen(), c2.backup().server().connectAddress(),
                    new dev.baton.config.TlsFiles(tls.resolve("n3.crt"), tls.resolve("n3.key"), null,
                            tls.resolve("ca.crt"))));
            BackupException refused = assertThrows(BackupException.class, () -> PgBackRest.create(c3, runner)
                    .backupFromStandby(BackupType.INCR, primaryFacts, BackupProgress.NONE));
            assertTrue(refused.getMessage().contains("from this standby")
                    && refused.getMessage().contains("access denied"), refused.getMessage());
        }
        exec(su, "INSERT INTO t SELECT 3, g FROM generate_series(1, 10) g");

        // The standby's backup restores: a new cluster with exactly the rows before it.
        int p3 = freePort();
        BatonConfig c3 = node("copy", "n4", p3, repoDir, new RestoreConfig("demo", null, null), null);
        PgBackRest repo3 = PgBackRest.create(c3, runner);
        LocalPostgres copy = track(new LocalPostgres(c3, bin, runner));
        repo3.restoreCluster(c3.bootstrap().restore(), BackupProgress.NONE);
        copy.configure(false, null, dynamic);
        copy.start(TIMEOUT);
        await("the copy promotes", () -> copy.status().running() && !copy.status().inRecovery());
        String rows = count(connect(p3));
        assertTrue(rows.equals("150") || rows.equals("160"), "the rows of the backup (and what was archived "
                + "after it): " + rows);
    }

    /**
     * The standby backup: pgBackRest's server may still be starting (it binds within a second), so a
     * first "unable to connect" is retried for a while.
     */
    private static BackupInfo awaitBackup(java.util.function.Supplier<BackupInfo> backup) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            try {
                return backup.get();
            } catch (BackupException e) {
                if (System.nanoTime() > deadline || !e.getMessage().contains("unable to")) {
                    throw e;
                }
                Thread.sleep(500);
            }
        }
    }

    /** A new primary of {@code c}: initdb, Baton's configuration, started, with the replication role. */
    private LocalPostgres startPrimary(BatonConfig c) throws Exception {
        LocalPostgres pg = track(new LocalPostgres(c, bin, runner));
        pg.initdb();
        pg.configure(false, null, DynamicConfig.defaults());
        pg.start(TIMEOUT);
        pg.ensureReplicationRole();
        return pg;
    }

    private static dev.baton.config.BackupConfig.Server server(Path tls, String name, int port) {
        return new dev.baton.config.BackupConfig.Server(new dev.baton.config.HostPort("127.0.0.1", port),
                new dev.baton.config.HostPort("localhost", port), new dev.baton.config.TlsFiles(
                        tls.resolve(name + ".crt"), tls.resolve(name + ".key"), null, tls.resolve("ca.crt")));
    }

    private BatonConfig node(String scope, String name, int port, Path repoDir) {
        return node(scope, name, port, repoDir, null);
    }

    private BatonConfig node(String scope, String name, int port, Path repoDir, RestoreConfig restore) {
        return node(scope, name, port, repoDir, restore, null);
    }

    private BatonConfig node(String scope, String name, int port, Path repoDir, RestoreConfig restore,
            BackupConfig.Server server) {
        Path dir = tmp.resolve(name);
        PostgresConfig pg = new PostgresConfig("127.0.0.1:" + port, null, dir.resolve("data"), null,
                dir.resolve(".pgpass"), new Authentication(SUPERUSER, REPLICATION),
                Map.of("shared_buffers", "16MB"), List.of(), null, false, null);
        BackupConfig backup = new BackupConfig(new BackupConfig.Repository(BackupConfig.RepositoryType.POSIX,
                repoDir.toString(), null, null, null, null, true), null, 2, 60, false, null, server);
        return new BatonConfig(scope, null, name, null, null,
                new BootstrapConfig(DynamicConfig.defaults(), List.of(), List.of(),
                        restore == null ? BootstrapConfig.Method.INITDB : BootstrapConfig.Method.RESTORE, restore),
                pg, null, null, null, null, null, backup);
    }

    private static void awaitArchived(String what, LocalPostgres pg, String segment) throws InterruptedException {
        try {
            await(what, () -> archivedAtLeast(pg, segment));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + ": " + pg.archiver() + "\n" + tail(pg.logFile()), e);
        }
    }

    private static boolean archivedAtLeast(LocalPostgres pg, String segment) {
        ArchiverStats s = pg.archiver();
        // The timeline's first 8 digits may differ (a promoted cluster): compare the position.
        return s != null && s.lastArchivedWal() != null && s.lastArchivedWal().length() >= 24
                && s.lastArchivedWal().substring(0, 24).compareTo(segment) >= 0;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return e.toString();
        }
    }

    private String count(Connection c) {
        try {
            return one(c, "SELECT count(*) FROM t");
        } catch (SQLException e) {
            return e.getMessage();
        }
    }

    private Connection connect(int port) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", SUPERUSER.username());
        p.setProperty("password", SUPERUSER.password());
        p.setProperty("connectTimeout", "10");
        Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
        connections.add(c);
        return c;
    }

    private LocalPostgres track(LocalPostgres pg) {
        started.add(pg);
        return pg;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next(), sql);
            return String.valueOf(rs.getString(1));
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos() * 2;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(250);
        }
    }
}
