package dev.baton.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.agent.postgres.PgBinaries;
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
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pgBackRest's real S3 driver against S3Proxy on loopback over TLS ({@link S3ProxyServer}): a
 * PostgreSQL 15 archiving with {@code archive-push} to an S3 repository (path-style URIs, the
 * server's certificate checked against the test CA, SigV4 with the server's key), a full backup,
 * {@code info}, then a restore into a new data directory that holds the rows written before and
 * after the backup (the latter from the archive). Runs as an unprivileged user (PostgreSQL
 * refuses root).
 */
class PgBackRestS3IT {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final String STANZA = "s3it";

    @TempDir
    Path tmp;

    private final PgBinaries bin = PgBinaries.locate(null);
    private final List<Path> running = new ArrayList<>();
    private S3ProxyServer s3;

    @AfterEach
    void stop() throws Exception {
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
