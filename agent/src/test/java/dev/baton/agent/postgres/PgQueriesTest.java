package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.Credentials;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The SQL the agent sends and how it reads the answers, on a fake JDBC connection. */
class PgQueriesTest {
    private final FakeJdbc jdbc = new FakeJdbc();
    private final PgQueries queries = new PgQueries(jdbc.connector());

    private static List<Object> row(Object... values) {
        return Arrays.asList(values);
    }

    @Test
    void aPrimarysStatusWithItsReplicas() {
        jdbc.rows(PgQueries.STATUS_SQL, List.of(row(false, 150004, "2026-12-01 10:00:00+00", "0/3000060", null, null,
                        null, false, 3, 2, true, null)))
                .rows(PgQueries.REPLICATION_SQL, List.of(
                        row("node2", "10.0.0.2", "streaming", "sync", "0/3000060", "0/3000060", "0/3000000", 0.25,
                                "replicator", 1),
                        row("node3", "10.0.0.3", "catchup", "async", "0/2000000", null, null, null, null, 0)));
        PgStatus s = queries.status();
        assertEquals(new PgStatus(true, false, 3, Lsn.parse("0/3000060"), 0, 0, null, false, false, null, 0,
                "2026-12-01 10:00:00+00", 150004, List.of(
                new PgStatus.Replica("node2", "10.0.0.2", "streaming", "sync", Lsn.parse("0/3000060"),
                        Lsn.parse("0/3000060"), Lsn.parse("0/3000000"), 0.25, "replicator", 1),
                new PgStatus.Replica("node3", "10.0.0.3", "catchup", "async", Lsn.parse("0/2000000"), 0, 0, null,
                        null, 0)),
                true), s);
        assertEquals(List.of("autocommit true", PgQueries.STATUS_SQL, PgQueries.REPLICATION_SQL), jdbc.log());
    }

    @Test
    void aReplicaReportsTheTimelineItsWalReceiverReplays() {
        jdbc.rows(PgQueries.STATUS_SQL, List.of(row(true, 150004, "t0", null, "0/5000000", "0/4000000", "t1", true,
                        0, 2, false, 3)))
                .rows(PgQueries.RECEIVER_SQL, List.of(row("streaming", 2, "10.0.0.1", 5432)));
        PgStatus s = queries.status();
        assertEquals(new PgStatus(true, true, 2, 0, Lsn.parse("0/5000000"), Lsn.parse("0/4000000"), "t1", true, true,
                "10.0.0.1", 5432, "t0", 150004, List.of(), false), s);
    }

    @ParameterizedTest(name = "checkpoint {0}, newest history {1}, receiver {2}: timeline {3}")
    @CsvSource({"2, 3, , 3", "4, 3, , 4", "2, 3, 2, 2", "2, 3, 0, 3"})
    void aReplicasTimelineWithoutOrWithAReceiver(int checkpoint, int history, Integer receiver, int timeline) {
        jdbc.rows(PgQueries.STATUS_SQL, List.of(row(true, 150004, "t0", null, null, null, null, false, 0, checkpoint,
                false, history)));
        if (receiver != null) {
            jdbc.rows(PgQueries.RECEIVER_SQL, List.of(row("waiting", receiver, null, null)));
        }
        PgStatus s = queries.status();
        assertEquals(timeline, s.timeline());
        assertEquals(false, s.streaming());
    }

    @Test
    void aFailedQueryReadsAsStoppedAndTheNextOneReconnects() {
        jdbc.fail(PgQueries.STATUS_SQL, "the connection attempt failed");
        assertEquals(PgStatus.stopped(), queries.status());
        assertEquals(1, jdbc.closes());
        queries.status();
        assertEquals(2, jdbc.connects());
    }

    @Test
    void synchronousStandbyNamesThroughAlterSystemThenAReload() {
        queries.setSynchronousStandbyNames("FIRST 1 (\"node'2\")");
        queries.setSynchronousStandbyNames(null);
        assertEquals(List.of("autocommit true",
                "ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 (\"node''2\")'", "SELECT pg_reload_conf()",
                "ALTER SYSTEM RESET synchronous_standby_names", "SELECT pg_reload_conf()"), jdbc.log());
    }

    static final String TRACK_UTILITY_OFF = "SELECT set_config('pg_stat_statements.track_utility', 'off', true) "
            + "FROM pg_settings WHERE name = 'pg_stat_statements.track_utility'";

    @Test
    void aBootstrapUserIsCreatedOutOfTheLogAndOutOfPgStatStatements() {
        queries.ensureBootstrapUser(new dev.baton.config.BootstrapUser("admin", "pw'1", List.of("CREATEDB")));
        assertEquals(List.of("autocommit true", "SELECT 1 FROM pg_roles WHERE rolname = ? [admin]", "autocommit false",
                "SET LOCAL log_statement = 'none'", "SET LOCAL log_min_duration_statement = -1",
                "SET LOCAL log_min_error_statement = 'panic'", TRACK_UTILITY_OFF,
                "CREATE ROLE \"admin\" WITH CREATEDB LOGIN PASSWORD E'pw''1'", "commit", "autocommit true"),
                jdbc.log());
    }

    @Test
    void theReplicationRoleIsCreatedOrAlteredWithItsPasswordOutOfTheLog() {
        queries.ensureReplicationRole(new Credentials("rep\"l", "it's"));
        assertEquals(List.of("autocommit true", "SELECT 1 FROM pg_roles WHERE rolname = ? [rep\"l]", "autocommit false",
                "SET LOCAL log_statement = 'none'", "SET LOCAL log_min_duration_statement = -1",
                "SET LOCAL log_min_error_statement = 'panic'", PgQueriesTest.TRACK_UTILITY_OFF,
                "CREATE ROLE \"rep\"\"l\" WITH REPLICATION LOGIN PASSWORD 'it''s'", "commit", "autocommit true"),
                jdbc.log());
        assertEquals("ALTER ROLE \"r\" WITH REPLICATION LOGIN PASSWORD NULL",
                PgQueries.roleStatement(true, new Credentials("r", null)));
    }

    @Test
    void theRewindRoleIsANonSuperuserLoginWithTheGrantsPgRewindNeedsAndItsPasswordOutOfTheLog() {
        jdbc.rows(PgQueries.VERSION_SQL, List.of(row(150004)));
        queries.ensureRewindRole(new Credentials("re\"wind", "it's"));
        assertEquals(List.of("autocommit true", PgQueries.VERSION_SQL,
                "SELECT 1 FROM pg_roles WHERE rolname = ? [re\"wind]",
                "autocommit false", "SET LOCAL log_statement = 'none'", "SET LOCAL log_min_duration_statement = -1",
                "SET LOCAL log_min_error_statement = 'panic'", PgQueriesTest.TRACK_UTILITY_OFF,
                "CREATE ROLE \"re\"\"wind\" WITH NOSUPERUSER LOGIN PASSWORD 'it''s'",
                "GRANT EXECUTE ON FUNCTION pg_catalog.pg_ls_dir(text, boolean, boolean) TO \"re\"\"wind\"",
                "GRANT EXECUTE ON FUNCTION pg_catalog.pg_stat_file(text, boolean) TO \"re\"\"wind\"",
                "GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text) TO \"re\"\"wind\"",
                "GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean) "
                        + "TO \"re\"\"wind\"",
                "GRANT ALTER SYSTEM ON PARAMETER synchronous_standby_names, default_transaction_read_only "
                        + "TO \"re\"\"wind\"",
                "GRANT EXECUTE ON FUNCTION pg_catalog.pg_reload_conf() TO \"re\"\"wind\"",
                "GRANT pg_signal_backend TO \"re\"\"wind\"", "commit", "autocommit true"), jdbc.log());
        assertEquals("ALTER ROLE \"r\" WITH LOGIN PASSWORD NULL",
                PgQueries.rewindRoleStatements(true, new Credentials("r", null)).get(0),
                "an existing role keeps its attributes");
    }

    @Test
    void theFenceGrantsGoToAnExistingRoleThatIsNoSuperuserQuotedAsAnIdentifier() {
        jdbc.rows(PgQueries.VERSION_SQL, List.of(row(150004)))
                .rows("SELECT rolsuper FROM pg_roles", List.of(row(false)));
        assertEquals(true, queries.ensureFenceGrants("re\"wind"));
        assertEquals(List.of("autocommit true", PgQueries.VERSION_SQL,
                "SELECT rolsuper FROM pg_roles WHERE rolname = ? [re\"wind]", "autocommit false",
                "GRANT ALTER SYSTEM ON PARAMETER synchronous_standby_names, default_transaction_read_only "
                        + "TO \"re\"\"wind\"",
                "GRANT EXECUTE ON FUNCTION pg_catalog.pg_reload_conf() TO \"re\"\"wind\"",
                "GRANT pg_signal_backend TO \"re\"\"wind\"", "commit", "autocommit true"), jdbc.log());

        jdbc.rows("SELECT rolsuper FROM pg_roles", List.of(row(true)));
        assertEquals(false, queries.ensureFenceGrants("postgres"), "a superuser needs nothing");
        jdbc.rows("SELECT rolsuper FROM pg_roles", List.of());
        assertEquals(false, queries.ensureFenceGrants("nobody"), "no such role");
    }

    @Test
    void beforePostgres15OnlyASuperuserMayAlterSystemSoThatGrantIsLeftOut() {
        assertEquals(List.of("GRANT EXECUTE ON FUNCTION pg_catalog.pg_reload_conf() TO \"r\"",
                "GRANT pg_signal_backend TO \"r\""), PgQueries.fenceGrantStatements("r", 140010));
    }

    @Test
    void aFailedGrantIsRolledBack() {
        jdbc.rows(PgQueries.VERSION_SQL, List.of(row(150004)))
                .rows("SELECT rolsuper FROM pg_roles", List.of(row(false)))
                .fail("GRANT pg_signal_backend", "permission denied");
        PostgresException e = assertThrows(PostgresException.class, () -> queries.ensureFenceGrants("rewinder"));
        assertEquals("cannot grant the fencing privileges to rewinder: permission denied", e.getMessage());
        List<String> log = jdbc.log();
        assertEquals(List.of("rollback", "autocommit true"), log.subList(log.size() - 2, log.size()));
    }

    @Test
    void theSuperusersTlsOptionsBecomePgjdbcProperties() {
        Map<String, String> libpq = new LinkedHashMap<>();
        libpq.put("sslmode", "verify-full");
        libpq.put("sslrootcert", "/ca.crt");
        libpq.put("sslcert", "/su.crt");
        libpq.put("sslkey", "/su.key");
        libpq.put("sslpassword", "pw");
        libpq.put("sslcrl", "/crl.pem");
        libpq.put("gssencmode", "disable");
        libpq.put("channel_binding", "require");
        java.util.Properties p = PgJdbcTls.properties(libpq);
        Map<Object, Object> expected = new java.util.HashMap<>(Map.of("sslmode", "verify-full", "sslrootcert",
                "/ca.crt", "sslcert", "/su.crt", "sslkey", "/su.key", "sslpassword", "pw", "gssEncMode", "disable",
                "channelBinding", "require", "sslfactory", PgJdbcTls.SocketFactory.class.getName()));
        assertEquals(expected, new java.util.HashMap<>(p));
        assertEquals(new java.util.Properties(), PgJdbcTls.properties(Map.of()), "pgjdbc's defaults, as before");
        assertEquals(Map.of("sslmode", "disable"), new java.util.HashMap<>(PgJdbcTls.properties(
                Map.of("sslmode", "disable"))));
    }

    @Test
    void aFailedRoleStatementIsRolledBack() {
        jdbc.fail("CREATE ROLE", "permission denied");
        PostgresException e = assertThrows(PostgresException.class,
                () -> queries.ensureReplicationRole(new Credentials("replicator", "pw")));
        assertEquals("cannot create the replication role replicator: permission denied", e.getMessage());
        List<String> log = jdbc.log();
        assertEquals(List.of("rollback", "autocommit true"), log.subList(log.size() - 2, log.size()));
        assertEquals(1, jdbc.closes());
    }

    @Test
    void slots() {
        jdbc.rows("SELECT slot_name FROM pg_replication_slots", List.of(row("node2"), row("node3")));
        assertEquals(Set.of("node2", "node3"), queries.physicalSlots());
        queries.createPhysicalSlot("node4");
        queries.dropPhysicalSlot("node3");
        List<String> log = jdbc.log();
        assertEquals(List.of("SELECT pg_create_physical_replication_slot(?) WHERE NOT EXISTS "
                        + "(SELECT 1 FROM pg_replication_slots WHERE slot_name = ?) [node4, node4]",
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ? "
                        + "AND NOT active [node3]"), log.subList(log.size() - 2, log.size()));

        jdbc.fail("SELECT pg_drop", "ERROR:  replication slot \"node3\" is active");
        PostgresException e = assertThrows(PostgresException.class, () -> queries.dropPhysicalSlot("node3"));
        assertEquals("replication slot node3: ERROR:  replication slot \"node3\" is active", e.getMessage());
    }

    @Test
    void allSlotsAndLogicalSlotsInTheirDatabaseWithBindParameters() {
        jdbc.rows("SELECT slot_name, slot_type, database, plugin", List.of(row("barman", "physical", null, null),
                row("cdc", "logical", "app", "pgoutput")));
        assertEquals(List.of(ReplicationSlot.physical("barman"), ReplicationSlot.logical("cdc", "app", "pgoutput")),
                queries.replicationSlots());
        List<String> databases = new java.util.ArrayList<>();
        PgQueries q = new PgQueries(jdbc.connector(), db -> {
            databases.add(db);
            return jdbc.connector();
        });
        q.createLogicalSlot("cdc", "app'; DROP TABLE x; --", "pgoutput'); --");
        assertEquals(List.of("app'; DROP TABLE x; --"), databases, "a one-off connection to the slot's database");
        assertTrue(jdbc.log().contains("SELECT pg_create_logical_replication_slot(?, ?) WHERE NOT EXISTS "
                + "(SELECT 1 FROM pg_replication_slots WHERE slot_name = ?) [cdc, pgoutput'); --, cdc]"),
                jdbc.log().toString());
    }

    @Test
    void slotPositionsAndAdvanceWithBoundNamesInTheSlotsDatabase() throws Exception {
        jdbc.rows("SELECT slot_name, slot_type, database, plugin, (CASE", List.of(
                row("cdc", "logical", "app", "pgoutput", "0/3000098", false),
                row("node2", "physical", null, null, null, true)));
        assertEquals(List.of(new SlotPosition(ReplicationSlot.logical("cdc", "app", "pgoutput"), 0x3000098L, false),
                new SlotPosition(ReplicationSlot.physical("node2"), 0, true)), queries.slotPositions());
        List<String> databases = new java.util.ArrayList<>();
        PgQueries q = new PgQueries(jdbc.connector(), db -> {
            databases.add(db);
            return jdbc.connector();
        });
        q.advanceSlot("cdc", "app'; --", 0x3000100L);
        q.advanceSlot("node3", null, 0x5000000L);
        assertEquals(List.of("app'; --"), databases, "a logical slot is advanced in its own database");
        assertTrue(jdbc.log().contains("SELECT pg_replication_slot_advance(?, ?::pg_lsn) [cdc, 0/3000100]"),
                jdbc.log().toString());
        assertTrue(jdbc.log().contains("SELECT pg_replication_slot_advance(?, ?::pg_lsn) [node3, 0/5000000]"),
                jdbc.log().toString());
    }

    @Test
    void aSlotsStateFileIsReadByItsBoundNameAndOnlyForASlotName() throws Exception {
        byte[] state = {1, 2, 3};
        jdbc.rows("SELECT pg_read_binary_file", List.of(row((Object) state)));
        try (java.sql.Connection c = jdbc.connector().connect()) {
            assertEquals(3, PgQueries.readSlotState(c, "cdc").length);
            assertTrue(jdbc.log().contains("SELECT pg_read_binary_file('pg_replslot/' || ? || '/state') [cdc]"),
                    jdbc.log().toString());
            assertThrows(IllegalArgumentException.class, () -> PgQueries.readSlotState(c, "../../global"));
        }
    }

    @Test
    void timelineHistoryReadsTheServersFile() {
        jdbc.rows("SELECT pg_read_file", List.of(row("1\t0/3000060\tno recovery target specified\n")));
        assertEquals("1\t0/3000060\tno recovery target specified\n", queries.timelineHistory(10));
        assertEquals("SELECT pg_read_file(?, 0, 1048576, true) [pg_wal/0000000A.history]", jdbc.log().get(1));
        jdbc.fail("SELECT pg_read_file", "gone");
        assertNull(queries.timelineHistory(10));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''|127.0.0.1|127.0.0.1", "*|127.0.0.1|127.0.0.1", "0.0.0.0|127.0.0.1|127.0.0.1", "::|::1|[::1]",
            "10.0.0.5|10.0.0.5|10.0.0.5", "10.0.0.5, 127.0.0.1|10.0.0.5|10.0.0.5", "fe80::1|fe80::1|[fe80::1]"})
    void theAgentReachesItsOwnServerOnTheListenAddressOrLoopback(String listen, String host, String inUrl) {
        assertEquals(host, PgQueries.localHost(listen));
        assertEquals(inUrl, PgQueries.hostForUrl(host));
    }

    @Test
    void aLiteralForAlterSystem() {
        assertEquals("'a''b\\c'", PgQueries.sqlLiteral("a'b\\c"));
    }

    @Test
    void aWalSegmentNameGivesItsFirstPosition() {
        assertEquals(0x2000000L, PgQueries.segmentStart("000000010000000000000002", 16L << 20));
        assertEquals((1L << 32) + 3 * (64L << 20), PgQueries.segmentStart("000000020000000100000003", 64L << 20));
        assertEquals(0, PgQueries.segmentStart(null, 16L << 20));
        assertEquals(0, PgQueries.segmentStart("00000001000000000000000G", 16L << 20));
        assertEquals(0, PgQueries.segmentStart("000000010000000000000002.history", 16L << 20));
    }
}
