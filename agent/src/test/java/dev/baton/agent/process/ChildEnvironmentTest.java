package dev.baton.agent.process;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What the agent's children (PostgreSQL, pg_* tools, callbacks) see of its environment. */
class ChildEnvironmentTest {

    @ParameterizedTest(name = "{0}: withheld {1}")
    @CsvSource({
        "PATRONI_SUPERUSER_PASSWORD, true",
        "BATON_REPLICATION_PASSWORD, true",
        "BATON_ETCD3_PASSWORD,       true",
        "patroni_restapi_password,   true",
        "Baton_X,                    true",
        "PATRONI_CONFIGURATION,      true",
        "BATON_CONFIGURATION,        true",
        "PATRONI_admin_PASSWORD,     true",
        "PATRONI_LOGLEVEL,           true",
        "PATRONI_CONSUL_TOKEN,       true",
        "PATRONICTL_CONFIG_FILE,     false",
        "PATH,                       false",
        "HOME,                       false",
        "PGDATA,                     false",
        "LC_ALL,                     false",
        "MY_BATON_X,                 false",
        "PATRONIX,                   false",
        "BATON,                      false",
    })
    void batonAndPatroniVariablesAreWithheld(String name, boolean withheld) {
        assertEquals(withheld, ChildEnvironment.isWithheld(name));
    }

    @Test
    void awsCredentialsAndPgBackRestOptionsStayWithTheAgent() {
        Map<String, String> agent = new LinkedHashMap<>();
        agent.put("PATH", "/usr/bin");
        agent.put("AWS_ACCESS_KEY_ID", "AKIA");
        agent.put("aws_secret_access_key", "s3cret");
        agent.put("AWS_SESSION_TOKEN", "tok");
        agent.put("PGBACKREST_REPO1_PATH", "/elsewhere");
        agent.put("AWS_REGION", "eu-west-1");
        assertEquals(Map.of("PATH", "/usr/bin", "AWS_REGION", "eu-west-1"), ChildEnvironment.of(agent, Map.of()));
    }

    @Test
    void theCallersVariablesAreAddedAfterTheFilter() {
        Map<String, String> agent = new LinkedHashMap<>();
        agent.put("PATH", "/usr/bin");
        agent.put("PATRONI_SUPERUSER_PASSWORD", "s3cret");
        agent.put("BATON_SCOPE", "demo");
        agent.put("PGPASSFILE", "/old");
        assertEquals(Map.of("PATH", "/usr/bin", "PGPASSFILE", "/p", "LC_ALL", "C"),
                ChildEnvironment.of(agent, Map.of("PGPASSFILE", "/p", "LC_ALL", "C")));
    }
}
