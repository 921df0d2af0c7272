package dev.baton.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.BackupConfig;
import dev.baton.config.DynamicConfig;
import dev.baton.config.HostPort;
import dev.baton.config.TlsFiles;
import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.LeaderKey;
import dev.baton.leader.MemberKey;
import dev.baton.leader.model.ClusterView;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Backups from a replica, the pure parts: what a member publishes about its pgBackRest server
 * (and what a hostile member key cannot make of it), who takes the scheduled backups, and the
 * pgBackRest arguments of the server and of a standby backup.
 */
public class StandbyBackupsTest {
    public static final PgBackRestPeer NODE1 = new PgBackRestPeer("node1.example.com", 8432,
            Path.of("/srv/pg/node1.pgbackrest.conf"), Path.of("/srv/pg/node1"), 5432, Path.of("/srv/pg/node1.sock"),
            "postgres", true);
    static final TlsFiles TLS = new TlsFiles(Path.of("/tls/n2.crt"), Path.of("/tls/n2.key"), null,
            Path.of("/tls/ca.crt"));

    public static String member(String role, String state, PgBackRestPeer peer) {
        String json = "{\"conn_url\":\"postgres://h:5432/postgres\",\"api_url\":\"http://h:8008/patroni\",\"state\":\""
                + state + "\",\"role\":\"" + role + "\"}";
        return peer == null ? json : peer.addTo(json);
    }

    public static ClusterView view(String leader, Map<String, String> members) {
        Map<String, MemberKey> keys = new LinkedHashMap<>();
        members.forEach((n, j) -> keys.put(n, new MemberKey(n, j, 1, 1)));
        ClusterSnapshot s = new ClusterSnapshot(10, null, null, leader == null ? null : new LeaderKey(leader, 1, 1, 1),
                keys, null, null, null, null);
        return ClusterView.of(s, DynamicConfig.defaults());
    }

    public static PgBackRestPeer peer(String name, boolean fromReplica) {
        return new PgBackRestPeer(name + ".example.com", 8432, Path.of("/srv/pg/" + name + ".pgbackrest.conf"),
                Path.of("/srv/pg/" + name), 5432, Path.of("/srv/pg/" + name + ".sock"), "postgres", fromReplica);
    }

    @Test
    void aMemberKeyCarriesTheFactsAndTheyReadBack() {
        String json = NODE1.addTo("{\"state\":\"running\",\"role\":\"primary\"}");
        assertTrue(json.startsWith("{\"state\":\"running\",\"role\":\"primary\",\"pgbackrest\":{\"host\":"
                + "\"node1.example.com\",\"port\":8432,"), json);
        assertEquals(NODE1, PgBackRestPeer.parse(json));
        assertNull(PgBackRestPeer.parse("{\"state\":\"running\"}"), "no facts: no server");
        assertNull(PgBackRestPeer.parse("not json"));
        assertEquals("garbage", NODE1.addTo("garbage"), "only a JSON object gets the facts");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "host | \"h --pg2-path=/x\" | pgbackrest.host must be a DNS name, got \"h --pg2-path=/x\"",
        "host | 7 | pgbackrest.host must be a string",
        "port | 70000 | pgbackrest.port must be a port (1-65535), got 70000",
        "port | \"8432\" | pgbackrest.port must be a port (1-65535), got \"8432\"",
        "config | \"relative.conf\" | pgbackrest.config must be an absolute path of letters, digits and ._/+@=:-, got \"relative.conf\"",
        "pg_path | \"/a/../../etc\" | pgbackrest.pg_path must be an absolute path of letters, digits and ._/+@=:-, got \"/a/../../etc\"",
        "pg_socket_path | \"/tmp/x\\ny=1\" | pgbackrest.pg_socket_path must be an absolute path of letters, digits and ._/+@=:-, got \"/tmp/x\\u000ay=1\"",
        "pg_user | \"postgres --repo1-path=/\" | pgbackrest.pg_user must be a plain role name, got \"postgres --repo1-path=/\"",
    })
    void hostileFactsAreRefusedNamingTheField(String field, String value, String expected) throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper m = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode root = (com.fasterxml.jackson.databind.node.ObjectNode)
                m.readTree(NODE1.addTo("{}"));
        ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("pgbackrest")).set(field, m.readTree(value));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PgBackRestPeer.parse(root.toString()));
        assertEquals(expected, e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PgBackRestPeer.parse("{\"pgbackrest\":[1]}"));
    }

    @Test
    void theLeaderTakesScheduledBackupsUnlessItAsksForAReplicaAndOneCan() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("node1", member("primary", "running", peer("node1", false)));
        m.put("node2", member("replica", "running", peer("node2", false)));
        assertEquals("node1", StandbyBackups.taker(view("node1", m)), "from_replica off on the leader");

        m.put("node1", member("primary", "running", peer("node1", true)));
        m.put("node3", member("replica", "running", peer("node3", false)));
        assertEquals("node2", StandbyBackups.taker(view("node1", m)), "the first replica by name");
        assertEquals(Optional.of(peer("node1", true)), StandbyBackups.leaderServer(view("node1", m)));

        m.put("node2", member("replica", "stopped", peer("node2", false)));
        assertEquals("node3", StandbyBackups.taker(view("node1", m)), "a stopped replica cannot");
        m.put("node3", member("replica", "running", null));
        assertEquals("node1", StandbyBackups.taker(view("node1", m)), "a replica without a server cannot: the leader");
        m.put("node3", member("replica", "running", peer("node3", false)).replace("}}",
                "},\"tags\":{\"nobackup\":true}}"));
        assertEquals("node1", StandbyBackups.taker(view("node1", m)), "nor one tagged nobackup");
        assertNull(StandbyBackups.taker(view(null, m)), "no leader: nobody");
        assertEquals(Optional.empty(), StandbyBackups.leaderServer(view(null, m)));

        m.put("node1", member("primary", "running", null).replace("}", ",\"pgbackrest\":\"x\"}"));
        assertEquals("node1", StandbyBackups.taker(view("node1", m)), "unreadable leader facts: the leader itself");
        assertThrows(IllegalArgumentException.class, () -> StandbyBackups.leaderServer(view("node1", m)));
    }

    @Test
    void theServerAcceptsOnlyTheMembersCommonNameForTheStanza() {
        BackupConfig.Server server = new BackupConfig.Server(new HostPort("127.0.0.1", 8432),
                new HostPort("node1.example.com", 8432), new TlsFiles(Path.of("/tls/n1.crt"), Path.of("/tls/n1.key"),
                null, Path.of("/tls/ca.crt")));
        assertEquals(List.of("--log-level-console=warn", "--tls-server-address=127.0.0.1", "--tls-server-port=8432",
                "--tls-server-cert-file=/tls/n1.crt", "--tls-server-key-file=/tls/n1.key",
                "--tls-server-ca-file=/tls/ca.crt", "--tls-server-auth=baton-backup=demo", "server"),
                PgBackRestConf.serverArgs(server, "baton-backup", "demo"));
        assertThrows(IllegalArgumentException.class, () -> PgBackRestConf.serverArgs(server, "a=b,c", "demo"));
        assertThrows(IllegalArgumentException.class, () -> PgBackRestConf.serverArgs(server, "cn", "bad stanza"));
    }

    @Test
    void aStandbyBackupReachesThePrimaryAsPg2OverTls() {
        assertEquals(List.of("--stanza=demo", "--log-level-console=detail", "--type=diff", "--backup-standby",
                "--pg2-host=node1.example.com", "--pg2-host-type=tls", "--pg2-host-port=8432",
                "--pg2-host-cert-file=/tls/n2.crt", "--pg2-host-key-file=/tls/n2.key", "--pg2-host-ca-file=/tls/ca.crt",
                "--pg2-host-config=/srv/pg/node1.pgbackrest.conf", "--pg2-path=/srv/pg/node1", "--pg2-port=5432",
                "--pg2-socket-path=/srv/pg/node1.sock", "--pg2-user=postgres", "backup"),
                PgBackRestConf.standbyBackupArgs("demo", BackupType.DIFF, NODE1, TLS));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "'CN=baton-backup,O=Baton'           | baton-backup",
        "'O=Baton,CN=outer,CN=inner'          | inner",
        "'CN=a.b_c@d-e'                       | a.b_c@d-e",
    })
    void theCommonNameIsTheOnePgBackRestReads(String subject, String cn) {
        assertEquals(cn, PgBackRestConf.commonName(subject));
    }

    @Test
    void aSubjectWithoutAUsableCommonNameIsRefused() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PgBackRestConf.commonName("O=Baton"))
                .getMessage().startsWith("the certificate has no CommonName (subject \"O=Baton\")"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PgBackRestConf.commonName("CN=a\\=b"))
                .getMessage().contains("is not one pgBackRest's tls-server-auth can name"));
        assertFalse(PgBackRestConf.commonName("CN=x").isEmpty());
    }
}
