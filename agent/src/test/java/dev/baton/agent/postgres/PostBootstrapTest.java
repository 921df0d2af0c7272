package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.process.FakeProcessRunner;
import dev.baton.config.BatonConfig;
import dev.baton.config.BootstrapConfig;
import dev.baton.config.BootstrapUser;
import dev.baton.config.DynamicConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** post_bootstrap: the script's argv (a libpq URL last), its environment (no password), a failure; and the users' SQL. */
class PostBootstrapTest {
    @TempDir
    Path tmp;
    private final FakeProcessRunner runner = new FakeProcessRunner();

    private PostBootstrap post(String command) {
        BatonConfig c = CustomBootstrapTest.withBootstrap(TestConfigs.node(tmp), new BootstrapConfig(
                DynamicConfig.defaults(), List.of(), List.of(), BootstrapConfig.Method.INITDB, null, Map.of(),
                command, null));
        return new PostBootstrap(c, runner, new PgConfFiles(c, c.postgresql().dataDir()));
    }

    @Test
    void theScriptGetsAUrlAsTheSuperuserAndThePasswordOnlyThroughThePgpassFile() {
        runner.answer(c -> FakeProcessRunner.ok(""));
        post("/usr/local/bin/post.sh 'with space'").run();
        FakeProcessRunner.Call call = runner.only();
        assertEquals(List.of("/usr/local/bin/post.sh", "with space", "postgres://postgres@127.0.0.1:5432/postgres"),
                call.argv());
        assertEquals(tmp.resolve(".pgpass_node1").toString(), call.env().get("PGPASSFILE"));
        assertEquals("-c synchronous_commit=local -c statement_timeout=0", call.env().get("PGOPTIONS"));
        assertFalse(call.argv().toString().contains("su-pw"));
        assertFalse(call.env().toString().contains("su-pw"));
    }

    @Test
    void noScriptRunsNothing() {
        post(null).run();
        assertEquals(List.of(), runner.calls());
    }

    @Test
    void aFailingScriptFailsTheBootstrap() {
        runner.answer(c -> FakeProcessRunner.failed(2, "psql: error: relation does not exist"));
        PostgresException e = assertThrows(PostgresException.class, () -> post("/x/post.sh").run());
        assertTrue(e.getMessage().startsWith("the post_bootstrap script /x/post.sh failed with exit code 2: "),
                e.getMessage());
        PostgresException quote = assertThrows(PostgresException.class, () -> post("/x/post.sh 'open").run());
        assertTrue(quote.getMessage().startsWith("bootstrap.post_bootstrap: "), quote.getMessage());
    }

    @Test
    void bootstrapUsersAreCreatedExceptTheRolesBatonManagesWhenTheRewindUserIsTheSuperuser() throws Exception {
        Map<String, BootstrapUser> users = new java.util.LinkedHashMap<>();
        users.put("admin", new BootstrapUser("admin", "pw", List.of("CREATEDB")));
        users.put("postgres", new BootstrapUser("postgres", "other", List.of()));
        users.put("replicator", new BootstrapUser("replicator", "other", List.of()));
        BatonConfig c = CustomBootstrapTest.withBootstrap(TestConfigs.node(tmp), new BootstrapConfig(
                DynamicConfig.defaults(), List.of(), List.of(), BootstrapConfig.Method.INITDB, null, users, null, null));
        FakeJdbc jdbc = new FakeJdbc();
        new LocalPostgres(c, FakeBinaries.in(tmp), runner, jdbc.connector(), java.time.Clock.systemUTC())
                .createBootstrapUsers();
        assertTrue(jdbc.log().contains("CREATE ROLE \"admin\" WITH CREATEDB LOGIN PASSWORD E'pw'"), jdbc.log().toString());
        assertFalse(jdbc.log().toString().contains("other"), jdbc.log().toString());
    }

    @Test
    void theUrlIsPercentEncoded() {
        assertEquals("postgres://a%40b%20c@[::1]:5433/postgres?sslmode=verify-full&sslrootcert=%2Fx%20y%2Fca.pem",
                PostBootstrap.url("a@b c", "::1", 5433, "postgres", new java.util.LinkedHashMap<>(Map.of(
                        "sslmode", "verify-full"))) + "&sslrootcert=" + PostBootstrap.encode("/x y/ca.pem"));
        assertEquals("%C3%A9%27%3B", PostBootstrap.encode("é';"));
    }

    @Test
    void bootstrapUsersAreCreatedWithLoginAndAnEscapedPassword() {
        assertEquals("CREATE ROLE \"ad\"\"min\" WITH CREATEDB CREATEROLE LOGIN PASSWORD E'it''s a \\\\ pw'",
                PgQueries.bootstrapUserStatement(false, new BootstrapUser("ad\"min", "it's a \\ pw",
                        List.of("createdb", "CREATEROLE"))));
        assertEquals("ALTER ROLE \"app\" WITH NOLOGIN CONNECTION LIMIT 5",
                PgQueries.bootstrapUserStatement(true, new BootstrapUser("app", null, List.of("NOLOGIN",
                        "CONNECTION LIMIT 5"))));
        assertThrows(IllegalArgumentException.class, () -> PgQueries.bootstrapUserStatement(false,
                new BootstrapUser("x", null, List.of("SUPERUSER; DROP TABLE t"))));
    }
}
