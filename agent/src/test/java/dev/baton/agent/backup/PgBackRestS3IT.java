package dev.baton.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.agent.postgres.LocalPostgres;
import dev.baton.agent.postgres.PgBinaries;
import dev.baton.agent.postgres.PostgresController.StopMode;
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
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pgBackRest's real S3 driver against S3Proxy on loopback over TLS ({@link S3ProxyServer}).
 * First with a hand-written configuration (the server's certificate checked against the test CA):
 * a PostgreSQL 15 archiving with {@code archive-push}, a full backup, {@code info}, a restore into a
 * new data directory with the rows written before and after the backup (the latter from the
 * archive). Then through Baton: {@link PgBackRest} with a {@code backup.repository} of type s3
 * (path-style, the endpoint, no TLS verification: the configuration has no CA option) and the
 * credentials from the agent's environment, written only into the 0600 file: archiving set up by
 * {@link LocalPostgres}, stanza, backup, list, and a new cluster restored from it. Runs as an
 * unprivileged user (PostgreSQL refuses root).
 */
class PgBackRestS3IT {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final String STANZA = "s3it";

    @TempDir
    Path tmp;

    private final PgBinaries bin = PgBinaries.locate(null);
    private final List<Path> running = new ArrayList<>();
    private final SystemProcessRunner runner = new SystemProcessRunner();
    private final List<LocalPostgres> started = new ArrayList<>();
    private S3ProxyServer s3;

    @AfterEach
    void stop() throws Exception {
        for (LocalPostgres pg : started) {
            try {
                if (pg.isRunning()) {
                    pg.stop(StopMode.IMMEDIATE, TIMEOUT);
                }
            } finally {
                pg.close();
            }
        }
        for (Path data : running) {
            run(List.of(bin.path("pg_ctl"), "-D", data.toString(), "-m", "immediate", "-w", "stop"), false);
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void archivesBacksUpAndRestoresThroughTheS3Driver() throws Exception {
        s3 = S3ProxyServer.start(tmp.resolve("s3"), "baton-backups");
        Path data = tmp.resolve("pg1");
        Path sock = Files.createDirectories(tmp.resolve("sock"));
        int port = freePort();
        Path conf = tmp.resolve("pgbackrest.conf");
        writeConf(conf, data, sock, port);

        run(List.of(bin.path("initdb"), "-D", data.toString(), "-U", "postgres", "-A", "trust", "--data-checksums"), true);
        Files.writeString(data.resolve("postgresql.conf"), String.join("\n", "",
                "port = " + port,
                "listen_addresses = '127.0.0.1'",
                "unix_socket_directories = '" + sock + "'",
                "wal_level = replica",
                "archive_mode = on",
                "archive_command = 'pgbackrest --config=" + conf + " --stanza=" + STANZA + " archive-push %p'",
                ""), StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        start(data);

        pgbackrest(conf, "stanza-create");
        pgbackrest(conf, "check"); // pushes a WAL segment through archive_command and finds it in the bucket
        try (Connection c = connect(port)) {
            exec(c, "CREATE TABLE t (x int)");
            exec(c, "INSERT INTO t SELECT generate_series(1, 100)");
        }
        String backup = pgbackrest(conf, "backup", "--type=full");
        assertTrue(backup.contains("backup command end: completed successfully"), backup);

        JsonNode info = new ObjectMapper().readTree(pgbackrest(conf, "info", "--output=json"));
        JsonNode backups = info.get(0).get("backup");
        assertEquals(1, backups.size(), info.toString());
        assertEquals("full", backups.get(0).get("type").asText());
        assertTrue(backups.get(0).get("info").get("size").asLong() > 0, info.toString());
        assertTrue(Files.isDirectory(s3.dataDir().resolve("baton-backups")), "objects are in the bucket");

        // Rows after the backup reach the restore only through the archive.
        String lastWal;
        try (Connection c = connect(port)) {
            exec(c, "INSERT INTO t SELECT generate_series(101, 150)");
            lastWal = one(c, "SELECT pg_walfile_name(pg_switch_wal())");
            String wal = lastWal;
            await("the segment with the last rows is archived", () -> {
                try {
                    String archived = one(c, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
                    return archived.compareTo(wal) >= 0;
                } catch (SQLException e) {
                    return false;
                }
            });
        }
        stop(data);

        Path restored = tmp.resolve("pg2");
        int port2 = freePort();
        pgbackrest(conf, "restore", "--pg1-path=" + restored, "--archive-mode=off");
        Files.writeString(restored.resolve("postgresql.conf"), "\nport = " + port2 + "\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);
        start(restored);
        await("the restored server leaves recovery", () -> {
            try (Connection c = connect(port2)) {
                return "f".equals(one(c, "SELECT pg_is_in_recovery()"));
            } catch (SQLException e) {
                return false;
            }
        });
        try (Connection c = connect(port2)) {
            assertEquals("150", one(c, "SELECT count(*) FROM t"));
            assertEquals("150", one(c, "SELECT max(x) FROM t"));
        }
    }

    @Test
    void batonsPgBackRestArchivesBacksUpAndRestoresThroughS3() throws Exception {
        s3 = S3ProxyServer.start(tmp.resolve("s3"), "baton-backups");
        Map<String, String> env = Map.of("AWS_ACCESS_KEY_ID", s3.accessKey(), "AWS_SECRET_ACCESS_KEY", s3.secretKey());
        int p1 = freePort();
        BatonConfig c1 = node("s3demo", "n1", p1, null);
        LocalPostgres primary = track(new LocalPostgres(c1, bin, runner));
        primary.initdb();
        primary.configure(false, null, DynamicConfig.defaults());
        // The credentials are in the repository's file (0600), which archive-push reads too.
        PgBackRest repo = new PgBackRest(c1, runner, env, 1);
        primary.start(TIMEOUT);
        repo.ensureStanza();
        String conf = Files.readString(repo.confFile());
        assertTrue(conf.contains("repo1-type=s3") && conf.contains("repo1-s3-uri-style=path")
                && conf.contains("repo1-s3-key-type=shared"), conf);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(repo.confFile())));

        try (Connection c = connect(p1, "su-pw")) {
            exec(c, "CREATE TABLE t (x int)");
            exec(c, "INSERT INTO t SELECT generate_series(1, 100)");
        }
        BackupInfo backup = repo.backup(BackupType.FULL, BackupProgress.NONE);
        assertEquals(BackupType.FULL, backup.type());
        assertEquals(List.of(backup), repo.list());
        try (Connection c = connect(p1, "su-pw")) {
            exec(c, "INSERT INTO t SELECT generate_series(101, 150)");
            String wal = one(c, "SELECT pg_walfile_name(pg_switch_wal())");
            await("the segment with the last rows is archived", () -> {
                var stats = primary.archiver();
                return stats != null && stats.lastArchivedWal() != null && stats.lastArchivedWal().compareTo(wal) >= 0;
            });
            assertEquals(0, primary.archiver().failedCount());
        }

        int p2 = freePort();
        BatonConfig c2 = node("s3copy", "n2", p2, new RestoreConfig("s3demo", null, null));
        PgBackRest repo2 = new PgBackRest(c2, runner, env, 1);
        LocalPostgres copy = track(new LocalPostgres(c2, bin, runner));
        repo2.restoreCluster(c2.bootstrap().restore(), BackupProgress.NONE);
        copy.configure(false, null, DynamicConfig.defaults());
        copy.start(TIMEOUT);
        await("the restored cluster promotes", () -> copy.status().running() && !copy.status().inRecovery());
        try (Connection c = connect(p2, "su-pw")) {
            assertEquals("150", one(c, "SELECT count(*) FROM t"), "the rows of the backup and of the archive");
        }
        repo2.clearRestoreSettings();
        repo2.ensureStanza(); // the copy archives to its own stanza in the same bucket
    }

    private BatonConfig node(String scope, String name, int port, RestoreConfig restore) {
        Path dir = tmp.resolve(name);
        PostgresConfig pg = new PostgresConfig("127.0.0.1:" + port, null, dir.resolve("data"), null,
                dir.resolve(".pgpass"), new Authentication(new Credentials("postgres", "su-pw"),
                new Credentials("replicator", "rep-pw")), Map.of("shared_buffers", "16MB"), List.of(), null, false, null);
        BackupConfig backup = new BackupConfig(new BackupConfig.Repository(BackupConfig.RepositoryType.S3,
                "/baton", s3.bucket(), s3.region(), "https://" + s3.endpoint(), "path", true, s3.caFile()), null, 2, 60,
                false, null);
        return new BatonConfig(scope, null, name, null, null,
                new BootstrapConfig(DynamicConfig.defaults(), List.of(), List.of(),
                        restore == null ? BootstrapConfig.Method.INITDB : BootstrapConfig.Method.RESTORE, restore),
                pg, null, null, null, null, null, backup);
    }

    private LocalPostgres track(LocalPostgres pg) {
        started.add(pg);
        return pg;
    }

    private void writeConf(Path conf, Path data, Path sock, int port) throws IOException {
        Files.writeString(conf, String.join("\n",
                "[global]",
                "repo1-type=s3",
                "repo1-path=/" + STANZA,
                "repo1-s3-bucket=" + s3.bucket(),
                "repo1-s3-endpoint=" + s3.host(),
                "repo1-storage-port=" + s3.port(),
                "repo1-s3-region=" + s3.region(),
                "repo1-s3-uri-style=path",
                "repo1-storage-ca-file=" + s3.caFile(),
                "repo1-s3-key-type=shared",
                "repo1-s3-key=" + s3.accessKey(),
                "repo1-s3-key-secret=" + s3.secretKey(),
                "repo1-retention-full=2",
                "lock-path=" + tmp.resolve("lock"),
                "log-path=" + tmp.resolve("log"),
                "spool-path=" + tmp.resolve("spool"), // restore lists it (default /var/spool/pgbackrest)
                "log-level-file=off",
                "log-level-console=info",
                "start-fast=y",
                "",
                "[" + STANZA + "]",
                "pg1-path=" + data,
                "pg1-port=" + port,
                "pg1-socket-path=" + sock,
                "pg1-user=postgres",
                ""), StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
    }

    private String pgbackrest(Path conf, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("pgbackrest", "--config=" + conf, "--stanza=" + STANZA));
        cmd.addAll(List.of(args));
        return run(cmd, true);
    }

    private void start(Path data) throws Exception {
        run(List.of(bin.path("pg_ctl"), "-D", data.toString(), "-l", data + ".log", "-w", "-t", "120", "start"), true);
        running.add(data);
    }

    private void stop(Path data) throws Exception {
        run(List.of(bin.path("pg_ctl"), "-D", data.toString(), "-m", "fast", "-w", "stop"), true);
        running.remove(data);
    }

    private String run(List<String> cmd, boolean check) throws Exception {
        Path out = Files.createTempFile(tmp, "cmd", ".out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish in " + TIMEOUT);
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        if (check && p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " exited " + p.exitValue() + ":\n" + text
                    + (s3 == null ? "" : "\nS3Proxy log:\n" + s3.logTail()));
        }
        return text;
    }

    private static Connection connect(int port) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres");
    }

    private static Connection connect(int port, String password) throws SQLException {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", password);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(200);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
