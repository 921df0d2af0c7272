package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    static final String SAMPLE = """
            scope: demo
            namespace: /service/
            name: node1
            restapi:
              listen: 127.0.0.1:8008
              connect_address: 127.0.0.1:8008
            etcd3:
              hosts: 127.0.0.1:2379
            bootstrap:
              dcs:
                ttl: 10
                loop_wait: 1
                retry_timeout: 3
                maximum_lag_on_failover: 1048576
                postgresql:
                  use_pg_rewind: true
                  parameters:
                    max_connections: 100
              initdb:
              - encoding: UTF8
              - data-checksums
              pg_hba:
              - host replication replicator 127.0.0.1/32 scram-sha-256
              - host all all 127.0.0.1/32 scram-sha-256
            postgresql:
              listen: 127.0.0.1:5432
              connect_address: 127.0.0.1:5432
              data_dir: /tmp/x/data
              pgpass: /tmp/x/pgpass
              authentication:
                superuser: {username: postgres, password: secret}
                replication: {username: replicator, password: rep}
              parameters:
                shared_buffers: 32MB
            tags:
              nofailover: false
              noloadbalance: false
            """;

    /** The smallest valid config. */
    static final String MINIMAL = """
            scope: demo
            name: node1
            restapi: {listen: 0.0.0.0:8008}
            etcd3: {host: 10.0.0.5:2379}
            postgresql: {listen: '*:5432', data_dir: /var/lib/pg/data}
            """;

    static LoadResult load(String yaml) {
        return new ConfigLoader(Map.of()).loadString(yaml);
    }

    static LoadResult load(String yaml, Map<String, String> env) {
        return new ConfigLoader(env).loadString(yaml);
    }

    static Set<String> errorPaths(LoadResult r) {
        return r.errors().stream().map(ConfigError::path).collect(Collectors.toSet());
    }

    static Map<String, String> warningsByPath(LoadResult r) {
        return r.warnings().stream().collect(Collectors.toMap(ConfigWarning::path, ConfigWarning::message, (a, b) -> a + "; " + b));
    }

    static String message(LoadResult r, String path) {
        return r.errors().stream().filter(e -> e.path().equals(path)).map(ConfigError::message).findFirst()
                .orElseThrow(() -> new AssertionError("no error at " + path + " in " + r.errors()));
    }

    @Test
    void sampleLoadsWithTheRightValues() throws Exception {
        LoadResult r = load(SAMPLE);
        assertTrue(r.ok(), r.errors().toString());
        assertEquals(List.of(), r.warnings());
        BatonConfig c = r.orThrow();
        assertEquals("demo", c.scope());
        assertEquals("/service/", c.namespace());
        assertEquals("node1", c.name());
        assertEquals("127.0.0.1", c.restapi().listenHost());
        assertEquals(8008, c.restapi().listenPort());
        assertEquals("127.0.0.1", c.restapi().connectHost());
        assertEquals(8008, c.restapi().connectPort());
        assertEquals(List.of("127.0.0.1:2379"), c.etcd().hosts());
        assertEquals("http", c.etcd().protocol());
        assertEquals(List.of("http://127.0.0.1:2379"), c.etcd().endpoints());

        DynamicConfig dcs = c.bootstrap().dcs();
        assertEquals(new DynamicConfig(10, 1, 3, 1048576, 10, true, true, Map.of("max_connections", "100"), false, false), dcs);
        assertEquals(List.of("--encoding=UTF8", "--data-checksums"), c.bootstrap().initdbArgs());
        assertEquals(List.of("host replication replicator 127.0.0.1/32 scram-sha-256",
                "host all all 127.0.0.1/32 scram-sha-256"), c.bootstrap().pgHba());

        PostgresConfig pg = c.postgresql();
        assertEquals("127.0.0.1", pg.listenHost());
        assertEquals(5432, pg.listenPort());
        assertEquals("127.0.0.1:5432", pg.connectAddress());
        assertEquals(Path.of("/tmp/x/data"), pg.dataDir());
        assertNull(pg.binDir());
        assertEquals(Path.of("/tmp/x/pgpass"), pg.pgpass());
        assertEquals(new Credentials("postgres", "secret"), pg.authentication().superuser());
        assertEquals(new Credentials("replicator", "rep"), pg.authentication().replication());
        assertEquals(Map.of("shared_buffers", "32MB"), pg.parameters());
        assertEquals(List.of(), pg.pgHba());
        assertEquals(Callbacks.none(), pg.callbacks());
        assertFalse(pg.removeDataDirectoryOnRewindFailure());
        assertNull(pg.usePgRewind());

        assertFalse(c.tags().nofailover());
        assertFalse(c.tags().noloadbalance());
        assertNull(c.tags().failoverPriority());
        assertEquals(Map.of("nofailover", false, "noloadbalance", false), c.tags().all());
        assertEquals(new LogConfig("INFO", "plain", null), c.log());
        assertEquals(new WatchdogConfig("automatic", "/dev/watchdog", 5), c.watchdog());
    }

    @Test
    void fileLoadsLikeString(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("baton.yml");
        Files.writeString(file, SAMPLE);
        assertEquals(load(SAMPLE).orThrow(), new ConfigLoader(Map.of()).load(file).orThrow());
    }

    @Test
    void defaults() throws Exception {
        LoadResult r = load(MINIMAL);
        assertTrue(r.ok(), r.errors().toString());
        BatonConfig c = r.orThrow();
        assertEquals("/service/", c.namespace());
        assertEquals("0.0.0.0:8008", c.restapi().listen());
        assertEquals("127.0.0.1:8008", c.restapi().connectAddress());
        assertEquals("*", c.postgresql().listenHost());
        assertEquals("127.0.0.1:5432", c.postgresql().connectAddress());
        assertEquals(List.of("10.0.0.5:2379"), c.etcd().hosts());
        assertEquals(DynamicConfig.defaults(), c.bootstrap().dcs());
        assertEquals(new DynamicConfig(10, 1, 3, 1048576, 10, true, true, Map.of(), false, false), c.bootstrap().dcs());
        assertEquals(List.of(), c.bootstrap().initdbArgs());
        assertEquals(List.of(), c.bootstrap().pgHba());
        assertEquals(new Credentials("postgres", null), c.postgresql().authentication().superuser());
        assertEquals(new Credentials("replicator", null), c.postgresql().authentication().replication());
        assertEquals(Path.of("/var/lib/pg/.pgpass_node1"), c.postgresql().pgpass());
        assertEquals(Tags.none(), c.tags());
        assertEquals(new LogConfig("INFO", "plain", null), c.log());
        assertEquals(WatchdogConfig.defaults(), c.watchdog());
        // Missing passwords are allowed, with a warning each; so is a missing rewind user beside the default pg_hba.
        assertEquals(Set.of("postgresql.authentication.superuser.password",
                "postgresql.authentication.replication.password", "postgresql.authentication.rewind"),
                warningsByPath(r).keySet());
        assertTrue(warningsByPath(r).get("postgresql.authentication.rewind").contains("refuses the superuser"));
    }

    @Test
    void namespaceIsNormalised() throws Exception {
        assertEquals("/service/", load(MINIMAL + "namespace: service\n").orThrow().namespace());
        assertEquals("/batons/", load(MINIMAL + "namespace: /batons\n").orThrow().namespace());
        assertEquals("/a/b/", load(MINIMAL + "namespace: a//b/\n").orThrow().namespace());
        assertEquals("/service/", load(MINIMAL + "namespace: ''\n").orThrow().namespace());
    }

    @Test
    void environmentOverridesTheFile() throws Exception {
        Map<String, String> env = Map.ofEntries(
                Map.entry("BATON_SCOPE", "envscope"),
                Map.entry("BATON_NAMESPACE", "ns"),
                Map.entry("BATON_NAME", "envnode"),
                Map.entry("BATON_RESTAPI_LISTEN", "0.0.0.0:9008"),
                Map.entry("BATON_RESTAPI_CONNECT_ADDRESS", "10.0.0.1:9008"),
                Map.entry("BATON_ETCD3_HOSTS", "e1:2379, e2:2379,e3:2379"),
                Map.entry("BATON_POSTGRESQL_LISTEN", "0.0.0.0:6432"),
                Map.entry("BATON_POSTGRESQL_CONNECT_ADDRESS", "10.0.0.1:6432"),
                Map.entry("BATON_POSTGRESQL_DATA_DIR", "/data/pg"),
                Map.entry("BATON_POSTGRESQL_BIN_DIR", "/usr/lib/postgresql/16/bin"),
                Map.entry("BATON_POSTGRESQL_PGPASS", "/data/pgpass"),
                Map.entry("BATON_SUPERUSER_USERNAME", "admin"),
                Map.entry("BATON_SUPERUSER_PASSWORD", "s3"),
                Map.entry("BATON_REPLICATION_USERNAME", "rep"),
                Map.entry("BATON_REPLICATION_PASSWORD", "r3"),
                Map.entry("BATON_LOG_LEVEL", "debug"),
                Map.entry("BATON_LOG_FORMAT", "json"));
        BatonConfig c = load(SAMPLE, env).orThrow();
        assertEquals("envscope", c.scope());
        assertEquals("/ns/", c.namespace());
        assertEquals("envnode", c.name());
        assertEquals("0.0.0.0:9008", c.restapi().listen());
        assertEquals("10.0.0.1:9008", c.restapi().connectAddress());
        assertEquals(List.of("e1:2379", "e2:2379", "e3:2379"), c.etcd().hosts());
        assertEquals(6432, c.postgresql().listenPort());
        assertEquals("10.0.0.1", c.postgresql().connectHost());
        assertEquals(Path.of("/data/pg"), c.postgresql().dataDir());
        assertEquals(Path.of("/usr/lib/postgresql/16/bin"), c.postgresql().binDir());
        assertEquals(Path.of("/data/pgpass"), c.postgresql().pgpass());
        assertEquals(new Credentials("admin", "s3"), c.postgresql().authentication().superuser());
        assertEquals(new Credentials("rep", "r3"), c.postgresql().authentication().replication());
        assertEquals(new LogConfig("DEBUG", "json", null), c.log());
    }

    @Test
    void patroniVariablesWorkButBatonWins() throws Exception {
        Map<String, String> env = Map.of(
                "PATRONI_SCOPE", "patroniscope",
                "PATRONI_NAME", "pnode",
                "BATON_NAME", "bnode",
                "PATRONI_SUPERUSER_PASSWORD", "p",
                "PATRONI_ETCD3_HOSTS", "'e1:2379','e2:2379'",
                "BATON_LOG_LEVEL", "",          // empty counts as unset
                "PATRONI_LOG_LEVEL", "warning");
        BatonConfig c = load(SAMPLE, env).orThrow();
        assertEquals("patroniscope", c.scope());
        assertEquals("bnode", c.name());
        assertEquals("p", c.postgresql().authentication().superuser().password());
        assertEquals(List.of("e1:2379", "e2:2379"), c.etcd().hosts());
        assertEquals("WARNING", c.log().level());
    }

    @Test
    void etcdHostFromEnvReplacesHostsFromFile() throws Exception {
        BatonConfig c = load(SAMPLE, Map.of("BATON_ETCD3_HOST", "e9:2379")).orThrow();
        assertEquals(List.of("e9:2379"), c.etcd().hosts());
    }

    @Test
    void configFromEnvironmentAlone() throws Exception {
        Map<String, String> env = Map.of(
                "BATON_SCOPE", "s",
                "BATON_NAME", "n1",
                "BATON_RESTAPI_LISTEN", "0.0.0.0:8008",
                "PATRONI_ETCD3_HOSTS", "[\"a:2379\",\"b:2379\"]",
                "BATON_POSTGRESQL_LISTEN", "0.0.0.0:5432",
                "BATON_POSTGRESQL_DATA_DIR", "/d/data");
        LoadResult r = load("", env);
        assertTrue(r.ok(), r.errors().toString());
        BatonConfig c = r.orThrow();
        assertEquals("s", c.scope());
        assertEquals("n1", c.name());
        assertEquals(List.of("a:2379", "b:2379"), c.etcd().hosts());
        assertEquals(Path.of("/d/.pgpass_n1"), c.postgresql().pgpass());
    }

    @Test
    void errorsFromEnvironmentNameTheVariable() {
        LoadResult r = load(SAMPLE, Map.of("BATON_RESTAPI_LISTEN", "8008x", "PATRONI_ETCD3_HOSTS", "a:1,foo"));
        assertEquals("must be host:port, got \"8008x\" (from BATON_RESTAPI_LISTEN)", message(r, "restapi.listen"));
        assertEquals("must be host:port, got \"foo\" (from PATRONI_ETCD3_HOSTS)", message(r, "etcd3.hosts[1]"));
    }

    @Test
    void brokenConfigListsEveryError() {
        String yaml = """
                scope: ''
                name: node 1
                restapi:
                  listen: 8008x
                  connect_address: 0.0.0.0:8008
                etcd3:
                  hosts: [127.0.0.1:2379, foo, 'h:99999']
                  protocol: grpc
                bootstrap:
                  dcs:
                    ttl: ten
                    loop_wait: 0
                    retry_timeout: -1
                    maximum_lag_on_failover: lots
                    primary_start_timeout: -5
                    synchronous_mode: maybe
                    postgresql:
                      use_slots: 3
                      parameters:
                        work_mem: [1, 2]
                  initdb:
                  - pgdata: /x
                  - {a: 1, b: 2}
                  pg_hba: not a list
                postgresql:
                  listen: 127.0.0.1
                  authentication:
                    superuser: [postgres]
                  callbacks:
                    on_start: {cmd: x}
                tags:
                  nofailover: perhaps
                  failover_priority: -1
                log:
                  level: verbose
                  format: xml
                watchdog:
                  mode: sometimes
                  safety_margin: x
                """;
        LoadResult r = load(yaml);
        assertFalse(r.ok());
        assertNull(r.config());
        assertEquals(Set.of(
                "scope", "name",
                "restapi.listen", "restapi.connect_address",
                "etcd3.hosts[1]", "etcd3.hosts[2]", "etcd3.protocol",
                "bootstrap.dcs.ttl", "bootstrap.dcs.loop_wait", "bootstrap.dcs.retry_timeout",
                "bootstrap.dcs.maximum_lag_on_failover", "bootstrap.dcs.primary_start_timeout",
                "bootstrap.dcs.synchronous_mode", "bootstrap.dcs.postgresql.use_slots",
                "bootstrap.dcs.postgresql.parameters.work_mem",
                "bootstrap.initdb[0]", "bootstrap.initdb[1]", "bootstrap.pg_hba",
                "postgresql.listen", "postgresql.data_dir", "postgresql.authentication.superuser",
                "postgresql.callbacks.on_start",
                "tags.nofailover", "tags.failover_priority",
                "log.level", "log.format",
                "watchdog.mode", "watchdog.safety_margin"), errorPaths(r));
        // One error per path, and the timing rule is not checked on values that could not be read.
        assertEquals(r.errors().size(), errorPaths(r).size(), r.errors().toString());
        assertEquals("is required", message(r, "scope"));
        assertEquals("must be host:port, got \"8008x\"", message(r, "restapi.listen"));
        assertEquals("must be host:port, got \"foo\"", message(r, "etcd3.hosts[1]"));
        assertEquals("port must be between 1 and 65535, got \"h:99999\"", message(r, "etcd3.hosts[2]"));
        assertEquals("must be an integer, got \"ten\"", message(r, "bootstrap.dcs.ttl"));
        assertEquals("is required", message(r, "postgresql.data_dir"));
        assertEquals("must be a map, got a list", message(r, "postgresql.authentication.superuser"));
        assertEquals("must be a list, got \"not a list\"", message(r, "bootstrap.pg_hba"));

        ConfigException e = assertThrows(ConfigException.class, r::orThrow);
        assertEquals(r.errors(), e.errors());
        assertEquals(r.errors().size(), e.getMessage().split("\n").length);
        assertTrue(e.getMessage().contains("bootstrap.dcs.ttl: must be an integer, got \"ten\""), e.getMessage());
    }

    @Test
    void emptyConfigNamesEveryRequiredKey() {
        LoadResult r = load("");
        assertEquals(Set.of("scope", "name", "restapi.listen", "etcd3.hosts", "postgresql.listen",
                "postgresql.data_dir"), errorPaths(r));
        assertEquals("at least one etcd host is required (etcd3.hosts, etcd3.host or etcd3.url)", message(r, "etcd3.hosts"));
    }

    @Test
    void aBrokenTimingRuleIsAWarningAndTheAgentsAdjustIt() {
        // As Patroni: the file loads, the warning says what the agents will run with.
        LoadResult r = load(MINIMAL + "bootstrap: {dcs: {ttl: 10, loop_wait: 1, retry_timeout: 5}}\n");
        assertTrue(r.ok(), r.errors().toString());
        assertEquals("loop_wait + 2*retry_timeout must be <= ttl (1 + 2*5 = 11 > 10); the agents run with "
                + "retry_timeout lowered from 5 to 4 (Patroni's adjustment)", warningsByPath(r).get("bootstrap.dcs"));
        assertEquals(new Timing(10, 1, 5), r.config().bootstrap().dcs().timing(), "the file's values are kept");

        assertNull(warningsByPath(load(MINIMAL + "bootstrap: {dcs: {ttl: 11, loop_wait: 1, retry_timeout: 5}}\n"))
                .get("bootstrap.dcs"));
        // Patroni's habit with a short ttl: loop_wait is lowered first.
        assertEquals("loop_wait + 2*retry_timeout must be <= ttl (25 + 2*10 = 45 > 30); the agents run with loop_wait "
                + "lowered from 25 to 10 (Patroni's adjustment)", warningsByPath(
                load(MINIMAL + "bootstrap: {dcs: {ttl: 30, loop_wait: 25, retry_timeout: 10}}\n")).get("bootstrap.dcs"));
    }

    @Test
    void ttlBelowEtcdMinimum() {
        LoadResult r = load(MINIMAL + "bootstrap: {dcs: {ttl: 1}}\n");
        assertEquals("must be >= 2 (etcd's minimum lease TTL), got 1", message(r, "bootstrap.dcs.ttl"));
        assertEquals(Set.of("bootstrap.dcs.ttl"), errorPaths(r));
    }

    @Test
    void timingHasUpperBounds() {
        LoadResult r = load(MINIMAL + "bootstrap: {dcs: {ttl: 2147483647, loop_wait: 1000000, retry_timeout: 601}}\n");
        assertEquals(Set.of("bootstrap.dcs.ttl", "bootstrap.dcs.loop_wait", "bootstrap.dcs.retry_timeout"), errorPaths(r));
        assertEquals("must be <= 3600, got 2147483647", message(r, "bootstrap.dcs.ttl"));
        assertEquals("must be <= 300, got 1000000", message(r, "bootstrap.dcs.loop_wait"));
        assertEquals("must be <= 600, got 601", message(r, "bootstrap.dcs.retry_timeout"));
        assertTrue(load(MINIMAL + "bootstrap: {dcs: {ttl: 3600, loop_wait: 300, retry_timeout: 600}}\n").ok());
    }

    @Test
    void sizeStrings() throws Exception {
        Map<String, Long> cases = Map.of(
                "1048576", 1048576L,
                "'1048576'", 1048576L,
                "0", 0L,
                "1MB", 1L << 20,
                "16MB", 16L << 20,
                "1GB", 1L << 30,
                "512kB", 512L << 10,
                "'100 B'", 100L,
                "2TB", 2L << 40);
        for (Map.Entry<String, Long> c : cases.entrySet()) {
            BatonConfig config = load(MINIMAL + "bootstrap: {dcs: {maximum_lag_on_failover: " + c.getKey() + "}}\n")
                    .orThrow();
            assertEquals(c.getValue(), config.bootstrap().dcs().maximumLagOnFailover(), c.getKey());
        }
        for (String bad : List.of("1XB", "1.5MB", "MB", "-1MB", "99999999999TB")) {
            LoadResult r = load(MINIMAL + "bootstrap: {dcs: {maximum_lag_on_failover: '" + bad + "'}}\n");
            assertEquals(Set.of("bootstrap.dcs.maximum_lag_on_failover"), errorPaths(r), bad);
        }
    }

    @Test
    void unknownAndUnsupportedKeysAreWarnings() {
        String yaml = SAMPLE + """
                consul: {host: x}
                kubernetes: {}
                raft:
                citus: {group: 0}
                colour: blue
                restapi_extra: 1
                """;
        yaml = yaml.replace("  listen: 127.0.0.1:8008\n", "  listen: 127.0.0.1:8008\n  server_tokens: original\n  speed: 11\n")
                .replace("  data_dir: /tmp/x/data\n", "  data_dir: /tmp/x/data\n  pg_ctl_timeout: 60\n  basebackup: [verbose]\n"
                        + "  create_replica_methods: [basebackup]\n  recovery_conf: {}\n  custom_conf: /x\n"
                        + "  config_dir: /y\n  use_unix_socket: true\n  color: red\n")
                .replace("  pg_hba:\n", "  users: {}\n  post_bootstrap: /x.sh\n  pg_hba:\n")
                .replace("    ttl: 10\n", "    ttl: 10\n    check_timeline: true\n    wat: 1\n");
        LoadResult r = load(yaml);
        assertTrue(r.ok(), r.errors().toString());
        Map<String, String> w = warningsByPath(r);
        String unsupported = "Patroni key not supported by Baton, ignored";
        for (String p : List.of("consul", "kubernetes", "raft")) {
            assertEquals(EnvOverrides.UNSUPPORTED_DCS, w.get(p), p);
        }
        assertNull(w.get("bootstrap.users"));
        assertNull(w.get("bootstrap.post_bootstrap"));
        for (String p : List.of("citus", "restapi.server_tokens",
                "postgresql.custom_conf",
                "postgresql.config_dir",
                "bootstrap.dcs.check_timeline")) {
            assertEquals(unsupported, w.get(p), p);
        }
        for (String p : List.of("colour", "restapi_extra", "restapi.speed", "postgresql.color", "bootstrap.dcs.wat")) {
            assertEquals("unknown key, ignored", w.get(p), p);
        }
        assertEquals(13, r.warnings().size(), r.warnings().toString());
    }

    @Test
    void etcdSectionIsAnAliasOfEtcd3() throws Exception {
        LoadResult r = load(MINIMAL.replace("etcd3:", "etcd:"));
        assertTrue(r.ok(), r.errors().toString());
        assertEquals(List.of("10.0.0.5:2379"), r.config().etcd().hosts());
        assertTrue(warningsByPath(r).get("etcd").contains("etcd3"));
        // Errors then name the section the user wrote.
        assertEquals(Set.of("etcd.host"), errorPaths(load(MINIMAL.replace("etcd3: {host: 10.0.0.5:2379}", "etcd: {host: x}"))));
        // With both, etcd3 is used and etcd ignored.
        LoadResult both = load(MINIMAL + "etcd: {host: other:2379}\n");
        assertEquals(List.of("10.0.0.5:2379"), both.orThrow().etcd().hosts());
        assertEquals("Patroni key not supported by Baton, ignored (etcd3 is used)", warningsByPath(both).get("etcd"));
    }

    @Test
    void etcdHostForms() throws Exception {
        String base = MINIMAL.replace("etcd3: {host: 10.0.0.5:2379}\n", "");
        assertEquals(List.of("a:1", "b:2"), load(base + "etcd3: {hosts: [a:1, b:2]}\n").orThrow().etcd().hosts());
        assertEquals(List.of("a:1", "b:2"), load(base + "etcd3: {hosts: 'a:1, b:2'}\n").orThrow().etcd().hosts());
        assertEquals(List.of("[::1]:2379"), load(base + "etcd3: {hosts: ['[::1]:2379']}\n").orThrow().etcd().hosts());
        EtcdConfig tls = load(base + "etcd3: {host: a:1, protocol: https}\n").orThrow().etcd();
        assertEquals(List.of("https://a:1"), tls.endpoints());
        LoadResult both = load(base + "etcd3: {hosts: [a:1], host: b:2}\n");
        assertEquals(List.of("a:1"), both.orThrow().etcd().hosts());
        assertEquals("ignored, etcd3.hosts is set", warningsByPath(both).get("etcd3.host"));
        assertEquals("must be host:port, got \"http://a:1\" (no URL scheme here)",
                message(load(base + "etcd3: {hosts: ['http://a:1']}\n"), "etcd3.hosts[0]"));
        assertEquals(Set.of("etcd3.hosts"), errorPaths(load(base + "etcd3: {hosts: []}\n")));
        assertEquals(Set.of("etcd3.hosts"), errorPaths(load(base + "etcd3: {hosts: {a: 1}}\n")));
    }

    @Test
    void typeMismatchesAreReportedByPath() {
        assertEquals("must be a map, got a list", message(load(MINIMAL.replace("restapi: {listen: 0.0.0.0:8008}",
                "restapi: [0.0.0.0:8008]")), "restapi"));
        LoadResult r = load(MINIMAL + """
                bootstrap:
                  dcs: [ttl]
                  initdb: {encoding: UTF8}
                tags: [a]
                log: plain
                watchdog: 1
                """);
        assertEquals(Set.of("bootstrap.dcs", "bootstrap.initdb", "tags", "log", "watchdog"), errorPaths(r));
        assertEquals("must be a map, got a list", message(r, "bootstrap.dcs"));
        assertEquals("must be a list, got a map", message(r, "bootstrap.initdb"));
        assertEquals("must be a map, got \"plain\"", message(r, "log"));
        assertEquals("must be a map, got 1", message(r, "watchdog"));
        assertEquals("must be a string, got a map",
                message(load(MINIMAL.replace("data_dir: /var/lib/pg/data", "data_dir: {a: b}")), "postgresql.data_dir"));
        assertEquals("must be a boolean (true or false), got 2",
                message(load(MINIMAL + "tags: {nosync: 2}\n"), "tags.nosync"));
        assertEquals("must be an integer, got 1.5",
                message(load(MINIMAL + "bootstrap: {dcs: {loop_wait: 1.5}}\n"), "bootstrap.dcs.loop_wait"));
        assertEquals("must be a string, number or boolean, got a map", message(load(MINIMAL
                + "bootstrap: {dcs: {postgresql: {parameters: {x: {y: 1}}}}}\n"), "bootstrap.dcs.postgresql.parameters.x"));
    }

    @Test
    void yamlSyntaxErrorsHaveALocation(@TempDir Path dir) throws Exception {
        LoadResult r = load("scope: demo\nname: [unclosed\n");
        assertEquals(1, r.errors().size());
        assertTrue(r.errors().get(0).path().startsWith("<string>:"), r.errors().toString());
        assertTrue(r.errors().get(0).message().startsWith("invalid YAML: "), r.errors().toString());
        assertFalse(r.errors().get(0).message().contains("\n"), r.errors().toString());

        Path file = dir.resolve("bad.yml");
        Files.writeString(file, "scope: demo\nscope: again\n");
        LoadResult dup = new ConfigLoader(Map.of()).load(file);
        assertEquals(1, dup.errors().size());
        assertTrue(dup.errors().get(0).path().startsWith(file + ":2:"), dup.errors().toString());
        assertTrue(dup.errors().get(0).message().contains("scope"), dup.errors().toString());

        LoadResult missing = new ConfigLoader(Map.of()).load(dir.resolve("nope.yml"));
        assertEquals(dir.resolve("nope.yml").toString(), missing.errors().get(0).path());
        assertTrue(missing.errors().get(0).message().startsWith("cannot read file"));

        assertEquals(List.of(new ConfigError("<string>", "must be a YAML map of settings, got a list")),
                load("- a\n- b\n").errors());
    }

    @Test
    void nameAndScopeRules() {
        assertEquals("must contain only letters, digits, '_', '.' and '-', got \"node/1\"",
                message(load(MINIMAL.replace("name: node1", "name: node/1")), "name"));
        assertTrue(load(MINIMAL.replace("name: node1", "name: Node_1.a-b")).ok());
        assertEquals(Set.of("scope"), errorPaths(load(MINIMAL.replace("scope: demo", "scope: a/b"))));
        assertEquals(Set.of("name"), errorPaths(load(MINIMAL.replace("name: node1", "name: '  '"))));
    }

    @Test
    void addressRules() {
        assertEquals("port 5432 is also postgresql.listen's port on the same host",
                message(load(MINIMAL.replace("0.0.0.0:8008", "127.0.0.1:5432")), "restapi.listen"));
        assertTrue(load(SAMPLE.replace("127.0.0.1:8008", "127.0.0.2:5432")).ok());
        assertEquals("port must be between 1 and 65535, got \"0.0.0.0:0\"",
                message(load(MINIMAL.replace("0.0.0.0:8008", "0.0.0.0:0")), "restapi.listen"));
        assertEquals("must be an address other members can connect to, got \"*:5432\"",
                message(load(MINIMAL.replace("data_dir:", "connect_address: '*:5432', data_dir:")),
                        "postgresql.connect_address"));
        assertEquals("must be host:port, got \"::1:8008\" (write IPv6 addresses in brackets, e.g. [::1]:5432)",
                message(load(MINIMAL.replace("0.0.0.0:8008", "'::1:8008'")), "restapi.listen"));
    }

    @Test
    void ipv6Addresses() throws Exception {
        BatonConfig c = load(MINIMAL.replace("0.0.0.0:8008", "'[::]:8008'").replace("'*:5432'", "'[::1]:5432'"))
                .orThrow();
        assertEquals("::", c.restapi().listenHost());
        assertEquals("127.0.0.1:8008", c.restapi().connectAddress());
        assertEquals("::1", c.postgresql().connectHost());
        assertEquals("[::1]:5432", c.postgresql().connectAddress());
    }

    @Test
    void initdbArgs() throws Exception {
        BatonConfig c = load(MINIMAL + """
                bootstrap:
                  initdb:
                  - data-checksums
                  - --auth-host=scram-sha-256
                  - encoding: UTF8
                  - locale: C.UTF-8
                  - wal-segsize: 64
                  - no-instructions:
                """).orThrow();
        assertEquals(List.of("--data-checksums", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8",
                "--wal-segsize=64", "--no-instructions"), c.bootstrap().initdbArgs());
        LoadResult r = load(MINIMAL + "bootstrap: {initdb: [pgdata=/x, {pwfile: /p}, [x]]}\n");
        assertEquals(Set.of("bootstrap.initdb[0]", "bootstrap.initdb[1]", "bootstrap.initdb[2]"), errorPaths(r));
        assertEquals("initdb option --pgdata is set by Baton and may not be given here",
                message(r, "bootstrap.initdb[0]"));
    }

    @Test
    void parametersAreRenderedAsPostgresStrings() throws Exception {
        BatonConfig c = load(MINIMAL.replace("data_dir: /var/lib/pg/data", "data_dir: /d") + """
                bootstrap:
                  dcs:
                    postgresql:
                      parameters: {hot_standby: true, archive_mode: false, wal_keep_size: 128MB,
                                   max_connections: 100, checkpoint_completion_target: 0.9, fsync: 'on'}
                """).orThrow();
        assertEquals(Map.of("hot_standby", "on", "archive_mode", "off", "wal_keep_size", "128MB",
                "max_connections", "100", "checkpoint_completion_target", "0.9", "fsync", "on"),
                c.bootstrap().dcs().parameters());
        assertEquals(List.of("hot_standby", "archive_mode", "wal_keep_size", "max_connections",
                "checkpoint_completion_target", "fsync"), List.copyOf(c.bootstrap().dcs().parameters().keySet()));
    }

    @Test
    void localPostgresqlSettings() throws Exception {
        BatonConfig c = load(MINIMAL.replace("postgresql: {listen: '*:5432', data_dir: /var/lib/pg/data}\n", """
                postgresql:
                  listen: 0.0.0.0:5432
                  data_dir: data
                  bin_dir: /usr/lib/postgresql/16/bin
                  pg_hba: [local all all trust]
                  use_pg_rewind: false
                  remove_data_directory_on_rewind_failure: true
                  callbacks:
                    on_start: /bin/cb
                    on_role_change: /bin/role
                  authentication:
                    superuser: {username: root, password: 12345}
                """)).orThrow();
        PostgresConfig pg = c.postgresql();
        assertEquals(Path.of("data"), pg.dataDir());
        assertEquals(Path.of(".pgpass_node1"), pg.pgpass());
        assertEquals(Path.of("/usr/lib/postgresql/16/bin"), pg.binDir());
        assertEquals(List.of("local all all trust"), pg.pgHba());
        assertEquals(Boolean.FALSE, pg.usePgRewind());
        assertTrue(pg.removeDataDirectoryOnRewindFailure());
        assertEquals(new Callbacks("/bin/cb", null, "/bin/role", null, null), pg.callbacks());
        assertEquals(new Credentials("root", "12345"), pg.authentication().superuser());
        assertEquals(new Credentials("replicator", null), pg.authentication().replication());
    }

    @Test
    void tagsKeepEverythingForPublishing() throws Exception {
        LoadResult r = load(MINIMAL + """
                tags:
                  nofailover: true
                  nosync: 'yes'
                  failover_priority: 3
                  zone: eu-west-1a
                  replicatefrom: node2
                  weight: 2
                """);
        Tags t = r.orThrow().tags();
        assertTrue(t.nofailover());
        assertTrue(t.nosync());
        assertFalse(t.clonefrom());
        assertEquals(3, t.failoverPriority());
        assertEquals(List.of("nofailover", "nosync", "failover_priority", "zone", "replicatefrom", "weight"),
                List.copyOf(t.all().keySet()));
        assertEquals("eu-west-1a", t.all().get("zone"));
        assertEquals(2, t.all().get("weight"));
        assertEquals("yes", t.all().get("nosync"));
        assertEquals("node2", t.replicatefrom());
        assertFalse(warningsByPath(r).containsKey("tags.replicatefrom"));
        assertFalse(warningsByPath(r).containsKey("tags.zone"));
    }

    @Test
    void replicatefromMustNameAMember() throws Exception {
        LoadResult r = load(MINIMAL + "tags: {replicatefrom: [node2]}\n");
        assertTrue(message(r, "tags.replicatefrom").startsWith("must be the name of the member to stream from"),
                r.errors().toString());
        assertTrue(errorPaths(load(MINIMAL + "tags: {replicatefrom: ' '}\n")).contains("tags.replicatefrom"));
        assertEquals(null, load(MINIMAL + "tags: {zone: a}\n").orThrow().tags().replicatefrom());
    }

    @Test
    void logAndWatchdog() throws Exception {
        BatonConfig c = load(MINIMAL + "log: {level: warning, format: JSON, dir: /var/log/baton}\n"
                + "watchdog: {mode: required, device: /dev/wd1, safety_margin: -1}\n").orThrow();
        assertEquals(new LogConfig("WARNING", "json", Path.of("/var/log/baton")), c.log());
        assertEquals(new WatchdogConfig("required", "/dev/wd1", -1), c.watchdog());
        assertEquals("off", load(MINIMAL + "watchdog: {mode: off}\n").orThrow().watchdog().mode());
        assertEquals("off", load(MINIMAL + "watchdog: {mode: false}\n").orThrow().watchdog().mode());
        assertEquals("automatic", load(MINIMAL + "watchdog: {mode: auto}\n").orThrow().watchdog().mode());
        // Patroni's Python format string is tolerated; Patroni 4's log.type is honoured.
        LoadResult py = load(MINIMAL + "log: {format: '%(asctime)s %(message)s', type: json}\n");
        assertEquals("json", py.orThrow().log().format());
        assertTrue(warningsByPath(py).containsKey("log.format"));
    }

    @Test
    void loadResultInvariants() {
        LoadResult r = new LoadResult(load(MINIMAL).config(), List.of(new ConfigError("a", "b")), List.of());
        assertNull(r.config());
        assertFalse(r.ok());
    }

    /** A Patroni node file with its security keys on loads without a warning and keeps every value. */
    @Test
    void patroniSecurityKeysAreHonouredNotWarnedAbout() throws Exception {
        String yaml = SAMPLE.replace("  connect_address: 127.0.0.1:8008\n", """
                  connect_address: 127.0.0.1:8008
                  certfile: /etc/patroni/node.crt
                  keyfile: /etc/patroni/node.key
                  cafile: /etc/patroni/ca.crt
                  verify_client: required
                  authentication: {username: patroni, password: rest-secret}
                  allowlist: [10.0.0.0/8]
                  allowlist_include_members: true
                """).replace("  hosts: 127.0.0.1:2379\n", """
                  hosts: 127.0.0.1:2379
                  protocol: https
                  cacert: /etc/patroni/ca.crt
                  cert: /etc/patroni/node.crt
                  key: /etc/patroni/node.key
                  username: patroni
                  password: etcd-secret
                """) + """
                ctl:
                  certfile: /etc/patroni/ctl.crt
                  keyfile: /etc/patroni/ctl.key
                  cacert: /etc/patroni/ca.crt
                """;
        LoadResult r = load(yaml);
        assertTrue(r.ok(), r.errors().toString());
        assertEquals(List.of(), r.warnings(), r.warnings().toString());
        BatonConfig c = r.orThrow();
        assertEquals("https", c.restapi().scheme());
        assertEquals(VerifyClient.REQUIRED, c.restapi().verifyClient());
        assertEquals(List.of("https://127.0.0.1:2379"), c.etcd().endpoints());
        assertEquals("patroni", c.etcd().username());
        assertEquals(java.nio.file.Path.of("/etc/patroni/ctl.crt"), c.client().tls().certfile());
        assertEquals(new BasicAuth("patroni", "rest-secret"), c.client().authentication());
    }

    @Test
    void patroniSecurityEnvironmentVariables() throws Exception {
        Map<String, String> env = Map.of(
                "PATRONI_RESTAPI_CERTFILE", "/n.crt", "PATRONI_RESTAPI_CAFILE", "/ca.crt",
                "PATRONI_RESTAPI_VERIFY_CLIENT", "optional", "PATRONI_RESTAPI_USERNAME", "u",
                "BATON_RESTAPI_PASSWORD", "p", "PATRONI_CTL_INSECURE", "true", "PATRONI_CTL_CACERT", "/c2.crt",
                "PATRONI_ETCD3_PROTOCOL", "https", "PATRONI_ETCD3_USERNAME", "e", "PATRONI_ETCD3_PASSWORD", "ep");
        BatonConfig c = load(MINIMAL, env).orThrow();
        assertEquals(VerifyClient.OPTIONAL, c.restapi().verifyClient());
        assertEquals(new BasicAuth("u", "p"), c.restapi().authentication());
        assertTrue(c.ctl().insecure());
        assertEquals(java.nio.file.Path.of("/c2.crt"), c.client().tls().cafile());
        assertEquals("https", c.etcd().protocol());
        assertEquals("ep", c.etcd().password());
    }
}
