package dev.baton.agent.postgres;

import dev.baton.agent.process.ProcessRunner;
import dev.baton.agent.process.ProcessRunner.ProcessResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Reads what is on disk in the data directory without a running server: its files and {@code pg_controldata}. */
record DataDirInspector(PgBinaries bin, ProcessRunner runner, Path dataDir) {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** PostgreSQL's default WAL segment size, for when pg_controldata does not say. */
    static final long DEFAULT_WAL_SEGMENT_SIZE = 16L * 1024 * 1024;

    DataDirInfo inspect() {
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
        ProcessResult r = controldata();
        if (!r.ok()) {
            return DataDirInfo.invalid("pg_controldata failed on " + dataDir + ": " + r.tail());
        }
        return info(fields(r.output()), Files.exists(dataDir.resolve("standby.signal")));
    }

    /** "Bytes per WAL segment" from pg_controldata, else PostgreSQL's default. */
    long walSegmentSize() {
        String size = fields(controldata().output()).get("Bytes per WAL segment");
        try {
            return size == null ? DEFAULT_WAL_SEGMENT_SIZE : Long.parseLong(size);
        } catch (NumberFormatException e) {
            return DEFAULT_WAL_SEGMENT_SIZE;
        }
    }

    private ProcessResult controldata() {
        return runner.run(List.of(bin.path("pg_controldata"), "-D", dataDir.toString()), Map.of("LC_ALL", "C"), null,
                TIMEOUT);
    }

    /** pg_controldata's "name: value" lines (in the C locale) as a map. */
    static Map<String, String> fields(String output) {
        Map<String, String> fields = new HashMap<>();
        for (String line : output.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
            }
        }
        return fields;
    }

    /** An initialized data directory as pg_controldata's fields describe it. */
    static DataDirInfo info(Map<String, String> fields, boolean standbySignal) {
        int tli = parseInt(fields.get("Latest checkpoint's TimeLineID"));
        String location = fields.get("Latest checkpoint location");
        long lsn = location != null ? Lsn.parse(location) : 0;
        return new DataDirInfo(DataDirInfo.Kind.INITIALIZED, fields.get("Database system identifier"),
                fields.get("Database cluster state"), tli, lsn, standbySignal, null);
    }

    private static int parseInt(String s) {
        try {
            return s == null ? 0 : Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
