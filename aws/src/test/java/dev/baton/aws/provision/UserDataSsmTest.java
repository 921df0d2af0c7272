package dev.baton.aws.provision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The user data with the secrets in SSM and the package in the cluster's bucket: no secret in the
 * text, only parameter names; the first-boot script is valid bash; and its secrets part, run with
 * a stand-in {@code aws} command, fills baton.yml and the CA key file as the agent needs them.
 */
class UserDataSsmTest {
    private static final String TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/baton-demo/0123456789abcdef";
    private static final UserData.Passwords PASSWORDS = new UserData.Passwords("Su'per$ecret\\1",
            "Repl\"ication`2", "Rest&Api|3");
    private static final UserData.ClusterCa CA = UserData.ClusterCa.create("demo", Instant.parse("2026-01-01T00:00:00Z"));
    private static final String SHA = "ab".repeat(32);

    @TempDir
    Path tmp;

    private static String render(boolean deb) {
        return UserData.render(new UserData.Member("demo", "demo-2", null, List.of("10.0.9.1:2379"), "eu-west-1", TG,
                "10.0.0.0/16", List.of("10.0.0.0/16"), PASSWORDS, CA, null, null, null, null, ParameterStore.prefix("demo"),
                new UserData.Package("baton-demo-0123abcd", "demo/package/baton_0.1.0_all" + (deb ? ".deb" : ".jar"),
                        "eu-west-1", SHA, deb)));
    }

    @Test
    void holdsNoSecretOnlyParameterNamesAndTheCheckedPackage() {
        String text = render(true);
        for (String secret : List.of(PASSWORDS.superuser(), PASSWORDS.replication(), PASSWORDS.restapi(), "PRIVATE KEY")) {
            assertFalse(text.contains(secret), secret);
        }
        assertTrue(text.contains(CA.certificate().lines().skip(1).findFirst().orElseThrow()), "the CA certificate is public");
        assertEquals(null, UserData.file(text, UserData.CA_KEY_PATH), "no CA key file in the user data");
        String config = UserData.agentConfig(text);
        assertTrue(config.contains("password: '__SUPERUSER_PASSWORD__'"), config);
        String install = UserData.file(text, "/usr/local/sbin/baton-install");
        assertTrue(install.contains("aws s3 cp --only-show-errors --region eu-west-1 "
                + "'s3://baton-demo-0123abcd/demo/package/baton_0.1.0_all.deb' '/var/tmp/baton_0.1.0_all.deb.download'\n"
                + "echo '" + SHA + "  /var/tmp/baton_0.1.0_all.deb.download' | sha256sum -c -\n"), install);
        assertTrue(install.indexOf("sha256sum -c -") < install.indexOf("apt-get install -y '/var/tmp/baton_0.1.0_all.deb'"),
                "checked before it is installed");
        for (String p : List.of("superuser-password", "replication-password", "restapi-password", "ca-key")) {
            assertTrue(install.contains("param /baton/demo/" + p), p);
        }
        assertFalse(install.contains("curl -fsSL"), "no download from the internet");
        assertTrue(render(false).contains("install -m 0644 '/var/tmp/baton_0.1.0_all.jar' /usr/local/lib/baton/baton.jar"));
    }

    @Test
    void theFirstBootScriptIsValidBash() throws Exception {
        for (boolean deb : List.of(true, false)) {
            Path script = tmp.resolve("install-" + deb);
            Files.writeString(script, UserData.file(render(deb), "/usr/local/sbin/baton-install"));
            Process p = new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes()));
        }
    }

    /** The secrets part of the first boot, run here with /etc/baton moved to a temporary folder. */
    @Test
    void theSecretsFetchFillsTheConfigurationAndTheCaKey() throws Exception {
        String text = render(true);
        Path etc = tmp.resolve("etc-baton");
        Files.createDirectories(etc.resolve("tls"));
        Files.writeString(etc.resolve("baton.yml"), UserData.agentConfig(text));
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path values = Files.createDirectories(tmp.resolve("values"));
        Files.writeString(values.resolve("superuser-password"), PASSWORDS.superuser());
        Files.writeString(values.resolve("replication-password"), PASSWORDS.replication());
        Files.writeString(values.resolve("restapi-password"), PASSWORDS.restapi());
        Files.writeString(values.resolve("ca-key"), CA.key().strip());
        // A stand-in for the AWS CLI: prints the value of --name from the values folder.
        Path aws = bin.resolve("aws");
        Files.writeString(aws, "#!/bin/bash\nwhile [ $# -gt 0 ]; do if [ \"$1\" = --name ]; then n=$2; fi; shift; done\n"
                + "cat '" + values + "'/\"$(basename \"$n\")\"; echo\n");
        Files.setPosixFilePermissions(aws, PosixFilePermissions.fromString("rwxr-xr-x"));
        String install = UserData.file(text, "/usr/local/sbin/baton-install");
        int from = install.indexOf("param() {");
        int to = install.indexOf("unset SUPERUSER_PASSWORD");
        String part = "set -euo pipefail\n" + install.substring(from, to).replace("/etc/baton", etc.toString());
        Path script = tmp.resolve("secrets.sh");
        Files.writeString(script, part);
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out + "\n" + part);
        JsonNode config = new YAMLMapper().readTree(etc.resolve("baton.yml").toFile());
        assertEquals(PASSWORDS.superuser(), config.at("/postgresql/authentication/superuser/password").asText());
        assertEquals(PASSWORDS.replication(), config.at("/postgresql/authentication/replication/password").asText());
        assertEquals(PASSWORDS.restapi(), config.at("/restapi/authentication/password").asText());
        assertEquals(CA.key().strip(), Files.readString(etc.resolve("tls/ca.key")).strip());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(etc.resolve("tls/ca.key"))));
    }
}
