package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** postgresql: addresses, directories, credentials and callbacks. */
class PostgresSectionTest {

    @Test
    void defaultsFromTheDataDirectoryAndTheNodesName() {
        Sections s = new Sections();
        PostgresConfig pg = PostgresSection.read(s.node("postgresql", "{listen: '*:5433', data_dir: /d/data}"), "n1");
        assertEquals("*:5433", pg.listen());
        assertEquals("127.0.0.1:5433", pg.connectAddress());
        assertEquals(Path.of("/d/.pgpass_n1"), pg.pgpass());
        assertNull(pg.binDir());
        assertEquals(new Credentials("postgres", null), pg.authentication().superuser());
        assertEquals(new Credentials("replicator", null), pg.authentication().replication());
        assertNull(pg.usePgRewind(), "the dynamic config's value");
        assertEquals(Map.of(), s.errors());
        assertEquals(Map.of(
                "postgresql.authentication.superuser.password",
                "not set; connections as postgres work only where pg_hba.conf needs no password",
                "postgresql.authentication.replication.password",
                "not set; connections as replicator work only where pg_hba.conf needs no password"), s.warnings());
    }

    @Test
    void withoutANameThereIsNoDefaultPgpass() {
        PostgresConfig pg = PostgresSection.read(new Sections().node("postgresql", "{listen: h:1, data_dir: /d}"), null);
        assertNull(pg.pgpass());
    }

    @Test
    void mistakesAreReportedByPath() {
        Sections s = new Sections();
        PostgresSection.read(s.node("postgresql", """
                connect_address: 0.0.0.0:5432
                data_dir: ''
                authentication:
                  superuser: {username: ' ', sslmode: require}
                  rewind: {password: r}
                callbacks: {on_start: '  ', on_fail: x}
                use_pg_rewind: maybe
                """), "n1");
        assertEquals(Map.of(
                "postgresql.listen", "is required",
                "postgresql.connect_address", "must be an address other members can connect to, got \"0.0.0.0:5432\"",
                "postgresql.data_dir", "must not be empty",
                "postgresql.authentication.superuser.username", "must not be empty",
                "postgresql.authentication.rewind.username", "is required",
                "postgresql.use_pg_rewind", "must be a boolean (true or false), got \"maybe\""), s.errors());
        Map<String, String> w = s.warnings();
        assertEquals(ConfigNode.UNKNOWN, w.get("postgresql.callbacks.on_fail"));
    }

    @Test
    void aLineBreakInARoleNameOrPasswordIsRefusedAtLoadWithoutShowingThePassword() {
        Sections s = new Sections();
        PostgresSection.read(s.node("postgresql", """
                listen: h:1
                data_dir: /d
                authentication:
                  superuser: {username: "post\\ngres", password: "s3cret\\n*:*:*:x:y"}
                  replication: {username: "rep\\u0000", password: ok}
                """), "n1");
        assertEquals(Map.of(
                "postgresql.authentication.superuser.username", "contains the control character U+000A: "
                        + "a role name is written into pgpass, pg_hba.conf and conninfo lines",
                "postgresql.authentication.superuser.password", "contains the control character U+000A: "
                        + "a password is written into the pgpass file, one line per role",
                "postgresql.authentication.replication.username", "contains the control character U+0000: "
                        + "a role name is written into pgpass, pg_hba.conf and conninfo lines"), s.errors());
    }

    @Test
    void callbacksAndFlags() {
        Sections s = new Sections();
        PostgresConfig pg = PostgresSection.read(s.node("postgresql", """
                listen: h:1
                data_dir: /d
                pgpass: /p
                callbacks: {on_role_change: /bin/cb, on_stop: ''}
                remove_data_directory_on_rewind_failure: true
                use_pg_rewind: false
                """), "n");
        assertEquals(Path.of("/p"), pg.pgpass());
        assertEquals("/bin/cb", pg.callbacks().onRoleChange());
        assertNull(pg.callbacks().onStop(), "blank means none");
        assertEquals(true, pg.removeDataDirectoryOnRewindFailure());
        assertEquals(Boolean.FALSE, pg.usePgRewind());
    }

    @Test
    void hooksPgCtlTimeoutAndUnixSocketKeys() {
        Sections s = new Sections();
        PostgresConfig pg = PostgresSection.read(s.node("postgresql", """
                listen: h:1
                data_dir: /d
                pre_promote: /bin/fence --hard
                before_stop: "  "
                pg_ctl_timeout: '90'
                use_unix_socket: true
                use_unix_socket_repl: true
                """), "n");
        assertEquals(new PostgresControl("/bin/fence --hard", null, 90, true, true), pg.control());
        assertEquals(Map.of(), s.errors());
        assertFalse(s.warnings().containsKey("postgresql.pg_ctl_timeout"), s.warnings().toString());
        assertFalse(s.warnings().containsKey("postgresql.pre_promote"), s.warnings().toString());
    }

    @Test
    void withoutThemTheDefaultsArePatronis() {
        PostgresConfig pg = PostgresSection.read(new Sections().node("postgresql", "{listen: h:1, data_dir: /d}"), "n");
        assertEquals(PostgresControl.defaults(), pg.control());
        assertEquals(60, pg.control().pgCtlTimeout());
    }

    @Test
    void badHookKeysAreReportedByPath() {
        Sections s = new Sections();
        PostgresSection.read(s.node("postgresql", """
                listen: h:1
                data_dir: /d
                pre_promote: [a, b]
                pg_ctl_timeout: 0
                use_unix_socket: often
                use_unix_socket_repl: 1.5
                """), "n");
        Map<String, String> e = s.errors();
        assertEquals("must be at least 1 (seconds), got 0", e.get("postgresql.pg_ctl_timeout"));
        assertTrue(e.get("postgresql.use_unix_socket").startsWith("must be a boolean"), e.toString());
        assertTrue(e.get("postgresql.use_unix_socket_repl").startsWith("must be a boolean"), e.toString());
        assertTrue(e.containsKey("postgresql.pre_promote"), e.toString());
        assertEquals(4, e.size(), e.toString());
    }

    @Test
    void theRewindUserIsOptionalAndEachUserHasItsLibpqOptionsInOrder() {
        Sections s = new Sections();
        PostgresConfig pg = PostgresSection.read(s.node("postgresql", """
                listen: h:1
                data_dir: /d
                authentication:
                  superuser: {username: su, password: a}
                  replication:
                    username: rep
                    password: b
                    channel_binding: require
                    sslkey: /k/rep.key
                    sslmode: verify-full
                    sslrootcert: /k/ca.crt
                    sslcert: /k/rep.crt
                    sslpassword: "key pw"
                    sslcrl: /k/crl.pem
                    sslcrldir: /k/crl
                    gssencmode: disable
                  rewind: {username: rew, password: c, sslmode: require}
                """), "n1");
        assertEquals(Map.of(), s.errors());
        Authentication auth = pg.authentication();
        assertEquals(List.of("sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "sslcrl", "sslcrldir",
                "gssencmode", "channel_binding"), List.copyOf(auth.replication().libpqOptions().keySet()));
        assertEquals("key pw", auth.replication().libpqOptions().get("sslpassword"));
        assertEquals(new Credentials("rew", "c", Map.of("sslmode", "require")), auth.rewind());
        assertEquals(auth.rewind(), auth.rewindUser());
        assertEquals(Map.of(), auth.superuser().libpqOptions());
        String shown = auth.replication().toString();
        assertFalse(shown.contains("key pw") || shown.contains("=b"), shown);
        assertTrue(shown.contains("sslpassword=****") && shown.contains("sslmode=verify-full"), shown);

        PostgresConfig none = PostgresSection.read(new Sections().node("postgresql", "{listen: h:1, data_dir: /d}"),
                "n1");
        assertNull(none.authentication().rewind());
        assertEquals(none.authentication().superuser(), none.authentication().rewindUser(), "as Patroni");
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
        "sslmode: verify_full | sslmode | must be one of disable, allow, prefer, require, verify-ca, verify-full, "
                + "got \"verify_full\"",
        "gssencmode: allow | gssencmode | must be one of disable, prefer, require, got \"allow\"",
        "channel_binding: 'yes' | channel_binding | must be one of disable, prefer, require, got \"yes\"",
        "sslrootcert: ' ' | sslrootcert | must not be empty",
        "sslkey: '' | sslkey | must not be empty",
        "sslcert: \"/a\\nb\" | sslcert | contains the control character U+000A: it is written into connection strings",
        "sslpassword: \"se\\ncret\" | sslpassword | contains the control character U+000A: it is written into "
                + "connection strings",
        "sslnegotiation: direct | sslnegotiation | is not supported: the libpq of PostgreSQL 15 does not know it and "
                + "would refuse every connection string holding it",
    })
    void aLibpqOptionLibpqWouldRefuseIsAnError(String yaml, String key, String message) {
        Sections s = new Sections();
        PostgresSection.read(s.node("postgresql", "listen: h:1\ndata_dir: /d\nauthentication:\n  replication: {"
                + yaml + "}\n"), "n1");
        assertEquals(Map.of("postgresql.authentication.replication." + key, message), s.errors());
        assertFalse(s.errors().toString().contains("cret"), "a password is never shown");
    }
}
