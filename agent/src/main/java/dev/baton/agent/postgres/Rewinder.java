package dev.baton.agent.postgres;

import dev.baton.agent.postgres.PostgresController.RewindCheck;
import dev.baton.agent.process.ProcessRunner;
import dev.baton.agent.process.ProcessRunner.ProcessResult;
import dev.baton.config.Credentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Brings a stopped data directory that diverged from the primary back in line (Patroni's
 * {@code rewind.py}): single-user crash recovery first when it was not shut down cleanly (pg_rewind
 * needs a clean shutdown), then {@code pg_rewind --dry-run} to learn whether and where it
 * diverged, a copy of the WAL it would discard, and {@code pg_rewind} itself. pg_rewind connects to
 * the primary's database postgres as the rewind user ({@code postgresql.authentication.rewind}, else
 * the superuser, as in Patroni), with its libpq options and the pgpass file.
 */
final class Rewinder {
    private static final Duration RECOVERY_TIMEOUT = Duration.ofMinutes(30);
    private static final Duration DRY_RUN_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration WALDUMP_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration REWIND_TIMEOUT = Duration.ofHours(2);

    private static final Pattern DIVERGED = Pattern.compile(
            "servers diverged at WAL location ([0-9A-Fa-f]+/[0-9A-Fa-f]+) on timeline (\\d+)");
    private static final Pattern LSN_IN_WALDUMP = Pattern.compile("(?:lsn: |at )([0-9A-Fa-f]+/[0-9A-Fa-f]+)");
    private static final Pattern SEGMENT = Pattern.compile("[0-9A-F]{24}");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss");

    private final PgBinaries bin;
    private final ProcessRunner runner;
    private final Path dataDir;
    private final Credentials rewindUser;
    private final Postmaster postmaster;
    private final DataDirInspector inspector;
    private final PgConfFiles files;
    private final Clock clock;

    /**
     * @param rewindUser the role pg_rewind connects to the primary as (the rewind user, else the superuser)
     * @param clock     names the folders of kept WAL (local time)
     */
    Rewinder(PgBinaries bin, ProcessRunner runner, Path dataDir, Credentials rewindUser, Postmaster postmaster,
             DataDirInspector inspector, PgConfFiles files, Clock clock) {
        this.bin = bin;
        this.runner = runner;
        this.dataDir = dataDir;
        this.rewindUser = rewindUser;
        this.postmaster = postmaster;
        this.inspector = inspector;
        this.files = files;
        this.clock = clock;
    }

    RewindCheck checkRewind(String host, int port) {
        crashRecoveryIfNeeded();
        ProcessResult r = files.withConnection(host, port, rewindUser, "postgres", (source, env) -> runner.run(
                List.of(bin.path("pg_rewind"), "-D", dataDir.toString(), "--dry-run", "--source-server=" + source),
                env, null, DRY_RUN_TIMEOUT));
        if (!r.ok()) {
            throw new PostgresException("pg_rewind --dry-run against " + host + ":" + port + " failed: " + r.tail());
        }
        return dryRun(r.output());
    }

    /** What pg_rewind --dry-run said: whether a rewind is needed, and where the histories parted. */
    static RewindCheck dryRun(String output) {
        Matcher m = DIVERGED.matcher(output);
        long lsn = 0;
        int tli = 0;
        if (m.find()) {
            lsn = Lsn.parse(m.group(1));
            tli = Integer.parseInt(m.group(2));
        }
        return new RewindCheck(!output.contains("no rewind required"), lsn, tli, output.strip());
    }

    void rewind(String host, int port) {
        crashRecoveryIfNeeded();
        ProcessResult r = files.withConnection(host, port, rewindUser, "postgres", (source, env) -> runner.run(
                List.of(bin.path("pg_rewind"), "-D", dataDir.toString(), "--source-server=" + source, "--progress"),
                env, null, REWIND_TIMEOUT));
        if (!r.ok()) {
            throw new PostgresException("pg_rewind from " + host + ":" + port + " failed: " + r.tail());
        }
    }

    /** pg_rewind needs a cleanly shut down target: let single-user mode finish crash recovery. */
    private void crashRecoveryIfNeeded() {
        postmaster.clearStalePidFile();
        if (inspector.inspect().uncleanShutdown()) {
            ProcessResult rec = runner.run(List.of(bin.path("postgres"), "--single", "-D", dataDir.toString(),
                    "-c", "archive_mode=off", "postgres"), Map.of(), null, RECOVERY_TIMEOUT);
            if (!rec.ok()) {
                throw new PostgresException("crash recovery before pg_rewind failed: " + rec.tail());
            }
        }
    }

    /** The end of the WAL in pg_wal, as far as pg_waldump reads the newest segment; 0 if unknown. */
    long localWalEnd() {
        Path walDir = dataDir.resolve("pg_wal");
        String last;
        try (Stream<Path> names = Files.list(walDir)) {
            last = names.map(p -> p.getFileName().toString()).filter(n -> SEGMENT.matcher(n).matches())
                    .max(String::compareTo).orElse(null);
        } catch (IOException e) {
            return 0;
        }
        if (last == null) {
            return 0;
        }
        ProcessResult r = runner.run(List.of(bin.path("pg_waldump"), "-p", walDir.toString(), last),
                Map.of("LC_ALL", "C"), null, WALDUMP_TIMEOUT);
        return walEnd(r.output());
    }

    /** The highest LSN pg_waldump printed (it ends with an error at the end of the WAL, which is expected). */
    static long walEnd(String waldumpOutput) {
        long end = 0;
        Matcher m = LSN_IN_WALDUMP.matcher(waldumpOutput);
        while (m.find()) {
            end = Math.max(end, Lsn.parse(m.group(1)));
        }
        return end;
    }

    /**
     * Copies the segments of {@code timeline} from the one holding {@code fromLsn} on into
     * {@code <data dir>.diverged/<time>-tl<timeline>-<lsn>}, and returns that folder.
     */
    Path keepWal(int timeline, long fromLsn) {
        long segSize = inspector.walSegmentSize();
        Path dest = dataDir.resolveSibling(dataDir.getFileName() + ".diverged").resolve(
                STAMP.format(LocalDateTime.now(clock)) + "-tl" + timeline + "-" + Lsn.format(fromLsn).replace('/', '_'));
        try (Stream<Path> segments = Files.list(dataDir.resolve("pg_wal"))) {
            Files.createDirectories(dest);
            for (Path f : segments.toList()) {
                if (keep(f.getFileName().toString(), timeline, fromLsn, segSize)) {
                    Files.copy(f, dest.resolve(f.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
            return dest;
        } catch (IOException e) {
            throw new PostgresException("cannot keep the diverged WAL in " + dest + ": " + e.getMessage(), e);
        }
    }

    /** Whether the file named {@code name} is a WAL segment of {@code timeline} at or after the one holding {@code fromLsn}. */
    static boolean keep(String name, int timeline, long fromLsn, long segSize) {
        if (!SEGMENT.matcher(name).matches() || !name.startsWith(String.format("%08X", timeline))) {
            return false;
        }
        long seg = Long.parseLong(name.substring(8, 16), 16) * (0x100000000L / segSize)
                + Long.parseLong(name.substring(16, 24), 16);
        return seg >= fromLsn / segSize;
    }
}
