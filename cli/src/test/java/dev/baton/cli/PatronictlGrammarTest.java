package dev.baton.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.baton.config.BatonConfig;
import dev.baton.leader.model.MemberStatus;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * patronictl 3.0.2's command grammar, accepted by {@code baton} (issue 17): CLUSTER_NAME, the
 * options before the command, --dcs-url, list's -e/-t/-W/-w, query and dsn. Commands run
 * in-process against etcd's JSON gateway faked by an HTTP server.
 */
class PatronictlGrammarTest {
    @TempDir
    Path dir;

    private final List<HttpServer> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
    }

    private record Run(int code, String out, String err) {
    }

    private static Run baton(String... args) {
        return baton(null, args);
    }

    /** Runs baton with {@code watch} in place of the real sleeper (when not null). */
    private static Run baton(Baton.Watch watch, String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        CommandLine cl = Baton.commandLine(new PrintWriter(o, true), new PrintWriter(e, true),
                new ByteArrayInputStream(new byte[0]), false);
        if (watch != null) {
            ((Baton) cl.getCommand()).watch = watch;
        }
        int code = cl.execute(args);
        return new Run(code, o.toString(), e.toString());
    }

    private static String kv(String k, String v) {
        Base64.Encoder b = Base64.getEncoder();
        return "{\"key\":\"" + b.encodeToString(k.getBytes(UTF_8)) + "\",\"create_revision\":\"7\",\"mod_revision\":\"9\","
                + "\"value\":\"" + b.encodeToString(v.getBytes(UTF_8)) + "\"}";
    }

    private static String member(String host, int port, String role, String tags) {
        return "{\"conn_url\":\"postgres://" + host + ":" + port + "/postgres\",\"api_url\":\"http://127.0.0.1:1/patroni\","
                + "\"state\":\"running\",\"role\":\"" + role + "\",\"timeline\":2,\"xlog_location\":100"
                + (tags == null ? "" : ",\"tags\":" + tags) + "}";
    }

    /** etcd's JSON gateway for cluster demo: node1 the leader, node2 a replica (with {@code node2Tags}). */
    private String etcd(String node2Tags) throws IOException {
        String kvs = kv("/service/demo/leader", "node1") + ","
                + kv("/service/demo/members/node1", member("10.0.0.1", 5432, "primary", null)) + ","
                + kv("/service/demo/members/node2", member("10.0.0.2", 5433, "replica", node2Tags));
        String range = "{\"header\":{\"revision\":\"9\"},\"kvs\":[" + kvs + "]}";
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            byte[] b = range.getBytes(UTF_8);
            ex.sendResponseHeaders(200, b.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(b);
            }
        });
        s.start();
        servers.add(s);
        return "127.0.0.1:" + s.getAddress().getPort();
    }

    private Path config(String etcd) throws IOException {
        Path f = dir.resolve("baton.yml");
        Files.writeString(f, "scope: demo\nname: node9\nrestapi: {listen: 127.0.0.1:8008}\netcd3: {host: " + etcd + "}\n"
                + "postgresql:\n  listen: 127.0.0.1:5432\n  data_dir: " + dir.resolve("pg") + "\n"
                + "  authentication:\n    superuser: {username: admin, password: s3cret-pw}\n");
        return f;
    }

    // CLUSTER_NAME

    @Test
    void theClusterNameIsCheckedAgainstTheScope() throws IOException {
        String etcd = etcd(null);
        Run same = baton("list", "demo", "--etcd", etcd, "--scope", "demo");
        assertEquals(0, same.code(), same::err);
        assertTrue(same.out().contains(" Cluster: demo "), same::out);

        Run other = baton("list", "batman", "--etcd", etcd, "--scope", "demo");
        assertEquals(2, other.code(), other::err);
        assertTrue(other.err().contains("CLUSTER_NAME \"batman\" is not the cluster \"demo\" (--scope)"), other::err);

        Run fromFile = baton("list", "batman", "-c", config(etcd).toString());
        assertEquals(2, fromFile.code(), fromFile::err);
        assertTrue(fromFile.err().contains("\"batman\" is not the cluster \"demo\" (the scope of "), fromFile::err);
    }

    @Test
    void withoutScopeTheClusterNameIsTheScope() throws IOException {
        Run r = baton("list", "demo", "--etcd", etcd(null));
        assertEquals(0, r.code(), r::err);
        assertTrue(r.out().contains("node2"), r::out);
        Run none = baton("list", "--etcd", "127.0.0.1:1");
        assertEquals(2, none.code());
        assertTrue(none.err().contains("no cluster scope: give --scope NAME, -c FILE or the cluster name"), none::err);
    }

    @Test
    void pauseTakesTheClusterNameAndWait() {
        // patronictl pause batman --wait: exit 2 "Unmatched argument" before; now a mismatch is named...
        Run other = baton("pause", "batman", "--wait", "--etcd", "127.0.0.1:1", "--scope", "demo");
        assertEquals(2, other.code(), other::err);
        assertTrue(other.err().contains("\"batman\" is not the cluster \"demo\""), other::err);
        // ...and the right name gets as far as etcd (not listening here: exit 1).
        Run same = baton("pause", "demo", "--wait", "--etcd", "127.0.0.1:1", "--scope", "demo");
        assertEquals(1, same.code(), same::err);
        assertTrue(same.err().contains("etcd does not answer"), same::err);
    }

    @Test
    void membersComeAfterTheClusterNameAsInPatronictl() {
        CommandLine.ParseResult p = Baton.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()))
                .parseArgs("restart", "demo", "node1", "node2", "--force", "--pending");
        RestartCommand restart = (RestartCommand) p.subcommand().commandSpec().userObject();
        assertEquals("demo", restart.cluster.clusterName);
        assertEquals(List.of("node1", "node2"), restart.selection.members);

        Run reinit = baton("reinit", "node2", "--etcd", "127.0.0.1:1", "--scope", "demo", "--force");
        assertEquals(2, reinit.code(), reinit::err);
        assertTrue(reinit.err().contains("\"node2\" is not the cluster \"demo\""), reinit::err);
        assertTrue(reinit.err().contains("patronictl's order: baton reinit CLUSTER_NAME MEMBER...)"), reinit::err);

        Run noMember = baton("reinit", "demo", "--etcd", "127.0.0.1:1", "--scope", "demo", "--force");
        assertEquals(2, noMember.code(), noMember::err);
        assertTrue(noMember.err().contains("name the member(s) to reinitialize: baton reinit demo MEMBER..."),
                noMember::err);
    }

    @Test
    void removeNeedsTheClusterName() {
        Run r = baton("remove", "--etcd", "127.0.0.1:1", "--scope", "demo", "--force");
        assertEquals(2, r.code(), r::err);
        assertTrue(r.err().contains("give the name of the cluster to remove"), r::err);
        Run other = baton("remove", "batman", "--etcd", "127.0.0.1:1", "--scope", "demo", "--force");
        assertEquals(2, other.code(), other::err);
    }

    /** Every patronictl command line (CLUSTER_NAME and the options) parses; etcd is not listening: exit 1, never 2. */
    @ParameterizedTest
    @ValueSource(strings = {
            "list demo -e -t -f pretty", "list demo -f tsv", "topology demo", "history demo -f tsv",
            "switchover demo --leader node1 --candidate node2 --scheduled now --force",
            "switchover demo --primary node1 --force", "switchover demo --master node1 --force",
            "failover demo --leader node1 --candidate node2 --force", "failover demo --candidate node2 --force",
            "restart demo node1 --role replica --pending --timeout 30s --force", "restart demo --any --force",
            "restart demo --pg-version 15.4 --force", "reload demo node1 --role standby --force",
            "reinit demo node2 --wait --force", "flush demo switchover", "flush switchover --scope demo", "flush demo node1 restart",
            "flush demo restart --role replica --force", "pause demo --wait", "resume demo --wait",
            "edit-config demo -s loop_wait=5 -p work_mem=8MB --quiet --force", "show-config demo", "version demo node1",
            "dsn demo -r replica", "dsn demo -m node1", "query demo -c select\\u00201 -r leader -d postgres -U postgres"})
    void patronictlCommandLinesParse(String line) {
        List<String> args = new ArrayList<>();
        for (String a : line.split(" ")) {
            args.add(a.replace("\\u0020", " "));
        }
        args.addAll(List.of("--dcs-url", "etcd3://127.0.0.1:1"));
        Run r = baton(args.toArray(String[]::new));
        assertEquals(1, r.code(), () -> line + ": " + r.err());
        assertTrue(r.err().contains("etcd") || r.err().contains("127.0.0.1:1"), () -> line + ": " + r.err());
    }

    @Test
    void theHelpShowsPatronictlsGrammar() {
        Run root = baton("--help");
        assertEquals(0, root.code(), root::err);
        assertTrue(root.out().contains("-c, --config, --config-file=FILE") && root.out().contains("-d, --dcs, --dcs-url=URL")
                && root.out().contains("-k, --insecure") && root.out().contains("query") && root.out().contains("dsn"),
                root::out);
        Run restart = baton("restart", "--help");
        assertEquals(0, restart.code(), restart::err);
        assertTrue(restart.out().contains("[CLUSTER_NAME] [MEMBER...]"), restart::out);
        Run query = baton("query", "--help");
        assertTrue(query.out().contains("-c, --command=SQL") && query.out().contains("--config, --config-file=FILE"),
                query::out);
    }

    // Options before the command

    @Test
    void theConfigFileMayComeBeforeTheCommand() throws IOException {
        Path f = config(etcd(null));
        for (List<String> args : List.of(List.of("-c", f.toString(), "list"), List.of("--config-file", f.toString(), "list"),
                List.of("list", "--config-file", f.toString()), List.of("-c", f.toString(), "list", "demo"))) {
            Run r = baton(args.toArray(String[]::new));
            assertEquals(0, r.code(), () -> args + ": " + r.err());
            assertTrue(r.out().contains(" Cluster: demo "), r::out);
        }
        Run twice = baton("-c", f.toString(), "list", "-c", dir.resolve("other.yml").toString());
        assertEquals(2, twice.code());
        assertTrue(twice.err().contains("two configuration files"), twice::err);
    }

    @Test
    void dcsUrlBeforeOrAfterTheCommand() throws IOException {
        String etcd = etcd(null);
        for (List<String> args : List.of(List.of("--dcs-url", "etcd3://" + etcd, "list", "demo"),
                List.of("-d", etcd, "list", "demo"), List.of("list", "demo", "--dcs", "etcd3://" + etcd),
                List.of("-k", "--dcs-url", etcd, "list", "demo"))) {
            Run r = baton(args.toArray(String[]::new));
            assertEquals(0, r.code(), () -> args + ": " + r.err());
            assertTrue(r.out().contains("node1"), r::out);
        }
    }

    @Test
    void otherSchemesThanEtcd3AreRefused() {
        Run consul = baton("--dcs-url", "consul://127.0.0.1:8500", "list", "demo");
        assertEquals(2, consul.code());
        assertTrue(consul.err().contains("--dcs-url: cannot use \"consul://127.0.0.1:8500\": scheme \"consul\" is not "
                + "supported"), consul::err);
        Run v2 = baton("list", "demo", "--dcs-url", "etcd://127.0.0.1:2379");
        assertEquals(2, v2.code());
        assertTrue(v2.err().contains("etcd's v2 API"), v2::err);
        Run both = baton("list", "demo", "--dcs-url", "127.0.0.1:2379", "--etcd", "127.0.0.1:2379");
        assertEquals(2, both.code());
        assertTrue(both.err().contains("--dcs-url and --etcd"), both::err);
    }

    @Test
    void dcsUrlForms() {
        assertEquals("h:2379", DcsUrl.hostPort("h"));
        assertEquals("h:2380", DcsUrl.hostPort("h:2380"));
        assertEquals("10.0.0.5:2379", DcsUrl.hostPort("etcd3://10.0.0.5:2379"));
        assertEquals("10.0.0.5:2379", DcsUrl.hostPort("ETCD3://10.0.0.5"));
        assertEquals("[::1]:2379", DcsUrl.hostPort("etcd3://[::1]:2379/"));
        for (String bad : List.of("", "http://h:2379", "zookeeper://h:2181", "etcd3://h:99999", "etcd3://h:2379/x",
                "etcd3://u@h:1")) {
            ExitException e = assertThrows(ExitException.class, () -> DcsUrl.hostPort(bad), bad);
            assertEquals(2, e.code());
        }
    }

    @Test
    void optionsBeforeACommandThatDoesNotTalkToAClusterAreRefused() {
        Run r = baton("-c", "/etc/baton.yml", "agent", "-c", "/etc/baton.yml", "--validate-config");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("options before the command (--config) are for the commands that talk to a "
                + "cluster, not for 'baton agent'"), "out=" + r.out() + " err=" + r.err());
        Run insecure = baton("-k", "certs", "ca");
        assertEquals(2, insecure.code());
    }

    @Test
    void insecureBeforeTheCommandReachesTheRestClient() {
        CommandLine.ParseResult p = Baton.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()))
                .parseArgs("-k", "switchover", "demo");
        SwitchoverCommand s = (SwitchoverCommand) p.subcommand().commandSpec().userObject();
        assertTrue(s.rest.insecure());
        CommandLine.ParseResult q = Baton.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()))
                .parseArgs("switchover", "demo");
        assertFalse(((SwitchoverCommand) q.subcommand().commandSpec().userObject()).rest.insecure());
    }

    @Test
    void citusGroupsAreNotSupportedYet() {
        Run r = baton("list", "demo", "--group", "1", "--etcd", "127.0.0.1:1");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("not supported yet: --group"), r::err);
    }

    // list -e -t -W -w

    @Test
    void extendedAddsPatronictlsColumnsAndTagsShowWhenAMemberHasThem() throws IOException {
        String plain = etcd(null);
        Run r = baton("list", "demo", "--etcd", plain);
        assertFalse(r.out().contains("Tags"), r::out);
        Run e = baton("list", "demo", "-e", "--etcd", plain);
        assertTrue(e.out().contains("| Pending restart | Scheduled restart | Tags |"), e::out);

        String tagged = etcd("{\"nofailover\":true,\"clonefrom\":true}");
        Run t = baton("list", "demo", "--etcd", tagged);
        assertTrue(t.out().contains("| Tags             |"), t::out);
        assertTrue(t.out().contains("| clonefrom: true  |") && t.out().contains("| nofailover: true |"), t::out);
        Run tsv = baton("list", "demo", "-f", "tsv", "--etcd", tagged);
        assertEquals("Cluster\tMember\tHost\tRole\tState\tTL\tLag in MB\tTags\n"
                + "demo\tnode1\t10.0.0.1\tLeader\trunning\t2\t\t\n"
                + "demo\tnode2\t10.0.0.2:5433\tReplica\trunning\t2\tunknown\t{clonefrom: true, nofailover: true}\n", tsv.out());
        Run json = baton("list", "demo", "-f", "json", "--etcd", tagged);
        assertTrue(json.out().contains("\"Tags\":{\"clonefrom\":true,\"nofailover\":true}"), json::out);
    }

    @Test
    void timestampComesFirst() throws IOException {
        Run r = baton("list", "demo", "-t", "--etcd", etcd(null));
        assertEquals(0, r.code(), r::err);
        assertTrue(r.out().lines().findFirst().orElse("").matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d"), r::out);
    }

    @Test
    void watchRefreshesEveryIntervalUntilStopped() throws IOException {
        String etcd = etcd(null);
        List<Long> slept = new ArrayList<>();
        Run w = baton(new Baton.Watch(slept::add, 3), "list", "demo", "-w", "0.5", "-t", "--etcd", etcd);
        assertEquals(0, w.code(), w::err);
        assertEquals(List.of(500L, 500L), slept);
        assertEquals(3, w.out().split(" Cluster: demo ", -1).length - 1, w::out);

        slept.clear();
        Run big = baton(new Baton.Watch(slept::add, 2), "topology", "demo", "-W", "--etcd", etcd);
        assertEquals(0, big.code(), big::err);
        assertEquals(List.of(2000L), slept);

        Run bad = baton("list", "demo", "-w", "0", "--etcd", etcd);
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--watch: must be more than 0"), bad::err);
    }

    // dsn and query

    @Test
    void dsnPrintsTheLeadersOrTheChosenMembersAddress() throws IOException {
        String etcd = etcd(null);
        assertEquals("host=10.0.0.1 port=5432\n", baton("dsn", "demo", "--etcd", etcd).out());
        assertEquals("host=10.0.0.2 port=5433\n", baton("dsn", "demo", "-r", "replica", "--etcd", etcd).out());
        assertEquals("host=10.0.0.2 port=5433\n", baton("-d", etcd, "dsn", "-m", "node2", "demo").out());
        assertEquals(2, baton("dsn", "demo", "-r", "replica", "-m", "node2", "--etcd", etcd).code());
        Run unknown = baton("dsn", "demo", "-m", "node7", "--etcd", etcd);
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("has no member \"node7\""), unknown::err);
    }

    @Test
    void queryNeedsExactlyOneOfCommandAndFile() {
        Run none = baton("query", "demo", "--etcd", "127.0.0.1:1");
        assertEquals(2, none.code());
        assertTrue(none.err().contains("--command SQL or --file FILE"), none::err);
        Run both = baton("query", "demo", "-c", "select 1", "-f", "x.sql", "--etcd", "127.0.0.1:1");
        assertEquals(2, both.code());
        Run roleAndMember = baton("query", "demo", "-c", "select 1", "-r", "replica", "-m", "node2");
        assertEquals(2, roleAndMember.code());
        Run format = baton("query", "demo", "-c", "select 1", "--format", "xml");
        assertEquals(2, format.code());
        Run prompt = baton("query", "demo", "-c", "select 1", "--password", "--etcd", "127.0.0.1:1");
        assertEquals(2, prompt.code());
        assertTrue(prompt.err().contains("set PGPASSWORD instead"), prompt::err);
    }

    @Test
    void queryConnectsAsTheFilesSuperuserAndNeverShowsThePassword() throws IOException {
        BatonConfig c = ConfigSupport.load(config("127.0.0.1:2379"), Map.of(), new PrintWriter(new StringWriter()));
        MemberStatus m = MemberStatus.parse("node2", member("10.0.0.2", 5433, "replica", null));
        QueryCommand.Target t = QueryCommand.target(m, c, null, null, null, Map.of("PGPASSWORD", "env-pw"));
        assertEquals("jdbc:postgresql://10.0.0.2:5433/admin", t.url());
        assertEquals("admin", t.properties().getProperty("user"));
        assertEquals("s3cret-pw", t.properties().getProperty("password"));
        assertFalse(t.toString().contains("s3cret"), t::toString);

        QueryCommand.Target other = QueryCommand.target(m, c, "app", null, "appdb", Map.of("PGPASSWORD", "env-pw"));
        assertEquals("jdbc:postgresql://10.0.0.2:5433/appdb", other.url());
        assertEquals("env-pw", other.properties().getProperty("password"));

        QueryCommand.Target asked = QueryCommand.target(m, null, null, "typed", null, Map.of("PGUSER", "u"));
        assertEquals("u", asked.properties().getProperty("user"));
        assertEquals("typed", asked.properties().getProperty("password"));
    }

    @Test
    void queryResultsPrintAsPatronictlPrintsThem() {
        List<List<Object>> rows = new ArrayList<>();
        rows.add(java.util.Arrays.asList(1, "a", null, true));
        QueryCommand.Result r = new QueryCommand.Result(List.of("n", "s", "x", "b"), rows);
        assertEquals("n\ts\tx\tb\n1\ta\tNone\tTrue\n", QueryCommand.render(r, "tsv", "\t"));
        assertEquals("n;s;x;b\n1;a;None;True\n", QueryCommand.render(r, "tsv", ";"));
        assertEquals("[{\"n\":1,\"s\":\"a\",\"x\":null,\"b\":true}]\n", QueryCommand.render(r, "json", "\t"));
        assertEquals("""
                +---+---+------+------+
                | n | s | x    | b    |
                +---+---+------+------+
                | 1 | a | None | True |
                +---+---+------+------+
                """, QueryCommand.render(r, "pretty", "\t"));
    }

    // The other commands' patronictl options

    @Test
    void restartOptionsThatNeedTheAgentSaySo() {
        Run scheduled = baton("restart", "demo", "--scheduled", "tomorrow", "--force", "--etcd", "127.0.0.1:1");
        assertEquals(2, scheduled.code());
        assertTrue(scheduled.err().contains("--scheduled: unable to parse scheduled timestamp \"tomorrow\""),
                scheduled::err);
        Run version = baton("restart", "demo", "--pg-version", "15", "--force", "--etcd", "127.0.0.1:1");
        assertEquals(2, version.code());
        assertTrue(version.err().contains("--pg-version: \"15\" is not a PostgreSQL version"), version::err);
        Run timeout = baton("restart", "demo", "--timeout", "soon", "--force", "--etcd", "127.0.0.1:1");
        assertEquals(2, timeout.code());
        assertEquals(150004, PgVersion.parse("15.4"));
        assertEquals(90624, PgVersion.parse("9.6.24"));
        assertEquals("9.6.24", PgVersion.format(90624));
        assertEquals("15.4", PgVersion.format(150004));
        assertEquals(120, RestartCommand.seconds("--timeout", "2min"));
        assertEquals(30, RestartCommand.seconds("--timeout", "30s"));
    }

    @Test
    void scheduledTimesAsPatronictlReadsThem() {
        java.time.ZoneId paris = java.time.ZoneId.of("Europe/Paris");
        assertNull(RestartCommand.scheduledAt(null, paris));
        assertNull(RestartCommand.scheduledAt(" now ", paris));
        assertEquals(java.time.OffsetDateTime.parse("2026-12-24T03:00:00+01:00"),
                RestartCommand.scheduledAt("2026-12-24T03:00+01:00", paris));
        assertEquals(java.time.OffsetDateTime.parse("2026-12-24T02:00:00Z"),
                RestartCommand.scheduledAt("2026-12-24 02:00:00Z", paris));
        assertEquals(java.time.OffsetDateTime.parse("2026-07-01T03:00:00+02:00"),
                RestartCommand.scheduledAt("2026-07-01T03:00", paris), "no offset: local time");
        for (String bad : new String[] {"soon", "2026-13-01T00:00", "03:00", "2026-12-24T03:00+25:00"}) {
            ExitException e = org.junit.jupiter.api.Assertions.assertThrows(ExitException.class,
                    () -> RestartCommand.scheduledAt(bad, paris), bad);
            assertEquals(2, e.code(), bad);
        }
    }

    @Test
    void listShowsAScheduledRestart() throws IOException {
        String etcd = etcd("{}, \"scheduled_restart\": {\"schedule\": \"2026-12-24T03:00:00+01:00\", "
                + "\"postgres_version\": \"16.5\", \"postmaster_start_time\": \"x\"}");
        Run r = baton("list", "demo", "--etcd", etcd);
        assertTrue(r.out().contains("| Scheduled restart ") && r.out().contains("| 2026-12-24T03:00:00+01:00 if version "
                + "< 16.5 |"), r::out);
        Run json = baton("list", "demo", "-f", "json", "--etcd", etcd);
        assertTrue(json.out().contains("\"Scheduled restart\":\"2026-12-24T03:00:00+01:00 if version < 16.5\""),
                json::out);
    }

    @Test
    void flushRestartSaysThereIsNoScheduledRestart() throws IOException {
        String etcd = etcd(null);
        Run r = baton("flush", "demo", "restart", "--etcd", etcd);
        assertEquals(0, r.code(), r::err);
        assertEquals("No scheduled restart for member node2\nNo scheduled restart for member node1\n", r.out());
        Run one = baton("flush", "demo", "node2", "restart", "--etcd", etcd);
        assertEquals("No scheduled restart for member node2\n", one.out());
        Run what = baton("flush", "demo", "everything", "--etcd", etcd);
        assertEquals(2, what.code());
        Run none = baton("flush", "--etcd", etcd, "--scope", "demo");
        assertEquals(2, none.code());
    }

    @Test
    void failoverChecksTheLeaderAndNeedsACandidateWithoutATerminal() throws IOException {
        String etcd = etcd(null);
        Run wrong = baton("failover", "demo", "--leader", "node2", "--candidate", "node2", "--force", "--etcd", etcd);
        assertEquals(2, wrong.code(), wrong::err);
        assertTrue(wrong.err().contains("node2 is not the leader of cluster demo (the leader is node1)"), wrong::err);
        Run none = baton("failover", "demo", "--etcd", etcd);
        assertEquals(2, none.code(), none::err);
        assertTrue(none.err().contains("failover needs --candidate NAME"), none::err);
    }

    @Test
    void versionWithoutAClusterPrintsBatonsOnly() {
        Run r = baton("version");
        assertEquals(0, r.code(), r::err);
        assertTrue(r.out().startsWith("baton "), r::out);
        assertEquals("Baton 1.0 PostgreSQL 15.4", VersionCommand.line(Formats.JSON.createObjectNode()
                .put("server_version", 150004).set("patroni", Formats.JSON.createObjectNode().put("version", "1.0")))
                .replace("Patroni", "Baton"));
    }

    @Test
    void editConfigReplaceStartsFromTheDocument() {
        var before = (com.fasterxml.jackson.databind.node.ObjectNode) Formats.JSON.createObjectNode().put("ttl", 30)
                .put("loop_wait", 10);
        ConfigEdit.Merge doc = ConfigEdit.parseDocument("--replace", "loop_wait: 5\nretry_timeout: null\n", "f.yml");
        var after = ConfigEdit.apply(before, List.of(new ConfigEdit.Replace(doc.document(), doc.source()),
                ConfigEdit.parsePg("work_mem=8MB")));
        assertEquals("{\"loop_wait\":5,\"postgresql\":{\"parameters\":{\"work_mem\":\"8MB\"}}}", after.toString());
        Run stdin = baton("edit-config", "demo", "--replace", "-", "--etcd", "127.0.0.1:1");
        assertEquals(2, stdin.code());
        assertTrue(stdin.err().contains("--replace - reads the new configuration from standard input"), stdin::err);
    }
}
