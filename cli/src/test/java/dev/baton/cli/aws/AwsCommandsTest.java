package dev.baton.cli.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.aws.emulator.AwsEmulator;
import dev.baton.aws.emulator.Sandbox;
import dev.baton.aws.provision.MemberRoles;
import dev.baton.aws.provision.Pacing;
import dev.baton.aws.provision.UserData;
import dev.baton.cli.Baton;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * {@code baton aws create-cluster / list / describe / delete-cluster} run in-process against the
 * AWS emulator (on virtual time): what they print, their exit codes, and what they ask AWS to do.
 */
class AwsCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AwsEmulator emu;
    private String subnetA;
    private String subnetB;
    private Map<String, String> env = Map.of();
    private AwsCredentialsProvider credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));
    private final Map<String, String> roles = new LinkedHashMap<>();

    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        Sandbox sandbox = Sandbox.start();
        emu = sandbox.emu();
        subnetA = sandbox.subnetA();
        subnetB = sandbox.subnetB();
    }

    @AfterEach
    void tearDown() {
        emu.close();
    }

    private AwsEnvironment environment() {
        MemberRoles fake = ips -> {
            Map<String, String> m = new LinkedHashMap<>();
            ips.forEach(ip -> m.put(ip, roles.getOrDefault(ip, MemberRoles.UNREACHABLE)));
            return m;
        };
        int[] n = {0};
        return new AwsEnvironment(env, () -> null, () -> credentials,
                Pacing.polling(Duration.ofMillis(10), Duration.ofSeconds(20)), fake,
                () -> "Generated" + (++n[0]) + "Password0123456789", emu::advance);
    }

    private Result run(String stdin, boolean interactive, boolean target, String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        CommandLine cl = Baton.commandLine(new PrintWriter(o, true), new PrintWriter(e, true),
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), interactive);
        AwsEnvironment environment = environment();
        for (CommandLine sub : cl.getSubcommands().get("aws").getSubcommands().values()) {
            Object mixin = sub.getCommandSpec().mixins().get("aws").userObject();
            ((AwsOptions) mixin).environment = environment;
        }
        List<String> all = new ArrayList<>(List.of("aws"));
        all.addAll(List.of(args));
        if (target) {
            all.addAll(List.of("--region", "us-east-1", "--endpoint-url", emu.endpoint().toString()));
        }
        int code = cl.execute(all.toArray(String[]::new));
        return new Result(code, o.toString(), e.toString());
    }

    private Result aws(String... args) {
        return run("", false, true, args);
    }

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path tmp;

    /** A stand-in for this build's .deb (create-cluster uploads it; nothing installs it here). */
    private String deb() {
        java.nio.file.Path p = tmp.resolve("baton_0.1.0_all.deb");
        try {
            if (!java.nio.file.Files.exists(p)) {
                java.nio.file.Files.writeString(p, "!<arch>\ndebian-binary   stand-in\n");
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return p.toString();
    }

    private String[] create(String... extra) {
        List<String> a = new ArrayList<>(List.of("create-cluster", "demo", "--instances", "3", "--instance-type",
                "t3.medium", "--ami", "ami-0123456789abcdef0", "--subnets", subnetA + "," + subnetB,
                "--etcd", "10.0.9.1:2379,10.0.9.2:2379"));
        if (!List.of(extra).contains("--baton-url")) {
            a.addAll(List.of("--package", deb()));
        }
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    private List<AwsEmulator.Call> mutating() {
        return emu.calls().stream().filter(AwsEmulator.Call::mutating).toList();
    }

    @Test
    void createDescribeListAndDelete() throws Exception {
        Result c = aws(create("--key-name", "ops"));
        assertEquals(0, c.code(), c.toString());
        assertTrue(c.out().contains("[3/10] security group baton-demo: created sg-"), c.out());
        assertTrue(c.out().contains("[10/10] load balancer active: baton-demo-"), c.out());
        assertTrue(c.out().contains("Connect to PostgreSQL at baton-demo-"), c.out());
        assertFalse(c.out().contains("Generated1Password"), "no password is printed");
        assertFalse(c.err().contains("Generated1Password"), "no password is printed");
        for (String secret : List.of("Generated2Password", "Generated3Password", "PRIVATE KEY")) {
            assertFalse(c.out().contains(secret) || c.err().contains(secret), "no secret is printed: " + secret);
        }
        assertTrue(c.out().contains("TLS and authentication are on"), c.out());

        List<AwsEmulator.Call> runs = emu.calls("RunInstances");
        assertEquals(List.of(subnetA, subnetB, subnetA), runs.stream().map(x -> x.params().get("SubnetId")).toList());
        String config = UserData.agentConfig(UserData.decode(runs.get(1).params().get("UserData")));
        assertTrue(config.contains("name: demo-2\n"), config);
        for (AwsEmulator.Call run : runs) {
            String text = UserData.decode(run.params().get("UserData"));
            for (String secret : List.of("Generated1Password", "Generated2Password", "Generated3Password", "PRIVATE KEY")) {
                assertFalse(text.contains(secret), "no secret in the user data: " + secret);
            }
        }
        assertTrue(config.contains("password: '__SUPERUSER_PASSWORD__'"), config);
        assertTrue(config.contains("password: '__RESTAPI_PASSWORD__'"), "the REST API's password: " + config);
        assertEquals("SecureString", emu.parameter("/baton/demo/superuser-password").type());
        assertEquals("Generated1Password0123456789", emu.parameter("/baton/demo/superuser-password").value());
        assertEquals("Generated3Password0123456789", emu.parameter("/baton/demo/restapi-password").value());
        assertTrue(config.contains("verify_client: optional"), config);
        assertTrue(config.contains("target_group_arn: " + emu.targetGroupArn("baton-demo")), config);
        String bucket = emu.bucketNames().get(0);
        assertTrue(config.contains("backup:\n  repository:\n    type: s3\n    bucket: " + bucket + "\n    region: us-east-1\n"
                + "    path: /demo\n  schedule:\n    full: \"0 3 * * 0\"\n    diff: \"0 3 * * 1-6\"\n"), config);
        assertEquals("baton-demo", runs.get(0).params().get("IamInstanceProfile.Name"));
        assertTrue(c.out().contains("[1/10] backup bucket " + bucket + ": created"), c.out());
        assertTrue(c.out().contains("Backups: WAL archived continuously"), c.out());
        String tg = emu.targetGroupArn("baton-demo");
        assertEquals(3, emu.registeredTargets(tg).size());

        List<AwsEmulator.InstanceInfo> inst = emu.instances();
        roles.put(inst.get(0).privateIp(), "primary");
        roles.put(inst.get(1).privateIp(), "replica");
        emu.setTargetHealth(tg, inst.get(0).id(), "healthy");
        emu.setTargetHealth(tg, inst.get(1).id(), "unhealthy");
        Result d = aws("describe", "demo");
        assertEquals(0, d.code(), d.toString());
        assertTrue(d.out().contains("Load balancer:  baton-demo-"), d.out());
        assertTrue(d.out().matches("(?s).*\\| demo-1 +\\| " + inst.get(0).id() + " \\| us-east-1a \\| 10\\.0\\.1\\.4 +\\| "
                + "running \\| primary +\\| healthy .*"), d.out());
        assertTrue(d.out().contains("| replica "), d.out());
        assertTrue(d.out().contains("| unreachable |"), d.out());
        assertTrue(d.out().contains("unhealthy (Target.FailedHealthChecks)"), d.out());
        JsonNode dj = JSON.readTree(aws("describe", "demo", "--format", "json").out());
        assertEquals("primary", dj.path("members").get(0).path("role").asText());
        assertEquals("healthy", dj.path("members").get(0).path("target_health").asText());
        assertEquals(tg, dj.path("target_group_arn").asText());

        Result l = aws("list");
        assertEquals(0, l.code(), l.toString());
        assertTrue(l.out().matches("(?s).*\\| demo +\\| 3 +\\| 3 +\\| baton-demo-.*:5432 \\| active \\|.*"), l.out());
        assertEquals("demo", JSON.readTree(aws("list", "-f", "json").out()).get(0).path("cluster").asText());

        emu.clearCalls();
        Result del = aws("delete-cluster", "demo", "--yes");
        assertEquals(0, del.code(), del.toString());
        assertTrue(del.out().contains("Deleted cluster demo: 15 resources."), del.out());
        assertEquals(List.of(), emu.leftovers(), "nothing left: no bucket, role, profile or parameter either");
        List<String> order = mutating().stream().map(AwsEmulator.Call::action).distinct().toList();
        assertEquals(List.of("DeleteListener", "DeleteLoadBalancer", "DeleteTargetGroup", "TerminateInstances",
                "DeleteSecurityGroup", "RemoveRoleFromInstanceProfile", "DeleteInstanceProfile", "DeleteRolePolicy",
                "DeleteRole", "DeleteParameters", "DeleteObjects", "DeleteBucket"), order);

        emu.clearCalls();
        Result again = aws("delete-cluster", "demo", "--yes");
        assertEquals(0, again.code(), again.toString());
        assertTrue(again.out().contains("nothing to delete"), again.out());
        assertEquals(List.of(), mutating());
        assertEquals(1, aws("describe", "demo").code());
        assertTrue(aws("list").out().contains("No Baton clusters in us-east-1."));
    }

    @Test
    void aSecondRunCreatesNothing() {
        assertEquals(0, aws(create()).code());
        emu.clearCalls();
        Result again = aws(create());
        assertEquals(0, again.code(), again.toString());
        assertTrue(again.out().contains("Nothing to create: everything existed."), again.out());
        assertTrue(again.out().contains("[7/10] instances: demo-1 exists i-"), again.out());
        assertEquals(List.of(), mutating());
    }

    @Test
    void aFailureMidwayListsWhatExistsAndARerunCompletes() {
        emu.failNext("CreateLoadBalancer", 1, 400, "TooManyLoadBalancers", "quota of load balancers reached");
        Result failed = aws(create());
        assertEquals(1, failed.code(), failed.toString());
        String sg = emu.liveResources().stream().filter(r -> r.startsWith("security-group ")).findFirst().orElseThrow()
                .substring("security-group ".length());
        String tg = emu.targetGroupArn("baton-demo");
        assertTrue(failed.out().contains("Exists now (tagged baton:cluster=demo)"), failed.out());
        assertTrue(failed.out().contains(sg), failed.out());
        assertTrue(failed.out().contains(tg), failed.out());
        assertTrue(failed.out().contains(" Not created "), failed.out());
        assertTrue(failed.out().matches("(?s).*Not created.*\\| load-balancer +\\| baton-demo .*"), failed.out());
        assertTrue(failed.out().matches("(?s).*Not created.*\\| instance +\\| demo-3 .*"), failed.out());
        assertTrue(failed.err().contains("create-cluster demo failed at step \"load balancer\": TooManyLoadBalancers: "
                + "quota of load balancers reached"), failed.err());
        assertTrue(failed.err().contains("run the same command again to resume"), failed.err());
        assertEquals(List.of(), emu.calls("RunInstances"));

        Result resumed = aws(create());
        assertEquals(0, resumed.code(), resumed.toString());
        assertTrue(resumed.out().contains("[3/10] security group baton-demo: exists " + sg), resumed.out());
        assertTrue(resumed.out().contains("[5/10] load balancer baton-demo: created"), resumed.out());
        assertEquals(1, emu.calls("CreateSecurityGroup").size());
        assertEquals(3, emu.registeredTargets(tg).size());
    }

    @Test
    void badInputIsExit2AndCreatesNothing() {
        String[][] cases = {
                {"give exactly one of --etcd", "create-cluster", "demo", "--instance-type", "t3.medium", "--ami",
                        "ami-0123456789abcdef0", "--subnets", "subnet-0123456789abcdef0"},
                {"give only one of them", "create-cluster", "demo", "--instance-type", "t3.medium", "--ami",
                        "ami-0123456789abcdef0", "--subnets", "subnet-0123456789abcdef0", "--etcd", "e:2379",
                        "--colocate-etcd"},
                {"--ami: must be an image id", "create-cluster", "demo", "--instance-type", "t3.medium", "--ami",
                        "ubuntu-24.04", "--subnets", "subnet-0123456789abcdef0", "--etcd", "e:2379"},
                {"--instances: must be between 1 and 15, got 0", "create-cluster", "demo", "--instances", "0",
                        "--instance-type", "t3.medium", "--ami", "ami-0123456789abcdef0", "--subnets",
                        "subnet-0123456789abcdef0", "--etcd", "e:2379"},
                {"NAME: must be 1 to 26", "create-cluster", "Demo_1", "--instance-type", "t3.medium", "--ami",
                        "ami-0123456789abcdef0", "--subnets", "subnet-0123456789abcdef0", "--etcd", "e:2379"},
                {"Missing required option: '--instance-type=TYPE'", "create-cluster", "demo", "--ami",
                        "ami-0123456789abcdef0", "--subnets", "subnet-0123456789abcdef0", "--etcd", "e:2379"},
                {"--format: must be text, json", "create-cluster", "demo", "--instance-type", "t3.medium", "--ami",
                        "ami-0123456789abcdef0", "--subnets", "subnet-0123456789abcdef0", "--etcd", "e:2379",
                        "--format", "xml"},
                {"--subnets: ", "create-cluster", "demo", "--instance-type", "t3.medium", "--ami",
                        "ami-0123456789abcdef0", "--subnets", subnetA + ",subnet-00000000deadbeef0", "--etcd", "e:2379",
                        "--package", deb()},
                {"--endpoint-url: must be an http:// or https:// URL", "list", "--endpoint-url", "127.0.0.1:9"},
                {"NAME: not a cluster name", "describe", "No_Such"},
        };
        for (String[] c : cases) {
            String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            boolean ownEndpoint = List.of(args).contains("--endpoint-url");
            Result r = ownEndpoint ? run("", false, false, concat(args, "--region", "us-east-1")) : aws(args);
            assertEquals(2, r.code(), String.join(" ", args) + "\n" + r);
            assertTrue(r.err().contains(c[0]), "expected '" + c[0] + "' in:\n" + r);
        }
        assertEquals(List.of(), mutating());
        assertEquals(List.of("DescribeSubnets"), emu.calls().stream().map(AwsEmulator.Call::action).toList(),
                "only the unknown subnet needed a look at AWS");
    }

    private static String[] concat(String[] a, String... b) {
        List<String> all = new ArrayList<>(List.of(a));
        all.addAll(List.of(b));
        return all.toArray(String[]::new);
    }

    @Test
    void regionAndEndpointComeFromTheEnvironment() {
        Result none = run("", false, false, "list");
        assertEquals(2, none.code(), none.toString());
        assertTrue(none.err().contains("no AWS region: pass --region or set AWS_REGION"), none.err());
        env = Map.of("AWS_REGION", "us-east-1", "AWS_ENDPOINT_URL", emu.endpoint().toString());
        Result viaEnv = run("", false, false, concat(create()));
        assertEquals(0, viaEnv.code(), viaEnv.toString());
        assertEquals(3, emu.calls("RunInstances").size(), "AWS_ENDPOINT_URL reached the emulator");
    }

    @Test
    void withoutCredentialsNothingIsCreated() {
        credentials = () -> {
            throw software.amazon.awssdk.core.exception.SdkClientException.create(
                    "Unable to load credentials from any of the providers in the chain");
        };
        Result r = aws(create());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("no AWS credentials: set AWS_PROFILE"), r.err());
        assertEquals(List.of(), emu.calls());
    }

    @Test
    void deleteAsksForTheNameUnlessYes() {
        assertEquals(0, aws(create()).code());
        emu.clearCalls();
        Result noTerminal = aws("delete-cluster", "demo");
        assertEquals(2, noTerminal.code(), noTerminal.toString());
        assertTrue(noTerminal.err().contains("pass --yes"), noTerminal.err());
        assertEquals(List.of(), emu.calls(), "refused before asking AWS anything");

        Result wrong = run("dmeo\n", true, true, "delete-cluster", "demo");
        assertEquals(1, wrong.code(), wrong.toString());
        assertTrue(wrong.out().contains("To delete: cluster demo"), wrong.out());
        assertTrue(wrong.out().contains("Type the cluster name to delete it: "), wrong.out());
        assertTrue(wrong.err().contains("nothing was deleted"), wrong.err());
        assertEquals(List.of(), mutating());

        Result right = run("demo\n", true, true, "delete-cluster", "demo");
        assertEquals(0, right.code(), right.toString());
        assertEquals(List.of(), emu.liveResources());
    }

    @Test
    void jsonOutputAndDryRun() throws Exception {
        emu.clearCalls();
        Result dry = aws(create("--dry-run"));
        assertEquals(0, dry.code(), dry.toString());
        assertTrue(dry.out().contains("not created"), dry.out());
        assertTrue(dry.out().contains("nothing was changed (--dry-run)"), dry.out());
        assertEquals(List.of(), mutating());

        Result c = aws(create("--format", "json"));
        assertEquals(0, c.code(), c.toString());
        JsonNode n = JSON.readTree(c.out());
        assertTrue(n.path("ok").asBoolean());
        assertEquals("demo", n.path("cluster").asText());
        assertTrue(n.path("endpoint").asText().endsWith(":5432"));
        // with the bucket, the package, the role and its profile, and the five parameters
        assertEquals(19, n.path("resources").size(), n.toString());
        assertTrue(c.err().contains("[3/10] security group"), "progress goes to stderr: " + c.err());

        emu.failNext("RunInstances", 1, 400, "InstanceLimitExceeded", "too many instances");
        emu.terminateInstanceNow(emu.instances().get(0).id());
        Result failed = aws(create("--format", "json"));
        assertEquals(1, failed.code(), failed.toString());
        JsonNode f = JSON.readTree(failed.out());
        assertFalse(f.path("ok").asBoolean());
        assertEquals("instances", f.path("failed_step").asText());

        Result dryAgain = aws(create("--dry-run", "-f", "json"));
        JsonNode d = JSON.readTree(dryAgain.out());
        assertTrue(d.path("dry_run").asBoolean());
    }

    @Test
    void withoutAmiTheCurrentDebianImageAndNoSecretInAnyUserData() {
        Result c = aws("create-cluster", "demo", "--instances", "3", "--instance-type", "t3.medium", "--subnets",
                subnetA + "," + subnetB, "--etcd", "10.0.9.1:2379", "--package", deb());
        assertEquals(0, c.code(), c.toString());
        assertTrue(c.out().contains("SecureString parameters under /baton/demo/"), c.out());
        for (AwsEmulator.InstanceInfo i : emu.instances()) {
            assertEquals(AwsEmulator.DEBIAN_AMI, i.imageId());
            assertTrue(i.iamInstanceProfile().endsWith(":instance-profile/baton-demo"), i.iamInstanceProfile());
            String text = UserData.decode(i.userData());
            for (int n = 1; n <= 3; n++) {
                assertFalse(text.contains("Generated" + n + "Password"), text);
            }
            assertFalse(text.contains("PRIVATE KEY"));
        }
        String bucket = emu.bucketNames().get(0);
        assertEquals(List.of("demo/package/baton_0.1.0_all.deb"), emu.objectKeys(bucket));
        assertTrue(emu.bucket(bucket).publicAccessBlock().contains("<RestrictPublicBuckets>true</RestrictPublicBuckets>"));
        assertEquals(2, aws("create-cluster", "demo", "--instance-type", "t3.medium", "--subnets", subnetA, "--etcd",
                "10.0.9.1:2379", "--package", deb(), "--baton-url", "https://example.com/b.jar").code(),
                "--package and --baton-url");
        Result missing = aws("create-cluster", "demo", "--instance-type", "t3.medium", "--subnets", subnetA, "--etcd",
                "10.0.9.1:2379", "--package", tmp.resolve("nope.deb").toString());
        assertEquals(2, missing.code(), missing.toString());
        assertTrue(missing.err().contains("--package: "), missing.err());

        assertEquals(0, aws("delete-cluster", "demo", "--yes").code());
        assertEquals(List.of(), emu.leftovers());
    }

    @Test
    void helpListsTheSubcommands() {
        Result h = run("", false, false, "--help");
        assertEquals(0, h.code(), h.toString());
        for (String s : List.of("create-cluster", "list", "describe", "delete-cluster")) {
            assertTrue(h.out().contains(s), h.out());
        }
    }

    @Test
    void noBackupMakesNoBackupPolicyAndNoBackupSection() {
        Result c = aws(create("--no-backup"));
        assertEquals(0, c.code(), c.toString());
        assertEquals(1, emu.bucketNames().size(), "the bucket holds the package");
        assertEquals(List.of("baton-demo"), emu.roleNames());
        assertEquals(null, emu.rolePolicy("baton-demo", "baton-backup"));
        assertTrue(emu.rolePolicy("baton-demo", "baton-package").contains("/demo/package/*"));
        String config = UserData.agentConfig(UserData.decode(emu.calls("RunInstances").get(0).params().get("UserData")));
        assertFalse(config.contains("backup:"), config);
        assertTrue(c.out().contains("Backups: off (--no-backup)."), c.out());
        assertEquals(2, aws(create("--no-backup", "--backup-bucket", "mine", "--baton-url", "https://example.com/b.jar"))
                .code(), "--bucket with neither backups nor a package");

        Result url = aws("create-cluster", "other", "--instances", "1", "--instance-type", "t3.medium", "--ami",
                "ami-0123456789abcdef0", "--subnets", subnetA, "--etcd", "10.0.9.1:2379", "--no-backup",
                "--baton-url", "https://example.com/b.jar");
        assertEquals(0, url.code(), url.toString());
        assertTrue(url.out().contains("[1/10] backup: off (--no-backup)"), url.out());
        assertEquals(1, emu.bucketNames().size(), "no bucket for a cluster with neither backups nor a package");
    }

    @Test
    void aGivenBucketIsUsedAsItIsAndMustExist() {
        Result missing = aws(create("--backup-bucket", "ops-backups"));
        assertEquals(1, missing.code(), missing.toString());
        assertTrue(missing.err().contains("does not exist"), missing.err());
        assertTrue(emu.instances().isEmpty(), "nothing is launched without the bucket");

        emu.addBucket("ops-backups");
        emu.clearCalls();
        Result c = aws(create("--backup-bucket", "ops-backups"));
        assertEquals(0, c.code(), c.toString());
        assertEquals(List.of("ops-backups"), emu.bucketNames());
        assertEquals(null, emu.bucket("ops-backups").encryption(), "Baton does not change a bucket it did not make");
        assertEquals(List.of("PutObject"), emu.calls().stream().filter(x -> x.service().equals("s3") && x.mutating())
                .map(AwsEmulator.Call::action).toList(), "no S3 change but the package upload");
        assertEquals(List.of("demo/package/baton_0.1.0_all.deb"), emu.objectKeys("ops-backups"));
        assertTrue(c.out().contains("Block Public Access off, no default encryption"), c.out());
        assertTrue(emu.rolePolicy("baton-demo", "baton-backup").contains("arn:aws:s3:::ops-backups/demo/*"));
        String config = UserData.agentConfig(UserData.decode(emu.calls("RunInstances").get(0).params().get("UserData")));
        assertTrue(config.contains("    bucket: ops-backups\n"), config);

        emu.putObject("ops-backups", "demo/archive/demo/x", "wal");
        emu.putObject("ops-backups", "other/archive/other/y", "someone else's");
        Result del = aws("delete-cluster", "demo", "--yes", "--delete-backups", "--backup-bucket", "ops-backups");
        assertEquals(0, del.code(), del.toString());
        assertEquals(List.of("other/archive/other/y"), emu.objectKeys("ops-backups"), "only the cluster's prefix");
        assertEquals(List.of("ops-backups"), emu.bucketNames(), "never the operator's bucket");
    }

    @Test
    void withoutDeleteBackupsOnlyThePackageLeavesAGivenBucket() {
        emu.addBucket("ops-backups");
        assertEquals(0, aws(create("--bucket", "ops-backups")).code());
        emu.putObject("ops-backups", "demo/archive/demo/x", "wal");
        Result del = aws("delete-cluster", "demo", "--yes", "--bucket", "ops-backups");
        assertEquals(0, del.code(), del.toString());
        assertEquals(List.of("demo/archive/demo/x"), emu.objectKeys("ops-backups"), "the backups stay");
        assertTrue(del.err().contains("the backups in s3://ops-backups/demo/ are kept"), del.err());
        assertEquals(List.of("bucket ops-backups"), emu.leftovers());
    }

    @Test
    void keepBucketKeepsBatonsBucketAndTheDefaultDeletesIt() {
        assertEquals(0, aws(create()).code());
        String bucket = emu.bucketNames().get(0);
        assertTrue(emu.bucket(bucket).publicAccessBlock().contains("<BlockPublicPolicy>true</BlockPublicPolicy>"));
        assertTrue(emu.bucket(bucket).encryption().contains("<SSEAlgorithm>AES256</SSEAlgorithm>"));
        assertEquals("demo", emu.bucket(bucket).tags().get("baton:cluster"));
        for (int i = 0; i < 3; i++) {
            emu.putObject(bucket, "demo/backup/demo/file" + i, "x");
        }
        Result del = aws("delete-cluster", "demo", "--yes", "--keep-bucket");
        assertEquals(0, del.code(), del.toString());
        assertEquals(List.of(bucket), emu.bucketNames());
        assertTrue(del.err().contains("bucket " + bucket + " is kept (--keep-bucket)"), del.err());
        assertEquals(List.of("bucket " + bucket), emu.leftovers());
        assertEquals(2, aws("delete-cluster", "demo", "--yes", "--keep-bucket", "--delete-backups").code());

        Result again = aws("delete-cluster", "demo", "--yes");
        assertEquals(0, again.code(), again.toString());
        assertEquals(List.of(), emu.bucketNames());
        assertTrue(again.out().contains("4 objects deleted; bucket deleted"), again.out());
        assertEquals(List.of(), emu.leftovers());
    }
}
