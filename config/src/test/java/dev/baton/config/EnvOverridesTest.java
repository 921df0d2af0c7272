package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The environment variables written into the tree before it is read. */
class EnvOverridesTest {

    private static ObjectNode tree(String yaml) {
        return (ObjectNode) Sections.tree(yaml);
    }

    @ParameterizedTest(name = "{0} sets {1}")
    @CsvSource({
        "BATON_SCOPE,                   /scope",
        "PATRONI_NAMESPACE,             /namespace",
        "BATON_RESTAPI_CONNECT_ADDRESS, /restapi/connect_address",
        "BATON_ETCD3_HOSTS,             /etcd3/hosts",
        "PATRONI_POSTGRESQL_DATA_DIR,   /postgresql/data_dir",
        "BATON_SUPERUSER_PASSWORD,      /postgresql/authentication/superuser/password",
        "PATRONI_REPLICATION_USERNAME,  /postgresql/authentication/replication/username",
        "BATON_LOG_FORMAT,              /log/format",
        "PATRONI_REWIND_USERNAME,       /postgresql/authentication/rewind/username",
        "BATON_REWIND_PASSWORD,         /postgresql/authentication/rewind/password",
        "PATRONI_REPLICATION_SSLMODE,   /postgresql/authentication/replication/sslmode",
        "BATON_SUPERUSER_SSLROOTCERT,   /postgresql/authentication/superuser/sslrootcert",
        "PATRONI_REWIND_CHANNEL_BINDING, /postgresql/authentication/rewind/channel_binding",
        "BATON_REPLICATION_SSLPASSWORD, /postgresql/authentication/replication/sslpassword",
        "PATRONI_SUPERUSER_SSLCRLDIR,   /postgresql/authentication/superuser/sslcrldir",
        "PATRONI_REWIND_GSSENCMODE,     /postgresql/authentication/rewind/gssencmode",
        "PATRONI_REPLICATION_SSLNEGOTIATION, /postgresql/authentication/replication/sslnegotiation",
    })
    void eachVariableSetsItsKey(String variable, String pointer) {
        ObjectNode t = tree("{}");
        Issues issues = new Issues();
        EnvOverrides.apply(t, "etcd3", Map.of(variable, "v"), issues);
        assertEquals("v", t.at(pointer).asText());
        issues.error(pointer.substring(1).replace('/', '.'), "bad");
        assertEquals("bad (from " + variable + ")", issues.errors().get(0).message(), "messages name the variable");
    }

    @Test
    void batonWinsOverPatroniAndEmptyIsUnset() {
        ObjectNode t = tree("name: file\nscope: file\n");
        EnvOverrides.apply(t, "etcd3", Map.of("BATON_NAME", "b", "PATRONI_NAME", "p",
                "BATON_SCOPE", "", "PATRONI_SCOPE", "p"), new Issues());
        assertEquals("b", t.get("name").asText());
        assertEquals("p", t.get("scope").asText());
    }

    @Test
    void theEtcdVariablesFollowTheSectionInUseAndReplaceTheOtherForm() {
        ObjectNode t = tree("etcd:\n  host: a:2379\n");
        EnvOverrides.apply(t, "etcd", Map.of("BATON_ETCD3_HOSTS", "b:2379,c:2379"), new Issues());
        assertEquals("b:2379,c:2379", t.at("/etcd/hosts").asText());
        assertFalse(t.get("etcd").has("host"), "hosts from the environment replace the file's host");
        assertNull(t.get("etcd3"));

        ObjectNode u = tree("etcd3:\n  hosts: [a:2379]\n");
        EnvOverrides.apply(u, "etcd3", Map.of("PATRONI_ETCD3_HOST", "d:2379"), new Issues());
        assertEquals("d:2379", u.at("/etcd3/host").asText());
        assertFalse(u.get("etcd3").has("hosts"));
    }

    @Test
    void aSectionThatIsNotAMapIsLeftForItsReaderToReport() {
        ObjectNode t = tree("postgresql: [1, 2]\n");
        Issues issues = new Issues();
        EnvOverrides.apply(t, "etcd3", Map.of("BATON_POSTGRESQL_LISTEN", "h:1"), issues);
        assertTrue(t.get("postgresql").isArray());
        issues.error("postgresql.listen", "x");
        assertEquals("x", issues.errors().get(0).message(), "not marked as from the environment");
    }

    @Test
    void setCreatesTheMapsOnTheWay() {
        ObjectNode t = tree("a: {b: {}}\n");
        assertTrue(EnvOverrides.set(t, "a.b.c.d", "v"));
        assertEquals("v", t.at("/a/b/c/d").asText());
        assertFalse(EnvOverrides.set(t, "a.b.c.d.e", "v"), "a string is in the way");
    }
}
