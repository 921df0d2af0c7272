package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Renamed parameters, both ways, by version: what is written, and the warning. */
class PgParameterTranslationTest {

    private static Map<String, String> map(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    static Stream<Arguments> table() {
        return Stream.of(
                Arguments.of("issue 14: Patroni's wal_keep_segments on 15", 150004,
                        map("work_mem", "4MB", "wal_keep_segments", "8", "x", "1"),
                        map("work_mem", "4MB", "wal_keep_size", "128MB", "x", "1"),
                        "wal_keep_segments is not a parameter of PostgreSQL 15 (wal_keep_segments became wal_keep_size "
                                + "in 13): written as wal_keep_size = '128MB'"),
                Arguments.of("both given on 15: wal_keep_size wins", 150004,
                        map("wal_keep_size", "1GB", "wal_keep_segments", "8"), map("wal_keep_size", "1GB"),
                        "wal_keep_segments is not a parameter of PostgreSQL 15 (wal_keep_segments became wal_keep_size "
                                + "in 13): dropped, wal_keep_size is set"),
                Arguments.of("wal_keep_size on 12", 120010, map("wal_keep_size", "1GB"), map("wal_keep_segments", "64"),
                        "wal_keep_size is not a parameter of PostgreSQL 12 (wal_keep_segments became wal_keep_size "
                                + "in 13): written as wal_keep_segments = '64'"),
                Arguments.of("wal_keep_size without a unit is in MB", 120010, map("wal_keep_size", "100"),
                        map("wal_keep_segments", "6"), null),
                Arguments.of("an unreadable value is dropped", 150004, map("wal_keep_segments", "many"), map(),
                        "wal_keep_segments is not a parameter of PostgreSQL 15 (wal_keep_segments became wal_keep_size "
                                + "in 13): dropped, \"many\" has no wal_keep_size equivalent"),
                Arguments.of("checkpoint_segments on 9.5 and later", 130000, map("checkpoint_segments", "32"),
                        map("max_wal_size", "1536MB"), null),
                Arguments.of("max_wal_size is not translated back", 90400, map("max_wal_size", "1GB"),
                        map(), "max_wal_size is not a parameter of PostgreSQL 9.4 (checkpoint_segments became "
                                + "max_wal_size in 9.5): dropped, \"1GB\" has no checkpoint_segments equivalent"),
                Arguments.of("force_parallel_mode on 16", 160002, map("force_parallel_mode", "on"),
                        map("debug_parallel_query", "on"), null),
                Arguments.of("debug_parallel_query on 15", 150004, map("debug_parallel_query", "regress"),
                        map("force_parallel_mode", "regress"), null),
                Arguments.of("the parameters of the version pass", 150004, map("wal_keep_size", "1GB", "max_wal_size", "2GB"),
                        map("wal_keep_size", "1GB", "max_wal_size", "2GB"), null),
                Arguments.of("an unknown version translates nothing", 0, map("wal_keep_segments", "8"),
                        map("wal_keep_segments", "8"), null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void translate(String what, int version, Map<String, String> in, Map<String, String> out, String warning) {
        PgParameterTranslation.Result r = PgParameterTranslation.translate(in, version);
        assertEquals(List.copyOf(out.entrySet()), List.copyOf(r.parameters().entrySet()), "in order");
        if (warning != null) {
            assertEquals(List.of(warning), r.warnings());
        } else {
            assertEquals(out.equals(in) ? 0 : 1, r.warnings().size(), r.warnings().toString());
        }
    }
}
