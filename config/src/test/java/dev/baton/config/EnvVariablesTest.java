package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every environment variable Patroni reads (3.x and 4.x), and its BATON_ twin: the key it sets, BATON_
 * winning, values parsed as Patroni parses them, errors naming the variable, and no secret in any message.
 */
class EnvVariablesTest {

    /** Every suffix of the table and the key it sets; {@link #theTableIsTestedEntirely} keeps them in step. */
    static final String[] TABLE = {
        "SCOPE,                              /scope",
        "NAMESPACE,                          /namespace",
        "NAME,                               /name",
        "LOG_LEVEL,                          /log/level",
        "LOG_FORMAT,                         /log/format",
        "LOG_TYPE,                           /log/type",
        "LOG_DIR,                            /log/dir",
        "LOG_TRACEBACK_LEVEL,                /log/traceback_level",
        "LOG_DATEFORMAT,                     /log/dateformat",
        "LOG_MAX_QUEUE_SIZE,                 /log/max_queue_size",
        "LOG_MODE,                           /log/mode",
        "LOG_FILE_NUM,                       /log/file_num",
        "LOG_FILE_SIZE,                      /log/file_size",
        "LOG_DEDUPLICATE_HEARTBEAT_LOGS,     /log/deduplicate_heartbeat_logs",
        "RESTAPI_LISTEN,                     /restapi/listen",
        "RESTAPI_CONNECT_ADDRESS,            /restapi/connect_address",
        "RESTAPI_CERTFILE,                   /restapi/certfile",
        "RESTAPI_KEYFILE,                    /restapi/keyfile",
        "RESTAPI_KEYFILE_PASSWORD,           /restapi/keyfile_password",
        "RESTAPI_CAFILE,                     /restapi/cafile",
        "RESTAPI_CIPHERS,                    /restapi/ciphers",
        "RESTAPI_VERIFY_CLIENT,              /restapi/verify_client",
        "RESTAPI_ALLOWLIST,                  /restapi/allowlist",
        "RESTAPI_ALLOWLIST_INCLUDE_MEMBERS,  /restapi/allowlist_include_members",
        "RESTAPI_REQUEST_QUEUE_SIZE,         /restapi/request_queue_size",
        "RESTAPI_SERVER_TOKENS,              /restapi/server_tokens",
        "RESTAPI_USERNAME,                   /restapi/authentication/username",
        "RESTAPI_PASSWORD,                   /restapi/authentication/password",
        "CTL_INSECURE,                       /ctl/insecure",
        "CTL_CACERT,                         /ctl/cacert",
        "CTL_CERTFILE,                       /ctl/certfile",
        "CTL_KEYFILE,                        /ctl/keyfile",
        "CTL_KEYFILE_PASSWORD,               /ctl/keyfile_password",
        "CTL_USERNAME,                       /ctl/authentication/username",
        "CTL_PASSWORD,                       /ctl/authentication/password",
        "ETCD_HOST,                          /etcd/host",
        "ETCD_HOSTS,                         /etcd/hosts",
        "ETCD_URL,                           /etcd/url",
        "ETCD_PROXY,                         /etcd/proxy",
        "ETCD_SRV,                           /etcd/srv",
        "ETCD_SRV_SUFFIX,                    /etcd/srv_suffix",
        "ETCD_USE_PROXIES,                   /etcd/use_proxies",
        "ETCD_PROTOCOL,                      /etcd/protocol",
        "ETCD_USERNAME,                      /etcd/username",
        "ETCD_PASSWORD,                      /etcd/password",
        "ETCD_CACERT,                        /etcd/cacert",
        "ETCD_CERT,                          /etcd/cert",
        "ETCD_KEY,                           /etcd/key",
        "ETCD_KEY_PASSWORD,                  /etcd/key_password",
        "ETCD3_HOST,                         /etcd3/host",
        "ETCD3_HOSTS,                        /etcd3/hosts",
        "ETCD3_URL,                          /etcd3/url",
        "ETCD3_PROXY,                        /etcd3/proxy",
        "ETCD3_SRV,                          /etcd3/srv",
        "ETCD3_SRV_SUFFIX,                   /etcd3/srv_suffix",
        "ETCD3_USE_PROXIES,                  /etcd3/use_proxies",
        "ETCD3_PROTOCOL,                     /etcd3/protocol",
        "ETCD3_USERNAME,                     /etcd3/username",
        "ETCD3_PASSWORD,                     /etcd3/password",
        "ETCD3_CACERT,                       /etcd3/cacert",
        "ETCD3_CERT,                         /etcd3/cert",
        "ETCD3_KEY,                          /etcd3/key",
        "ETCD3_KEY_PASSWORD,                 /etcd3/key_password",
        "POSTGRESQL_LISTEN,                  /postgresql/listen",
        "POSTGRESQL_CONNECT_ADDRESS,         /postgresql/connect_address",
        "POSTGRESQL_PROXY_ADDRESS,           /postgresql/proxy_address",
        "POSTGRESQL_DATA_DIR,                /postgresql/data_dir",
        "POSTGRESQL_CONFIG_DIR,              /postgresql/config_dir",
        "POSTGRESQL_BIN_DIR,                 /postgresql/bin_dir",
        "POSTGRESQL_PGPASS,                  /postgresql/pgpass",
        "POSTGRESQL_BIN_PG_CTL,              /postgresql/bin_name/pg_ctl",
        "POSTGRESQL_BIN_INITDB,              /postgresql/bin_name/initdb",
        "POSTGRESQL_BIN_PG_CONTROLDATA,      /postgresql/bin_name/pg_controldata",
        "POSTGRESQL_BIN_PG_BASEBACKUP,       /postgresql/bin_name/pg_basebackup",
        "POSTGRESQL_BIN_POSTGRES,            /postgresql/bin_name/postgres",
        "POSTGRESQL_BIN_PG_ISREADY,          /postgresql/bin_name/pg_isready",
        "POSTGRESQL_BIN_PG_REWIND,           /postgresql/bin_name/pg_rewind",
        "SUPERUSER_USERNAME,                 /postgresql/authentication/superuser/username",
        "SUPERUSER_PASSWORD,                 /postgresql/authentication/superuser/password",
        "SUPERUSER_SSLMODE,                  /postgresql/authentication/superuser/sslmode",
        "SUPERUSER_SSLKEY,                   /postgresql/authentication/superuser/sslkey",
        "SUPERUSER_SSLPASSWORD,              /postgresql/authentication/superuser/sslpassword",
        "SUPERUSER_SSLCERT,                  /postgresql/authentication/superuser/sslcert",
        "SUPERUSER_SSLROOTCERT,              /postgresql/authentication/superuser/sslrootcert",
        "SUPERUSER_SSLCRL,                   /postgresql/authentication/superuser/sslcrl",
        "SUPERUSER_SSLCRLDIR,                /postgresql/authentication/superuser/sslcrldir",
        "SUPERUSER_SSLNEGOTIATION,           /postgresql/authentication/superuser/sslnegotiation",
        "SUPERUSER_GSSENCMODE,               /postgresql/authentication/superuser/gssencmode",
        "SUPERUSER_CHANNEL_BINDING,          /postgresql/authentication/superuser/channel_binding",
        "REPLICATION_USERNAME,               /postgresql/authentication/replication/username",
        "REPLICATION_PASSWORD,               /postgresql/authentication/replication/password",
        "REPLICATION_SSLMODE,                /postgresql/authentication/replication/sslmode",
        "REPLICATION_SSLKEY,                 /postgresql/authentication/replication/sslkey",
        "REPLICATION_SSLPASSWORD,            /postgresql/authentication/replication/sslpassword",
        "REPLICATION_SSLCERT,                /postgresql/authentication/replication/sslcert",
        "REPLICATION_SSLROOTCERT,            /postgresql/authentication/replication/sslrootcert",
        "REPLICATION_SSLCRL,                 /postgresql/authentication/replication/sslcrl",
        "REPLICATION_SSLCRLDIR,              /postgresql/authentication/replication/sslcrldir",
        "REPLICATION_SSLNEGOTIATION,         /postgresql/authentication/replication/sslnegotiation",
        "REPLICATION_GSSENCMODE,             /postgresql/authentication/replication/gssencmode",
        "REPLICATION_CHANNEL_BINDING,        /postgresql/authentication/replication/channel_binding",
        "REWIND_USERNAME,                    /postgresql/authentication/rewind/username",
        "REWIND_PASSWORD,                    /postgresql/authentication/rewind/password",
        "REWIND_SSLMODE,                     /postgresql/authentication/rewind/sslmode",
        "REWIND_SSLKEY,                      /postgresql/authentication/rewind/sslkey",
        "REWIND_SSLPASSWORD,                 /postgresql/authentication/rewind/sslpassword",
        "REWIND_SSLCERT,                     /postgresql/authentication/rewind/sslcert",
        "REWIND_SSLROOTCERT,                 /postgresql/authentication/rewind/sslrootcert",
        "REWIND_SSLCRL,                      /postgresql/authentication/rewind/sslcrl",
        "REWIND_SSLCRLDIR,                   /postgresql/authentication/rewind/sslcrldir",
        "REWIND_SSLNEGOTIATION,              /postgresql/authentication/rewind/sslnegotiation",
        "REWIND_GSSENCMODE,                  /postgresql/authentication/rewind/gssencmode",
        "REWIND_CHANNEL_BINDING,             /postgresql/authentication/rewind/channel_binding",
    };

    private static ObjectNode tree(String yaml) {
        return (ObjectNode) Sections.tree(yaml);
    }

    private static ObjectNode apply(Map<String, String> env, Issues issues) {
        ObjectNode t = tree("{}");
        EnvOverrides.apply(t, "etcd3", env, issues);
        return t;
    }

    /** {@link #TABLE} as (suffix, pointer) pairs. */
    static Stream<org.junit.jupiter.params.provider.Arguments> table() {
        return Stream.of(TABLE).map(r -> r.split(",", 2))
                .map(f -> org.junit.jupiter.params.provider.Arguments.of(f[0].trim(), f[1].trim()));
    }

    @ParameterizedTest(name = "{0} sets {1}")
    @org.junit.jupiter.params.provider.MethodSource("table")
    void eachVariableSetsItsKeyAndBatonWins(String suffix, String pointer) {
        String path = pointer.substring(1).replace('/', '.');

        Issues patroni = new Issues();
        ObjectNode t = apply(Map.of("PATRONI_" + suffix, "p"), patroni);
        assertEquals("p", t.at(pointer).asText());
        patroni.error(path, "bad");
        assertEquals("bad (from PATRONI_" + suffix + ")", patroni.errors().get(0).message());

        Issues both = new Issues();
        ObjectNode u = apply(Map.of("PATRONI_" + suffix, "p", "BATON_" + suffix, "b"), both);
        assertEquals("b", u.at(pointer).asText(), "BATON_ wins");
        both.error(path, "bad");
        assertEquals("bad (from BATON_" + suffix + ")", both.errors().get(0).message());

        ObjectNode empty = apply(Map.of("PATRONI_" + suffix, "p", "BATON_" + suffix, ""), new Issues());
        assertEquals("p", empty.at(pointer).asText(), "an empty BATON_ counts as unset");
    }

    @Test
    void theTableIsTestedEntirely() {
        Set<String> tested = Stream.of(TABLE).map(r -> r.split(",")[0].trim()).collect(Collectors.toSet());
        Set<String> table = EnvOverrides.TABLE.stream().filter(o -> o.kind() != EnvOverrides.Kind.MAP)
                .map(EnvOverrides.EnvOverride::suffix).collect(Collectors.toSet());
        assertEquals(new TreeSet<>(table), new TreeSet<>(tested));
    }

    @ParameterizedTest(name = "{0} is a map")
    @CsvSource({
        "RESTAPI_HTTP_EXTRA_HEADERS,  /restapi/http_extra_headers",
        "RESTAPI_HTTPS_EXTRA_HEADERS, /restapi/https_extra_headers",
        "LOG_LOGGERS,                 /log/loggers",
        "LOG_STATIC_FIELDS,           /log/static_fields",
    })
    void mapsAreParsedAsPatroniParsesThem(String suffix, String pointer) {
        // Patroni's _parse_dict: "{...}" as written, anything else wrapped in braces.
        ObjectNode t = apply(Map.of("PATRONI_" + suffix, "X-Frame-Options: DENY, X-Other: 'a, b'"), new Issues());
        assertEquals("DENY", t.at(pointer + "/X-Frame-Options").asText());
        assertEquals("a, b", t.at(pointer + "/X-Other").asText());
        ObjectNode u = apply(Map.of("BATON_" + suffix, "{\"A\": \"1\"}", "PATRONI_" + suffix, "B: 2"), new Issues());
        assertEquals("1", u.at(pointer + "/A").asText());
        assertTrue(u.at(pointer + "/B").isMissingNode(), "BATON_ wins");

        Issues issues = new Issues();
        ObjectNode bad = apply(Map.of("PATRONI_" + suffix, "{a: [secret-value"), issues);
        String path = pointer.substring(1).replace('/', '.');
        assertTrue(bad.at(pointer).isMissingNode());
        assertEquals(List.of(new ConfigError(path, "must be a YAML map such as {Name: value} (from PATRONI_" + suffix
                + ")")), issues.errors());
    }

    @Test
    void hostListsTakeYamlBlockListsAndLeaveTheOtherFormsToTheReader() {
        ObjectNode t = apply(Map.of("PATRONI_ETCD3_HOSTS", "- a:2379\n- b:2379", "PATRONI_RESTAPI_ALLOWLIST",
                "- 10.0.0.0/8\n- '::1'"), new Issues());
        assertEquals("b:2379", t.at("/etcd3/hosts/1").asText());
        assertEquals("::1", t.at("/restapi/allowlist/1").asText());
        ObjectNode u = apply(Map.of("PATRONI_ETCD3_HOSTS", "'[::1]:2379','b:2379'"), new Issues());
        assertEquals("'[::1]:2379','b:2379'", u.at("/etcd3/hosts").asText(), "IPv6 in brackets: not YAML");
    }

    @Test
    void patronisOlderLogNamesAreReadWhenTheNewOnesAreNot() {
        ObjectNode t = apply(Map.of("PATRONI_LOGLEVEL", "DEBUG", "PATRONI_LOGFORMAT", "json",
                "PATRONI_LOG_DATEFMT", "%H"), new Issues());
        assertEquals("DEBUG", t.at("/log/level").asText());
        assertEquals("json", t.at("/log/format").asText());
        assertEquals("%H", t.at("/log/dateformat").asText());
        ObjectNode u = apply(Map.of("PATRONI_LOGLEVEL", "DEBUG", "PATRONI_LOG_LEVEL", "ERROR"), new Issues());
        assertEquals("ERROR", u.at("/log/level").asText());
    }

    @Test
    void bootstrapUsersFromPasswordAndOptionsVariables() {
        Issues issues = new Issues();
        ObjectNode t = apply(Map.of(
                "PATRONI_admin_PASSWORD", "pw1", "PATRONI_admin_OPTIONS", "createrole,createdb",
                "PATRONI_app_PASSWORD", "pw2", "BATON_app_PASSWORD", "pw3",
                "PATRONI_lonely_OPTIONS", "createdb",
                "PATRONI_RESTAPI_PASSWORD", "r", "PATRONI_ETCD3_KEY_PASSWORD", "k", "PATRONI_RAFT_PASSWORD", "x",
                "PATRONI_CTL_KEYFILE_PASSWORD", "c", "PATRONI_ETCD_PASSWORD", "e"), issues);
        assertEquals("pw1", t.at("/bootstrap/users/admin/password").asText());
        assertEquals("createdb", t.at("/bootstrap/users/admin/options/1").asText());
        assertEquals("pw3", t.at("/bootstrap/users/app/password").asText(), "BATON_ wins");
        assertEquals(Set.of("admin", "app"), fieldNames(t.at("/bootstrap/users")), "no other *_PASSWORD is a user");
        Map<String, String> warnings = issues.warnings().stream()
                .collect(Collectors.toMap(ConfigWarning::path, ConfigWarning::message));
        assertEquals("ignored: no PATRONI_lonely_PASSWORD is set (as in Patroni, a bootstrap user needs a password)"
                + " (from PATRONI_lonely_OPTIONS)", warnings.get("bootstrap.users.lonely.options"));
        issues.error("bootstrap.users.admin.options[0]", "bad");
        assertTrue(issues.errors().get(0).message().endsWith("(from PATRONI_admin_OPTIONS)"));
    }

    private static Set<String> fieldNames(com.fasterxml.jackson.databind.JsonNode n) {
        Set<String> out = new TreeSet<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    @Test
    void otherStoresAndCitusAreWarnedAboutByNameNeverByValue() {
        Issues issues = new Issues();
        apply(Map.of("PATRONI_CONSUL_TOKEN", "tok-secret", "BATON_KUBERNETES_LABELS", "{a: b}",
                "PATRONI_ZOOKEEPER_HOSTS", "z:2181", "PATRONI_EXHIBITOR_PORT", "8181",
                "PATRONI_RAFT_PASSWORD", "raft-secret", "PATRONI_CITUS_GROUP", "0"), issues);
        Map<String, String> w = issues.warnings().stream()
                .collect(Collectors.toMap(ConfigWarning::path, ConfigWarning::message));
        assertEquals("not supported: Baton uses etcd v3 only, ignored (from PATRONI_CONSUL_TOKEN)",
                w.get("consul.token"));
        assertEquals(EnvOverrides.UNSUPPORTED_DCS + " (from BATON_KUBERNETES_LABELS)", w.get("kubernetes.labels"));
        assertEquals(EnvOverrides.UNSUPPORTED_DCS + " (from PATRONI_ZOOKEEPER_HOSTS)", w.get("zookeeper.hosts"));
        assertEquals(EnvOverrides.UNSUPPORTED_DCS + " (from PATRONI_EXHIBITOR_PORT)", w.get("exhibitor.port"));
        assertEquals(EnvOverrides.UNSUPPORTED_DCS + " (from PATRONI_RAFT_PASSWORD)", w.get("raft.password"));
        assertEquals(ConfigNode.UNSUPPORTED + " (from PATRONI_CITUS_GROUP)", w.get("citus.group"));
        assertFalse(issues.warnings().toString().contains("secret"));
        assertTrue(issues.errors().isEmpty());
    }

    // ---- through the loader: the same readers as the file ----

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "PATRONI_SCOPE                             | a/b              | scope                          | must not contain",
        "BATON_NAME                                | node 1           | name                           | must contain only",
        "PATRONI_RESTAPI_LISTEN                    | 8008x            | restapi.listen                 | must be host:port",
        "PATRONI_RESTAPI_VERIFY_CLIENT             | maybe            | restapi.verify_client          | must be none, optional or required",
        "PATRONI_RESTAPI_ALLOWLIST_INCLUDE_MEMBERS | perhaps          | restapi.allowlist_include_members | must be a boolean",
        "PATRONI_RESTAPI_ALLOWLIST                 | 10.0.0.0/99      | restapi.allowlist[0]           | must be an address",
        "PATRONI_RESTAPI_HTTP_EXTRA_HEADERS        | '{a: ['           | restapi.http_extra_headers     | must be a YAML map",
        "PATRONI_CTL_INSECURE                      | sure             | ctl.insecure                   | must be a boolean",
        "PATRONI_ETCD3_PROTOCOL                    | grpc             | etcd3.protocol                 | must be http or https",
        "PATRONI_ETCD3_HOSTS                       | a:1,foo          | etcd3.hosts[1]                 | must be host:port",
        "PATRONI_LOG_LEVEL                         | LOUD             | log.level                      | must be one of",
        "PATRONI_LOG_TYPE                          | xml              | log.type                       | must be plain or json",
        "PATRONI_POSTGRESQL_LISTEN                 | x                | postgresql.listen              | must be host:port",
        "PATRONI_POSTGRESQL_CONNECT_ADDRESS        | 0.0.0.0:5432     | postgresql.connect_address     | must be an address other members",
        "PATRONI_REPLICATION_SSLMODE               | sometimes        | postgresql.authentication.replication.sslmode | must be one of",
    })
    void badValuesAreErrorsNamingTheVariable(String variable, String value, String path, String fragment) {
        LoadResult r = ConfigLoaderTest.load(ConfigLoaderTest.MINIMAL, Map.of(variable, value));
        String message = ConfigLoaderTest.message(r, path);
        assertTrue(message.contains(fragment), message);
        assertTrue(message.endsWith("(from " + variable + ")"), message);
    }

    @Test
    void bootstrapUserOptionsAreCreateRoleKeywordsOnly() throws Exception {
        LoadResult r = ConfigLoaderTest.load(ConfigLoaderTest.MINIMAL, Map.of("PATRONI_admin_PASSWORD", "pw",
                "PATRONI_admin_OPTIONS", "createdb, 'superuser; DROP TABLE x', connection limit 5"));
        assertEquals(Set.of("bootstrap.users.admin.options[1]"), ConfigLoaderTest.errorPaths(r));
        assertTrue(ConfigLoaderTest.message(r, "bootstrap.users.admin.options[1]")
                .endsWith("(from PATRONI_admin_OPTIONS)"));
        LoadResult ok = ConfigLoaderTest.load(ConfigLoaderTest.MINIMAL, Map.of("PATRONI_admin_PASSWORD", "pw",
                "PATRONI_admin_OPTIONS", "createrole,NOLOGIN,connection limit 5"));
        BootstrapUser admin = ok.orThrow().bootstrap().users().get("admin");
        assertEquals(new BootstrapUser("admin", "pw", List.of("CREATEROLE", "NOLOGIN", "CONNECTION LIMIT 5")), admin);
        assertFalse(admin.toString().contains("pw,"), admin.toString());
        assertFalse(ConfigLoaderTest.warningsByPath(ok).containsKey("bootstrap.users"));
    }

    @Test
    void noSecretAppearsInAnyMessage() {
        String secret = "S3cr3t-\u0001-value";
        Map<String, String> env = new HashMap<>();
        for (String suffix : List.of("RESTAPI_PASSWORD", "RESTAPI_KEYFILE_PASSWORD", "CTL_PASSWORD", "CTL_KEYFILE_PASSWORD",
                "ETCD3_PASSWORD", "ETCD3_KEY_PASSWORD", "ETCD_PASSWORD", "SUPERUSER_PASSWORD", "REPLICATION_PASSWORD",
                "REWIND_PASSWORD", "SUPERUSER_SSLPASSWORD", "REPLICATION_SSLPASSWORD", "REWIND_SSLPASSWORD",
                "admin_PASSWORD", "RAFT_PASSWORD", "CONSUL_TOKEN", "ZOOKEEPER_KEY_PASSWORD")) {
            env.put("PATRONI_" + suffix, secret);
        }
        env.put("PATRONI_RESTAPI_HTTP_EXTRA_HEADERS", "{X: " + secret); // a map that does not parse
        LoadResult r = ConfigLoaderTest.load(ConfigLoaderTest.MINIMAL, env);
        assertFalse(r.errors().isEmpty(), "passwords with a control character, key passwords without keys");
        String all = r.errors() + " " + r.warnings();
        assertFalse(all.contains("S3cr3t"), all);
        // each refused secret is named by its key path and its variable
        Map<String, String> errors = r.errors().stream()
                .collect(Collectors.toMap(ConfigError::path, ConfigError::message, (a, b) -> a + "; " + b));
        Map<String, String> expected = Map.of(
                "restapi.authentication.password", "PATRONI_RESTAPI_PASSWORD",
                "ctl.authentication.password", "PATRONI_CTL_PASSWORD",
                "etcd3.password", "PATRONI_ETCD3_PASSWORD",
                "postgresql.authentication.superuser.password", "PATRONI_SUPERUSER_PASSWORD",
                "postgresql.authentication.replication.sslpassword", "PATRONI_REPLICATION_SSLPASSWORD",
                "postgresql.authentication.rewind.password", "PATRONI_REWIND_PASSWORD",
                "bootstrap.users.admin.password", "PATRONI_admin_PASSWORD",
                "restapi.http_extra_headers", "PATRONI_RESTAPI_HTTP_EXTRA_HEADERS");
        expected.forEach((path, variable) -> assertTrue(String.valueOf(errors.get(path)).endsWith("(from " + variable
                + ")"), path + ": " + errors.get(path)));
    }

    // ---- PATRONI_CONFIGURATION ----

    private static final String WHOLE = ConfigLoaderTest.MINIMAL.replace("scope: demo", "scope: fromvar");

    @Test
    void theConfigurationVariableIsTheWholeConfigurationAndNoOtherVariableIsRead() throws Exception {
        LoadResult r = new ConfigLoader(Map.of("PATRONI_CONFIGURATION", WHOLE, "PATRONI_NAME", "other",
                "BATON_SCOPE", "other", "PATRONI_admin_PASSWORD", "x", "PATRONI_CONSUL_HOST", "c:1",
                "HOME", "/root")).loadEnvironment();
        BatonConfig c = r.orThrow();
        assertEquals("fromvar", c.scope());
        assertEquals("node1", c.name());
        assertTrue(c.bootstrap().users().isEmpty());
        Map<String, String> w = ConfigLoaderTest.warningsByPath(r);
        for (String v : List.of("PATRONI_NAME", "BATON_SCOPE", "PATRONI_admin_PASSWORD", "PATRONI_CONSUL_HOST")) {
            assertEquals("ignored: the configuration comes from PATRONI_CONFIGURATION, and then no other variable is "
                    + "read (as in Patroni)", w.get(v), v);
        }
        assertNull(w.get("HOME"));
    }

    @Test
    void batonConfigurationWinsAndWithoutEitherTheVariablesAloneConfigure() throws Exception {
        LoadResult r = new ConfigLoader(Map.of("BATON_CONFIGURATION", WHOLE, "PATRONI_CONFIGURATION", "scope: [")).loadEnvironment();
        assertEquals("fromvar", r.orThrow().scope());

        LoadResult broken = new ConfigLoader(Map.of("PATRONI_CONFIGURATION", "scope: x\n password: S3cr3t: y"))
                .loadEnvironment();
        assertFalse(broken.ok());
        assertTrue(broken.errors().get(0).path().startsWith("PATRONI_CONFIGURATION"), broken.errors().toString());
        assertFalse(broken.errors().toString().contains("S3cr3t"), broken.errors().toString());

        LoadResult alone = new ConfigLoader(Map.of("BATON_SCOPE", "s", "BATON_NAME", "n",
                "PATRONI_RESTAPI_LISTEN", "0.0.0.0:8008", "PATRONI_ETCD_HOSTS", "e:2379",
                "PATRONI_POSTGRESQL_LISTEN", "0.0.0.0:5432", "PATRONI_POSTGRESQL_DATA_DIR", "/d")).loadEnvironment();
        BatonConfig c = alone.orThrow();
        assertEquals(List.of("e:2379"), c.etcd().hosts(), "PATRONI_ETCD_HOSTS alone: the etcd section, read as etcd3");
        assertTrue(ConfigLoaderTest.warningsByPath(alone).get("etcd").contains("read as etcd3"));
    }

    @Test
    void aFileWinsOverTheConfigurationVariableWithAWarning(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("baton.yml");
        Files.writeString(file, ConfigLoaderTest.MINIMAL);
        LoadResult r = new ConfigLoader(Map.of("PATRONI_CONFIGURATION", WHOLE)).load(file);
        assertEquals("demo", r.orThrow().scope());
        assertTrue(ConfigLoaderTest.warningsByPath(r).get("PATRONI_CONFIGURATION").startsWith("ignored: a configuration "
                + "file is given"));
    }

    @Test
    void theEtcdV3NamesWinOverTheV2NamesInTheSameSection() {
        ObjectNode t = tree("etcd:\n  host: f:1\n");
        EnvOverrides.apply(t, "etcd", Map.of("PATRONI_ETCD_HOSTS", "a:1", "PATRONI_ETCD3_HOSTS", "b:1"), new Issues());
        assertEquals("b:1", t.at("/etcd/hosts").asText());
        assertFalse(t.get("etcd").has("host"));
    }

    @Test
    void anEtcdUrlVariableReplacesTheFilesHostsAndLosesToHostsFromAVariable() throws Exception {
        BatonConfig c = ConfigLoaderTest.load(ConfigLoaderTest.MINIMAL, Map.of("PATRONI_ETCD3_URL", "https://e9:2379"))
                .orThrow();
        assertEquals(List.of("e9:2379"), c.etcd().hosts());
        assertEquals("https", c.etcd().protocol());

        LoadResult both = ConfigLoaderTest.load(ConfigLoaderTest.MINIMAL, Map.of("PATRONI_ETCD3_URL", "https://e9:2379",
                "BATON_ETCD3_HOSTS", "e1:2379,e2:2379"));
        assertEquals(List.of("e1:2379", "e2:2379"), both.orThrow().etcd().hosts());
        assertEquals("ignored, etcd3.hosts is set (from PATRONI_ETCD3_URL)",
                ConfigLoaderTest.warningsByPath(both).get("etcd3.url"));

        LoadResult userInUrl = ConfigLoaderTest.load(ConfigLoaderTest.MINIMAL,
                Map.of("PATRONI_ETCD3_URL", "http://root:S3cret@e9:2379"));
        assertTrue(ConfigLoaderTest.message(userInUrl, "etcd3.url").endsWith("(from PATRONI_ETCD3_URL)"));
        assertFalse(userInUrl.errors().toString().contains("S3cret"), userInUrl.errors().toString());
    }
}
