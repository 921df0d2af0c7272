package dev.baton.cli.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.baton.aws.emulator.AwsEmulator;
import dev.baton.aws.provision.ClusterSpec;
import dev.baton.aws.provision.Pacing;
import dev.baton.aws.provision.UserData;
import dev.baton.cli.Baton;
import dev.baton.cli.local.LocalEtcd;
import dev.baton.cli.local.Ports;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * Issue 20 part 7, "a first boot that has run": {@code baton aws create-cluster} makes a three
 * instance cluster in the AWS emulator (with this build's .deb, {@code cli/target/baton_*_all.deb},
 * as its package), and each instance's user data, as DescribeInstanceAttribute would give it, is
 * booted on this machine: its {@code write_files} written and its {@code runcmd}, the first-boot
 * script /usr/local/sbin/baton-install, run UNCHANGED. The script reads the instance's address
 * from the emulator's metadata service, fetches the package from the emulator's S3 and checks its
 * SHA-256, reads the secrets from the emulator's SSM with the instance role's credentials, makes
 * the node certificate and starts the agent. The three agents form a cluster in an etcd this test
 * starts (create-cluster --etcd), and the emulator's target group, probed over HTTPS as the load
 * balancer does, follows the primary, also after the primary instance is killed.
 *
 * <p>What this machine cannot provide is replaced, and only that (docs/aws.md, "The first boot,
 * tested"):
 * <ul>
 * <li>cloud-init: this test writes the write_files and runs the runcmd;
 * <li>the instance: each runs as root of its own user namespace (the real user is the unprivileged
 *     one the ITs run as) with a private mount namespace: copy-on-write overlays over /etc and the
 *     /usr folders the boot writes into, empty folders over /var/lib/postgresql and
 *     /run/postgresql (instance.sh). In that /etc, postgres is uid 0 of the namespace (the real
 *     user), so the script's chown and install -o postgres work, and the real user's own entry is
 *     named postgres too (peer authentication of the agent's local connections);
 * <li>the network: the VPC is 127.0.0.0/16, so the instances' addresses are loopback addresses of
 *     this machine, and, all sharing one network namespace, each instance's baton.yml gets its own
 *     PostgreSQL and REST API ports in place of 5432 and 8008 (the only change to the user data);
 * <li>169.254.169.254 and AWS's endpoints: the script and the agent are pointed at the emulator
 *     with the SDK's and aws CLI's standard variables AWS_EC2_METADATA_SERVICE_ENDPOINT and
 *     AWS_ENDPOINT_URL;
 * <li>apt-get, apt-cache, systemctl and aws: stand-ins first on PATH (resources
 *     dev/baton/cli/aws/firstboot/), which log every call to stand-ins.log: packages by name must be
 *     on this machine, the .deb is unpacked with dpkg-deb -x, systemctl runs the unit's ExecStart=
 *     in a nested user namespace as the real user (PostgreSQL refuses root), aws is the SDK
 *     ({@link FirstBootAws}) because this machine's aws CLI is not the unprivileged user's.
 * </ul>
 */
class FirstBootIT {
    private static final Duration LONG = Duration.ofMinutes(6);
    private static final List<String> STAND_INS = List.of("instance.sh", "apt-get", "apt-cache", "systemctl", "run-unit",
            "aws");
    /** The folders instance.sh lays a copy-on-write overlay over; write_files go into their upper layer. */
    private static final List<String> OVERLAYS = List.of("/etc", "/usr/bin", "/usr/sbin", "/usr/share",
            "/usr/lib/systemd/system", "/usr/local/bin", "/usr/local/sbin", "/usr/local/lib");

    /** One booted instance: its folder, ports and address. */
    private record Instance(String id, String ip, Path root, int pgPort, int restPort) {
        URI rest() {
            return URI.create("https://" + ip + ":" + restPort);
        }
    }

    @Test
    void threeInstancesBootFromTheirUserDataAndTheLoadBalancerFollowsThePrimary() throws Exception {
        Path deb = deb();
        Path work = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "firstboot-");
        List<Instance> instances = new ArrayList<>();
        boolean passed = false;
        try (LocalEtcd etcd = new LocalEtcd(work.resolve("etcd")); AwsEmulator emu = AwsEmulator.start()) {
            etcd.start();
            emu.setDefaultVpcCidr("127.0.0.0/16");
            String subnet = emu.addSubnet("us-east-1a", "127.0.1.0/24");
            emu.setTransitionTimes(Duration.ofMillis(300));
            emu.setDeregistrationDelay(Duration.ofSeconds(2));
            String out = createCluster(emu, subnet, "127.0.0.1:" + etcd.clientPort(), deb);
            String arn = emu.targetGroupArn("baton-demo");
            assertTrue(arn != null, "create-cluster made the target group baton-demo:\n" + out);

            // Boot them one after the other: the instances share this machine's /var/tmp, where the script
            // downloads the package.
            for (AwsEmulator.InstanceInfo info : emu.instances()) {
                if (!info.state().equals("running")) {
                    continue;
                }
                Instance i = new Instance(info.id(), info.privateIp(), work.resolve(info.id()), Ports.free(), Ports.free());
                instances.add(i);
                Process boot = boot(i, UserData.decode(info.userData()), emu);
                assertTrue(boot.waitFor(LONG.toSeconds(), TimeUnit.SECONDS), i.id() + "'s first boot ended");
                assertEquals(0, boot.exitValue(), () -> i.id() + "'s first boot failed:\n" + tail(i.root().resolve(
                        "first-boot.log"), 60) + "\n--- stand-ins\n" + tail(i.root().resolve("stand-ins.log"), 40));
            }
            assertEquals(3, instances.size(), "three running instances: " + emu.instances());

            // What the boot took from where.
            String superuser = emu.parameter("/baton/demo/" + "superuser-password").value();
            for (Instance i : instances) {
                String yml = Files.readString(upper(i.root(), "/etc/baton/baton.yml"));
                assertFalse(yml.contains("__"), i.id() + ": every token of baton.yml is filled in:\n" + yml);
                assertTrue(yml.contains("connect_address: " + i.ip() + ":" + i.pgPort()), i.id() + ": its address from IMDS");
                assertTrue(yml.contains("password: '" + superuser.replace("'", "''") + "'"), i.id() + ": the SSM password");
                assertTrue(Files.exists(upper(i.root(), "/etc/baton/tls/node.crt")), i.id() + ": its node certificate");
                assertFalse(Files.exists(upper(i.root(), "/etc/baton/tls/ca.key")), i.id() + ": the CA's key is gone");
                assertTrue(Files.exists(upper(i.root(), "/usr/share/baton/baton.jar")), i.id() + ": the jar of the .deb");
                String log = Files.readString(i.root().resolve("first-boot.log"));
                assertTrue(log.contains(".download: OK"), i.id() + ": sha256sum -c passed:\n" + log);
            }
            assertEquals(3, emu.calls("GetObject").size(), "each instance fetched the package once");
            assertTrue(emu.calls("GetParameter").size() >= 3 * 4, "the secrets came from SSM: " + emu.calls("GetParameter"));

            // The load balancer's HTTPS health check, trusting the cluster CA.
            SSLContext tls = trust(emu.parameter("/baton/demo/ca-cert").value());
            Map<String, Instance> byId = new LinkedHashMap<>();
            instances.forEach(i -> byId.put(i.id(), i));
            emu.probeTargetsOverHttp(id -> byId.containsKey(id) ? byId.get(id).rest() : null, Duration.ofSeconds(1), tls);
            HttpClient http = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(2)).build();

            await(instances, "three members: a leader and two replicas that replicate (lag known)",
                    () -> streaming(http, instances) == 2);
            await(instances, "the primary is the only healthy target", () -> healthy(emu, arn, instances).size() == 1);
            String first = healthy(emu, arn, instances).get(0);
            assertEquals("primary", role(http, byId.get(first)), first + " is the primary");

            // The primary instance dies: every process of it, at once.
            int killed = kill(byId.get(first));
            assertTrue(killed > 0, "killed the processes of " + first);
            await(instances, "another instance is the only healthy target", () -> {
                List<String> h = healthy(emu, arn, instances);
                return h.size() == 1 && !h.get(0).equals(first);
            });
            String second = healthy(emu, arn, instances).get(0);
            assertNotEquals(first, second);
            assertEquals("primary", role(http, byId.get(second)), second + " is the new primary");
            passed = true;
        } finally {
            for (Instance i : instances) {
                kill(i);
            }
            cleanUp(work, instances, deb, passed);
        }
    }

    /**
     * Makes the overlays' work folders (mode 000, made by the kernel) removable, deletes the
     * package the script left in this machine's /var/tmp, and, when the test passed, the whole
     * folder (some 800 MB: three data directories and copies of the package).
     */
    private static void cleanUp(Path work, List<Instance> instances, Path deb, boolean passed) throws IOException {
        for (Instance i : instances) {
            Path w = i.root().resolve("overlay-work");
            if (Files.isDirectory(w)) {
                try (Stream<Path> s = Files.list(w)) {
                    for (Path d : s.toList()) {
                        Path inner = d.resolve("work");
                        if (Files.exists(inner, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                            Files.setPosixFilePermissions(inner, PosixFilePermissions.fromString("rwx------"));
                        }
                    }
                }
            }
        }
        Files.deleteIfExists(Path.of("/var/tmp", deb.getFileName().toString()));
        if (passed) {
            try (Stream<Path> s = Files.walk(work)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** This build's .deb: cli/target/baton_*_all.deb, made in the package phase. */
    private static Path deb() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("target"))) {
            return s.filter(p -> p.getFileName().toString().matches("baton_.*_all\\.deb")).findFirst()
                    .map(Path::toAbsolutePath)
                    .orElseThrow(() -> new AssertionError("no target/baton_*_all.deb: the package phase builds it "
                            + "(dpkg-deb is needed)"));
        }
    }

    private static String createCluster(AwsEmulator emu, String subnet, String etcd, Path deb) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        CommandLine cl = Baton.commandLine(new PrintWriter(o, true), new PrintWriter(e, true),
                new ByteArrayInputStream(new byte[0]), false);
        AwsEnvironment environment = new AwsEnvironment(Map.of("AWS_REGION", emu.region()), () -> null,
                () -> StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")),
                Pacing.polling(Duration.ofMillis(100), Duration.ofMinutes(2)), ips -> Map.of(),
                new dev.baton.aws.provision.RandomPasswords(new java.security.SecureRandom()),
                d -> Thread.sleep(d.toMillis()));
        for (CommandLine sub : cl.getSubcommands().get("aws").getSubcommands().values()) {
            ((AwsOptions) sub.getCommandSpec().mixins().get("aws").userObject()).environment = environment;
        }
        int code = cl.execute("aws", "create-cluster", "demo", "--instances", "3", "--instance-type", "t3.medium",
                "--subnets", subnet, "--etcd", etcd, "--package", deb.toString(), "--no-backup",
                "--region", emu.region(), "--endpoint-url", emu.endpoint().toString());
        assertEquals(0, code, () -> "create-cluster:\n" + o + e);
        return o.toString();
    }

    /** cloud-init's part: the write_files (into the instance's overlays), then the runcmd in instance.sh. */
    private static Process boot(Instance i, String userData, AwsEmulator emu) throws IOException {
        Path shims = Files.createDirectories(i.root().resolve("shims"));
        for (String s : STAND_INS) {
            try (InputStream in = FirstBootIT.class.getResourceAsStream("firstboot/" + s)) {
                Files.write(shims.resolve(s), in.readAllBytes());
            }
            Files.setPosixFilePermissions(shims.resolve(s), PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        JsonNode doc = new YAMLMapper().readTree(userData);
        for (JsonNode f : doc.path("write_files")) {
            String path = f.path("path").asText();
            String content = f.path("content").asText();
            if (path.equals("/etc/baton/baton.yml")) {
                // One machine, one network namespace: this instance's own ports.
                content = content.replace(":" + ClusterSpec.PG_PORT + "\n", ":" + i.pgPort() + "\n")
                        .replace(":" + ClusterSpec.RESTAPI_PORT + "\n", ":" + i.restPort() + "\n");
            }
            Path to = upper(i.root(), path);
            Files.createDirectories(to.getParent());
            Files.writeString(to, content);
            String mode = f.path("permissions").asText("0644");
            Files.setPosixFilePermissions(to, PosixFilePermissions.fromString(rwx(Integer.parseInt(mode, 8))));
        }
        // The instance's accounts: postgres is the namespace's root (the real user), and the real user's uid,
        // as the service runs, is named postgres too.
        String uid = String.valueOf(Files.getAttribute(i.root(), "unix:uid"));
        String gid = String.valueOf(Files.getAttribute(i.root(), "unix:gid"));
        accounts(Path.of("/etc/passwd"), upper(i.root(), "/etc/passwd"), uid);
        accounts(Path.of("/etc/group"), upper(i.root(), "/etc/group"), gid);
        List<String> runcmd = new ArrayList<>();
        doc.path("runcmd").forEach(c -> c.forEach(w -> runcmd.add(w.asText())));
        assertEquals(List.of("/usr/local/sbin/baton-install"), runcmd, "the user data's runcmd");

        ProcessBuilder pb = new ProcessBuilder("unshare", "--user", "--map-root-user", "--mount", "--",
                "bash", shims.resolve("instance.sh").toString());
        Map<String, String> env = pb.environment();
        env.put("PATH", shims + ":" + env.getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("FIRSTBOOT_ROOT", i.root().toString());
        env.put("FIRSTBOOT_INSTANCE", i.id());
        env.put("FIRSTBOOT_UID", uid);
        env.put("FIRSTBOOT_GID", gid);
        env.put("FIRSTBOOT_AWS_CP", System.getProperty("java.class.path"));
        env.put("AWS_EC2_METADATA_SERVICE_ENDPOINT", emu.imds(i.id()).toString());
        env.put("AWS_ENDPOINT_URL", emu.endpoint().toString());
        env.keySet().removeIf(k -> k.startsWith("AWS_") && !k.equals("AWS_EC2_METADATA_SERVICE_ENDPOINT")
                && !k.equals("AWS_ENDPOINT_URL"));
        pb.redirectErrorStream(true).redirectOutput(i.root().resolve("first-boot.log").toFile());
        return pb.start();
    }

    /** /etc/passwd or /etc/group with postgres's id 0 and the line of {@code id} named postgres. */
    private static void accounts(Path from, Path to, String id) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(from)) {
            String[] f = line.split(":", -1);
            if (f.length > 3 && f[0].equals("postgres")) {
                f[2] = "0";
                if (f.length > 4 && from.endsWith("passwd")) {
                    f[3] = "0";
                }
            } else if (f.length > 3 && f[2].equals(id)) {
                f[0] = "postgres";
            }
            out.add(String.join(":", f));
        }
        Files.createDirectories(to.getParent());
        Files.write(to, out);
    }

    private static String rwx(int mode) {
        StringBuilder b = new StringBuilder();
        for (int shift = 6; shift >= 0; shift -= 3) {
            int m = mode >> shift;
            b.append((m & 4) != 0 ? 'r' : '-').append((m & 2) != 0 ? 'w' : '-').append((m & 1) != 0 ? 'x' : '-');
        }
        return b.toString();
    }

    /** Where a path of the instance's own is on this machine: in the upper layer of the overlay over it. */
    private static Path upper(Path root, String path) {
        String mount = OVERLAYS.stream().filter(m -> path.startsWith(m + "/"))
                .max((a, b) -> Integer.compare(a.length(), b.length()))
                .orElseThrow(() -> new AssertionError(path + " is in no overlay of the instance"));
        return root.resolve("upper").resolve(mount.replace('/', '_')).resolve(path.substring(mount.length() + 1));
    }

    private static SSLContext trust(String caPem) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII))));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, tmf.getTrustManagers(), null);
        return c;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The replicas streaming as some member's GET /cluster says, or -1. */
    private static int streaming(HttpClient http, List<Instance> instances) {
        for (Instance i : instances) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(i.rest().resolve("/cluster"))
                        .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    continue;
                }
                int n = 0;
                for (JsonNode m : JSON.readTree(r.body()).path("members")) {
                    String state = m.path("state").asText();
                    if (!m.path("role").asText().equals("leader") && m.has("lag")
                            && (state.equals("streaming") || state.equals("running"))) {
                        n++;
                    }
                }
                return n;
            } catch (IOException e) {
                // this one is not up (yet)
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
        return -1;
    }

    /** "primary" when the member's GET /primary answers 200, else what it answered. */
    private static String role(HttpClient http, Instance i) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(i.rest().resolve("/primary"))
                    .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? "primary" : "HTTP " + r.statusCode();
        } catch (IOException e) {
            return "unreachable: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private static List<String> healthy(AwsEmulator emu, String arn, List<Instance> instances) {
        List<String> out = new ArrayList<>();
        for (Instance i : instances) {
            if ("healthy".equals(emu.targetHealth(arn, i.id()))) {
                out.add(i.id());
            }
        }
        return out;
    }

    /**
     * Kills every process of the instance's service at once (SIGKILL): those in the user namespace
     * of the pid the systemctl stand-in wrote. Returns how many.
     */
    private static int kill(Instance i) throws IOException {
        Path pidFile = i.root().resolve("baton.pid");
        if (!Files.exists(pidFile)) {
            return 0;
        }
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        Path ns;
        try {
            ns = Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", "user"));
        } catch (IOException e) {
            return 0;
        }
        int n = 0;
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    if (Files.readSymbolicLink(p.resolve("ns").resolve("user")).equals(ns)) {
                        ProcessHandle.of(Long.parseLong(p.getFileName().toString())).ifPresent(ProcessHandle::destroyForcibly);
                        n++;
                    }
                } catch (IOException e) {
                    // gone, or not ours
                }
            }
        }
        return n;
    }

    private static void await(List<Instance> instances, String what, BooleanSupplier condition) throws Exception {
        long deadline = System.nanoTime() + LONG.toNanos();
        while (System.nanoTime() - deadline < 0) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(500);
        }
        StringBuilder logs = new StringBuilder();
        for (Instance i : instances) {
            logs.append("\n--- ").append(i.id()).append(" baton.log (tail)\n").append(tail(i.root().resolve("baton.log"), 40));
        }
        throw new AssertionError("timed out waiting until " + what + logs);
    }

    private static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(" + file + ": " + e + ")";
        }
    }
}
