package dev.baton.aws.provision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConfigLoader;
import dev.baton.config.LoadResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The cloud-init user data: the template's copies, what it renders, what can be read back from it. */
class UserDataTest {
    private static final String TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/baton-demo/0123456789abcdef";
    private static final UserData.Passwords PASSWORDS = new UserData.Passwords("Su9erSecretSu9erSecretSu9erSecre",
            "Re9licationRe9licationRe9licatio", "Re5tApiRe5tApiRe5tApiRe5tApiRe5t");
    private static final UserData.ClusterCa CA = UserData.ClusterCa.create("demo", Instant.parse("2026-01-01T00:00:00Z"));

    private static UserData.Member member(String ip, UserData.Etcd etcd, List<String> etcdHosts) {
        return new UserData.Member("demo", "demo-2", ip, etcdHosts, "eu-west-1", TG, "10.0.0.0/16",
                List.of("10.0.0.0/16", "192.168.0.0/24"), PASSWORDS, CA, ClusterSpec.DEFAULT_BATON_URL, null, etcd);
    }

    /** The module's directory is the working directory of its tests; the repository root is above it. */
    private static Path repo(String path) {
        return Path.of("..").resolve(path);
    }

    /**
     * The template and the unit live in deploy/ (what operators read and copy) and, identical, in
     * the jar (what create-cluster renders): the aws module cannot package files from outside
     * itself without build plumbing, so the copies are kept equal by this test instead.
     */
    @Test
    void theCopiesInTheJarAreTheFilesInDeploy() throws Exception {
        assertEquals(Files.readString(repo("deploy/cloud-init/baton-user-data.yaml")), UserData.resource(UserData.TEMPLATE),
                "copy deploy/cloud-init/baton-user-data.yaml to aws/src/main/resources/dev/baton/aws/provision/");
        assertEquals(Files.readString(repo("deploy/systemd/baton.service")), UserData.resource(UserData.SERVICE),
                "copy deploy/systemd/baton.service to aws/src/main/resources/dev/baton/aws/provision/");
    }

    @Test
    void rendersAValidCloudConfigWithAValidAgentConfiguration() throws Exception {
        String text = UserData.render(member(null, null, List.of("10.0.9.1:2379", "10.0.9.2:2379")));
        assertTrue(text.startsWith("#cloud-config\n"), text);
        assertFalse(text.contains("{{"), "every placeholder is filled");
        assertTrue(text.getBytes(StandardCharsets.UTF_8).length < UserData.LIMIT);
        JsonNode doc = new YAMLMapper().readTree(text);
        assertEquals("/usr/local/sbin/baton-install", doc.path("runcmd").get(0).get(0).asText());
        String unit = UserData.file(text, "/etc/systemd/system/baton.service");
        assertEquals(Files.readString(repo("deploy/systemd/baton.service")).lines().filter(l -> !l.startsWith("#"))
                .toList(), unit.lines().toList(), "the unit is deploy/systemd/baton.service without its comments");
        assertTrue(unit.contains("KillMode=process\n"), unit);
        assertEquals(dev.baton.agent.AgentJvmOptions.options(),
                UserData.file(text, "/usr/local/lib/baton/baton-agent.jvmopts").lines().toList(),
                "the agent's JVM options are deploy/baton-agent.jvmopts without its comments");
        assertNull(UserData.file(text, "/etc/default/etcd"), "no etcd of its own");
        String install = UserData.file(text, "/usr/local/sbin/baton-install");
        assertTrue(install.contains("apt-get install -y postgresql-15\n"), install);
        assertTrue(install.contains("'" + ClusterSpec.DEFAULT_BATON_URL + "'"), install);
        assertTrue(install.contains("systemctl enable --now baton"), install);
        assertFalse(install.contains("etcd"), install);
        assertFalse(install.contains("sha256sum"), install);

        String config = UserData.agentConfig(text);
        assertTrue(config.contains(UserData.PRIVATE_IP_TOKEN), "the address is filled in on first boot");
        // What the first boot does: the instance's address replaces the token.
        LoadResult r = new ConfigLoader(Map.of()).loadString(config.replace(UserData.PRIVATE_IP_TOKEN, "10.0.1.7"));
        assertTrue(r.ok(), r.errors().toString());
        BatonConfig c = r.config();
        assertEquals("demo", c.scope());
        assertEquals("demo-2", c.name());
        assertEquals(List.of("10.0.9.1:2379", "10.0.9.2:2379"), c.etcd().hosts());
        assertEquals("10.0.1.7", c.restapi().connectHost());
        assertEquals(8008, c.restapi().connectPort());
        assertEquals("/var/lib/postgresql/15/baton", c.postgresql().dataDir().toString());
        assertNotNull(c.aws(), "the aws section is read");
        assertEquals(TG, c.aws().targetGroupArn());
        assertEquals("eu-west-1", c.aws().region());
        assertEquals("both", c.aws().mode().key());
        JsonNode yml = new YAMLMapper().readTree(config);
        assertEquals(30, yml.path("bootstrap").path("dcs").path("ttl").asInt());
        List<String> hba = new java.util.ArrayList<>();
        yml.path("bootstrap").path("pg_hba").forEach(n -> hba.add(n.asText()));
        assertTrue(hba.contains("hostssl replication replicator 10.0.0.0/16 scram-sha-256 clientcert=verify-ca"),
                hba.toString());
        assertTrue(hba.contains("hostssl all all 192.168.0.0/24 scram-sha-256"), "client CIDRs: " + hba);
        assertEquals(1, hba.stream().filter(h -> h.equals("hostssl all all 10.0.0.0/16 scram-sha-256")).count());
        assertTrue(hba.stream().noneMatch(h -> h.startsWith("host ") && !h.contains("127.0.0.1/32")),
                "no plain TCP from the network: " + hba);
        assertEquals(List.of(), c.etcd().hosts().stream().filter(h -> h.startsWith("https")).toList());
        assertEquals("", yml.path("etcd3").path("protocol").asText(), "the given etcd is used as it is");
    }

    /** TLS and authentication on every channel the template configures; the node certificate is made on first boot. */
    @Test
    void theAgentServesHttpsWithAuthenticationAndPostgresqlAndReplicationUseTls() throws Exception {
        String text = UserData.render(member("10.0.2.10", null, List.of("10.0.9.1:2379")));
        JsonNode yml = new YAMLMapper().readTree(UserData.agentConfig(text));
        JsonNode rest = yml.path("restapi");
        assertEquals("/etc/baton/tls/node.crt", rest.path("certfile").asText());
        assertEquals("/etc/baton/tls/node.key", rest.path("keyfile").asText());
        assertEquals("/etc/baton/tls/ca.crt", rest.path("cafile").asText());
        assertEquals("optional", rest.path("verify_client").asText(), "the NLB's health checks present no certificate");
        assertEquals(UserData.RESTAPI_USER, rest.path("authentication").path("username").asText());
        assertEquals(PASSWORDS.restapi(), rest.path("authentication").path("password").asText());
        assertEquals("/etc/baton/tls/ca.crt", yml.path("ctl").path("cacert").asText());
        assertEquals("/etc/baton/tls/node.crt", yml.path("ctl").path("certfile").asText());
        JsonNode params = yml.path("bootstrap").path("dcs").path("postgresql").path("parameters");
        assertTrue(params.path("ssl").asBoolean(), params.toString());
        assertEquals("/etc/baton/tls/node.key", params.path("ssl_key_file").asText());
        JsonNode repl = yml.path("postgresql").path("authentication").path("replication");
        assertEquals("verify-ca", repl.path("sslmode").asText());
        assertEquals("/etc/baton/tls/ca.crt", repl.path("sslrootcert").asText());
        assertEquals("/etc/baton/tls/node.crt", repl.path("sslcert").asText());
        // The CA travels in the user data like the passwords; the instance makes its certificate, then drops the key.
        assertEquals(CA.certificate(), UserData.file(text, "/etc/baton/tls/ca.crt"));
        assertEquals(CA.key(), UserData.file(text, "/etc/baton/tls/ca.key"));
        assertEquals(CA, UserData.ca(UserData.base64(text)));
        JsonNode doc = new YAMLMapper().readTree(text);
        for (JsonNode f : doc.path("write_files")) {
            if (f.path("path").asText().equals("/etc/baton/tls/ca.key") || f.path("path").asText().equals("/etc/baton/baton.yml")) {
                assertEquals("0600", f.path("permissions").asText(), f.path("path").asText());
            }
        }
        String install = UserData.file(text, "/usr/local/sbin/baton-install");
        assertTrue(install.contains("baton certs node --dir /etc/baton/tls --name node --host \"$ip\""), install);
        assertTrue(install.indexOf("baton certs node") < install.indexOf("rm -f /etc/baton/tls/ca.key"), install);
        assertTrue(install.indexOf("rm -f /etc/baton/tls/ca.key") < install.indexOf("systemctl enable --now baton"));
        assertFalse(CA.toString().contains("PRIVATE KEY"));
        assertFalse(PASSWORDS.toString().contains(PASSWORDS.restapi()));
        assertTrue(text.getBytes(StandardCharsets.UTF_8).length < UserData.LIMIT);
    }

    @Test
    void aColocatedEtcdMemberIsConfiguredBeforeItsPackageIsInstalled() throws Exception {
        UserData.Etcd etcd = new UserData.Etcd("demo-2", "demo-1=https://10.0.1.10:2380,demo-2=https://10.0.2.10:2380,"
                + "demo-3=https://10.0.1.11:2380", "baton-demo");
        String text = UserData.render(member("10.0.2.10", etcd,
                List.of("10.0.1.10:2379", "10.0.2.10:2379", "10.0.1.11:2379")));
        String env = UserData.file(text, "/etc/default/etcd");
        assertTrue(env.contains("ETCD_NAME=demo-2\n"), env);
        assertTrue(env.contains("ETCD_INITIAL_CLUSTER=" + etcd.initialCluster() + "\n"), env);
        assertTrue(env.contains("ETCD_INITIAL_CLUSTER_STATE=new\n"), env);
        assertTrue(env.contains("ETCD_LISTEN_PEER_URLS=https://10.0.2.10:2380\n"), env);
        assertTrue(env.contains("ETCD_ADVERTISE_CLIENT_URLS=https://10.0.2.10:2379"), env);
        String install = UserData.file(text, "/usr/local/sbin/baton-install");
        assertTrue(install.contains("etcd-server"), install);
        assertTrue(install.contains("systemctl enable --now etcd"), install);
        assertTrue(env.contains("ETCD_CLIENT_CERT_AUTH=true\n"), env);
        assertTrue(env.contains("ETCD_PEER_CLIENT_CERT_AUTH=true\n"), env);
        assertTrue(env.contains("ETCD_TRUSTED_CA_FILE=/etc/etcd/tls/ca.crt\n"), env);
        assertTrue(install.indexOf("install -o etcd -g etcd -m 0600 /etc/baton/tls/node.key") > install.indexOf("baton certs node")
                && install.indexOf("install -o etcd -g etcd -m 0600") < install.indexOf("etcd-server"),
                "etcd's certificate exists before the package starts etcd: " + install);
        // The largest user data (with the CA and etcd's files) leaves room for long ARNs, URLs and names.
        assertTrue(text.getBytes(StandardCharsets.UTF_8).length < UserData.LIMIT - 4096, text.length() + " bytes");
        String config = UserData.agentConfig(text);
        assertFalse(config.contains(UserData.PRIVATE_IP_TOKEN), "the address is known before launch");
        JsonNode etcd3 = new YAMLMapper().readTree(config).path("etcd3");
        assertEquals("https", etcd3.path("protocol").asText());
        assertEquals("/etc/baton/tls/ca.crt", etcd3.path("cacert").asText());
        assertEquals("/etc/baton/tls/node.key", etcd3.path("key").asText());
        LoadResult r = new ConfigLoader(Map.of()).loadString(config);
        assertTrue(r.ok(), r.errors().toString());
        assertEquals("10.0.2.10", r.config().postgresql().connectHost());
        assertEquals(List.of("10.0.1.10:2379", "10.0.2.10:2379", "10.0.1.11:2379"), r.config().etcd().hosts());
        assertEquals(etcd.initialCluster(), UserData.etcdInitialCluster(UserData.base64(text)));
    }

    @Test
    void thePasswordsCanBeReadBackFromTheBase64UserData() {
        String base64 = UserData.base64(UserData.render(member(null, null, List.of("etcd:2379"))));
        UserData.Passwords p = UserData.passwords(base64);
        assertEquals(PASSWORDS, p);
        assertFalse(p.toString().contains(PASSWORDS.superuser()));
        assertFalse(member(null, null, List.of("etcd:2379")).toString().contains(PASSWORDS.superuser()));
        assertNull(UserData.etcdInitialCluster(base64));
        assertThrows(IllegalArgumentException.class, () -> UserData.passwords(UserData.base64("#!/bin/sh\necho hi\n")));
        // User data of a Baton without REST authentication: refused, not silently given a new password.
        String old = UserData.render(member(null, null, List.of("etcd:2379")))
                .replace("          password: '" + PASSWORDS.restapi() + "'\n", "");
        assertThrows(IllegalArgumentException.class, () -> UserData.passwords(UserData.base64(old)));
    }

    @Test
    void aChecksumIsCheckedWhenGiven() {
        String sha = "ab".repeat(32);
        UserData.Member m = new UserData.Member("demo", "demo-1", null, List.of("e:2379"), "eu-west-1", TG,
                "10.0.0.0/16", List.of("10.0.0.0/16"), PASSWORDS, CA, "https://example.com/baton.jar", sha, null);
        String install = UserData.file(UserData.render(m), "/usr/local/sbin/baton-install");
        assertTrue(install.contains("echo '" + sha + "  /usr/local/lib/baton/baton.jar.download' | sha256sum -c -"),
                install);
    }

    @Test
    void theTemplateEngineRefusesMissingAndUnusedValues() {
        assertEquals("a: x\n  - 1\n  - 2\nb", Template.render("a: {{X}}\n  {{L}}\nb", Map.of("X", "x"),
                Map.of("L", List.of("- 1", "- 2"))));
        assertEquals("a\nb", Template.render("a\n  {{L}}\nb", Map.of(), Map.of("L", List.of())));
        assertThrows(IllegalStateException.class, () -> Template.render("{{X}}", Map.of(), Map.of()));
        assertThrows(IllegalStateException.class, () -> Template.render("x", Map.of("X", "1"), Map.of()));
        assertThrows(IllegalStateException.class, () -> Template.render("{{X}}", Map.of("X", "a\nb"), Map.of()));
    }
}
