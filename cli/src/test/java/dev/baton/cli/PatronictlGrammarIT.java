package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.cli.local.LocalCluster;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code baton query} and {@code baton dsn} in patronictl's grammar, against a real two-node cluster
 * (etcd and PostgreSQL, no HAProxy): the configuration file before the command, CLUSTER_NAME, SQL
 * on the leader and on a replica as the file's superuser, whose password is never printed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PatronictlGrammarIT {
    private LocalCluster c;

    @BeforeAll
    void startCluster() throws Exception {
        c = LocalCluster.start(Files.createTempDirectory("baton-it-grammar-"), LocalCluster.Options.defaults()
                .withNodes(2).withHaproxy(false));
        awaitOrFail(c, "one primary and one streaming replica", () -> c.healthy(1));
    }

    @AfterAll
    void stopCluster() {
        if (c != null) {
            c.close();
        }
    }

    private record Result(int code, String out, String err) {
    }

    private static Result baton(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Baton.commandLine(new PrintWriter(o, true), new PrintWriter(e, true),
                new ByteArrayInputStream(new byte[0]), false).execute(args);
        System.out.println("$ baton " + String.join(" ", args) + "\n" + o + e + "(exit " + code + ")\n");
        return new Result(code, o.toString(), e.toString());
    }

    @Test
    void queryRunsSqlOnTheLeaderAndOnAReplica() {
        String cfg = c.nodes().get(0).config().toString();
        Result one = baton("-c", cfg, "query", c.scope(), "-c", "select 1");
        assertEquals(0, one.code(), one::err);
        assertEquals("?column?\n1\n", one.out());

        Result replica = baton("-c", cfg, "query", c.scope(), "-r", "replica", "-c",
                "select pg_is_in_recovery() as r, current_user as u", "--format", "json");
        assertEquals(0, replica.code(), replica::err);
        assertTrue(replica.out().matches("\\[\\{\"r\":true,\"u\":\"[^\"]+\"}]\\n"), replica::out);

        Result failed = baton("query", c.scope(), "--config", cfg, "-c", "select * from no_such_table");
        assertEquals(1, failed.code());
        assertTrue(failed.out().contains("ERROR, SQLSTATE: 42P01"), failed::out);
        for (Result r : new Result[] {one, replica, failed}) {
            assertFalse((r.out() + r.err()).contains(c.superuserPassword()), "the password is never printed");
        }

        Result otherCluster = baton("-c", cfg, "query", "batman", "-c", "select 1");
        assertEquals(2, otherCluster.code());
    }

    @Test
    void dsnNamesTheLeadersAddress() {
        Result r = baton("dsn", c.scope(), "--dcs-url", "etcd3://" + c.etcdEndpoint());
        assertEquals(0, r.code(), r::err);
        LocalCluster.Node primary = c.primary().orElseThrow();
        assertEquals("host=127.0.0.1 port=" + primary.pgPort() + "\n", r.out());
    }
}
