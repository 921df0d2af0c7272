package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What PostgreSQL 15 would refuse in postgresql.conf, judged from its captured catalog. */
class PgParameterCheckTest {
    private static final PgCatalog PG15 = PgCatalogTest.pg15();
    private static final PgParameterCheck.Probe NEVER = (n, v) -> {
        throw new AssertionError("probed " + n);
    };

    @ParameterizedTest(name = "{0} = ''{1}''")
    @CsvSource(delimiter = '|', value = {
        "enable_seqscan   | on", "enable_seqscan | OFF", "enable_seqscan | t", "enable_seqscan | fal",
        "enable_seqscan   | yes", "enable_seqscan | n", "enable_seqscan | of", "enable_seqscan | 1",
        "max_connections  | 200", "max_connections | ' 200 '", "max_connections | 0x10", "max_connections | 1.6",
        "shared_buffers   | 128MB", "shared_buffers | 16", "shared_buffers | 1 GB",
        "work_mem         | 64", "statement_timeout | 1min", "statement_timeout | 0",
        "checkpoint_completion_target | 0.9", "checkpoint_completion_target | 1", "checkpoint_completion_target | .5",
        "wal_level        | logical", "wal_level | anything: enums are not listed",
        "archive_command  | 'cp %p /a/%f'", "log_line_prefix | ''",
        "auto_explain.log_min_duration | whatever", "wal_keep_size | 128MB"})
    void accepted(String name, String value) {
        assertEquals(Optional.empty(), PgParameterCheck.problem(PG15, NEVER, name, value));
    }

    @ParameterizedTest(name = "{0} = ''{1}''")
    @CsvSource(delimiter = '|', value = {
        "enable_seqscan   | maybe  | must be a boolean",
        "enable_seqscan   | o      | must be a boolean",
        "enable_seqscan   | ''     | must be a boolean",
        "enable_seqscan   | 2      | must be a boolean",
        "max_connections  | lots   | must be an integer",
        "max_connections  | 0      | must be between 1 and 262143",
        "max_connections  | 262144 | must be between 1 and 262143",
        "max_connections  | 1e9    | must be between 1 and 262143",
        "shared_buffers   | 8      | must be between 16 and 1073741823",
        "shared_buffers   | 128mb  | has an unknown unit \"mb\"",
        "shared_buffers   | 128 MB MB | must be an integer",
        "checkpoint_completion_target | 1.5 | must be between 0 and 1",
        "checkpoint_completion_target | x   | must be a number"})
    void refused(String name, String value, String why) {
        String problem = PgParameterCheck.problem(PG15, NEVER, name, value).orElseThrow();
        assertEquals(true, problem.startsWith(why), problem);
    }

    @Test
    void aNameTheCatalogDoesNotListGoesToTheServer() {
        PgParameterCheck.Probe server = (n, v) -> n.equals("zero_damaged_pages") ? Optional.empty()
                : Optional.of("is refused by PostgreSQL: unrecognized configuration parameter \"" + n + "\"");
        assertEquals(Optional.empty(), PgParameterCheck.problem(PG15, server, "zero_damaged_pages", "on"));
        assertEquals(Optional.of("is refused by PostgreSQL: unrecognized configuration parameter \"wal_keep_segments\""),
                PgParameterCheck.problem(PG15, server, "wal_keep_segments", "8"));
        assertEquals(Optional.of("is not a parameter of PostgreSQL 15"),
                PgParameterCheck.problem(PG15, PgParameterCheck.Probe.unlisted(PG15), "wal_keep_segments", "8"));
        assertEquals(Optional.empty(), PgParameterCheck.problem(PgCatalog.unknown(), NEVER, "anything", "x"),
                "an unknown catalog checks nothing");
    }
}
