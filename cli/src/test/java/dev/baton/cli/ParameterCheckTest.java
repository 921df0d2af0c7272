package dev.baton.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.agent.postgres.PgCatalog;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** edit-config refuses what the server would refuse, only for the parameters the edit touches. */
class ParameterCheckTest {
    private static final PgCatalog PG15 = PgCatalog.parse("postgres (PostgreSQL) 15.4", """
            port\tpostmaster\tG\tINTEGER\t0\t1\t65535\td\t
            max_connections\tpostmaster\tG\tINTEGER\t0\t1\t262143\td\t
            enable_seqscan\tuser\tG\tBOOLEAN\tFALSE\t\t\td\t
            wal_keep_size\tsighup\tG\tINTEGER\t0\t0\t2147483647\td\t
            work_mem\tuser\tG\tINTEGER\t0\t64\t2147483647\td\t
            """);

    private static ParameterCheck check(int[] asked) {
        return new ParameterCheck(() -> {
            asked[0]++;
            return new ParameterCheck.Server(PG15, (n, v) -> n.equals("zero_damaged_pages") ? Optional.empty()
                    : Optional.of("is refused by PostgreSQL: unrecognized configuration parameter \"" + n + "\""), "/pg/bin");
        });
    }

    private static ObjectNode config(String parameters) throws Exception {
        return (ObjectNode) Formats.JSON.readTree("{\"ttl\":10,\"postgresql\":{\"parameters\":" + parameters + "}}");
    }

    @Test
    void aValueOrNameTheServerRefusesIsAnErrorNamingTheParameter() throws Exception {
        int[] asked = {0};
        ParameterCheck.Findings f = check(asked).check(config("{\"work_mem\":\"4MB\",\"nosuch\":1}"),
                config("{\"work_mem\":\"4MB\",\"nosuch\":1,\"max_connections\":\"lots\",\"enable_seqscan\":\"maybe\","
                        + "\"wal_keep_segments\":8,\"zero_damaged_pages\":true,\"pg_stat_statements.max\":1000}"));
        assertEquals(List.of(
                "config.postgresql.parameters.max_connections: must be an integer, optionally with a unit such as MB "
                        + "or s, got \"lots\" (PostgreSQL 15 in /pg/bin)",
                "config.postgresql.parameters.enable_seqscan: must be a boolean (on, off, true, false, yes, no, 1, 0), "
                        + "got \"maybe\" (PostgreSQL 15 in /pg/bin)"), f.errors());
        assertEquals(List.of("config.postgresql.parameters.wal_keep_segments: wal_keep_segments is not a parameter of "
                + "PostgreSQL 15 (wal_keep_segments became wal_keep_size in 13): written as wal_keep_size = '128MB' "
                + "(PostgreSQL 15 in /pg/bin)"), f.warnings());
        assertEquals(1, asked[0]);
    }

    @Test
    void editsThatTouchNoParameterDoNotLookForBinaries() throws Exception {
        int[] asked = {0};
        ParameterCheck c = check(asked);
        ObjectNode before = config("{\"nosuch\":1}");
        ObjectNode after = before.deepCopy().put("ttl", 20);
        assertEquals(new ParameterCheck.Findings(List.of(), List.of()), c.check(before, after));
        assertEquals(0, asked[0]);
        assertEquals(Map.of("work_mem", "8MB"), ParameterCheck.changed(config("{\"work_mem\":\"4MB\"}"),
                config("{\"work_mem\":\"8MB\"}")));
    }

    @Test
    void withoutBinariesNothingIsJudged() throws Exception {
        ParameterCheck none = new ParameterCheck(() -> null);
        assertEquals(new ParameterCheck.Findings(List.of(), List.of()),
                none.check(config("{}"), config("{\"max_connections\":\"lots\"}")));
    }
}
