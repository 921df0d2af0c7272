package dev.baton.aws.provision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.aws.emulator.AwsEmulator;
import dev.baton.aws.emulator.Sandbox;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.ec2.model.InstanceAttributeName;

/**
 * create-cluster with SSM (as the CLI runs it) against the emulator through the real EC2, ELBv2,
 * S3, IAM and SSM clients: no secret in any user data, the secrets as SecureString parameters,
 * the package in the cluster's private bucket, the cluster's own role on every instance, the
 * Debian image without {@code --ami}; and clean-up that leaves nothing behind.
 */
class SecretsAndPackageProvisioningTest {
    private static final Pacing FAST = Pacing.polling(Duration.ofMillis(10), Duration.ofSeconds(20));

    @TempDir
    Path tmp;
    private AwsEmulator emu;
    private AwsClients aws;
    private String subnetA;
    private String subnetB;
    private Path deb;
    private final AtomicInteger passwords = new AtomicInteger();
    private final List<String> progress = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        Sandbox sandbox = Sandbox.start();
        emu = sandbox.emu();
        subnetA = sandbox.subnetA();
        subnetB = sandbox.subnetB();
        aws = AwsClients.open(new AwsTarget(emu.region(), emu.endpoint(), emu.endpoint()),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")), FAST);
        deb = tmp.resolve("baton_0.1.0_all.deb");
        byte[] content = new byte[70_000];
        new java.util.Random(3).nextBytes(content);
        Files.write(deb, content);
    }

    @AfterEach
    void tearDown() {
        aws.close();
        emu.close();
    }

    private ClusterProvisioner provisioner() {
        return new ClusterProvisioner(aws.ec2(), aws.elbv2(), aws.s3(), aws.iam(), aws.ssm(), emu.region(), FAST,
                () -> "Pw" + passwords.incrementAndGet() + "-secret'quote", n -> UserData.ClusterCa.create(n, Instant.now()),
                progress::add);
    }

    private ClusterSpec.Builder spec(int instances) {
        return ClusterSpec.builder("demo").instances(instances).instanceType("t3.medium")
                .subnets(List.of(subnetA, subnetB)).etcdHosts(List.of("10.0.9.1:2379")).backup(true)
                .packageFile(deb.toString());
    }

    private String userData(String instanceId) {
        return UserData.decode(aws.ec2().describeInstanceAttribute(r -> r.instanceId(instanceId)
                .attribute(InstanceAttributeName.USER_DATA)).userData().value());
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void noSecretInUserDataTheRoleOnEveryInstanceTheDebianImageAndThePackageInThePrivateBucket() throws Exception {
        provisioner().create(spec(3).build());

        List<String> secrets = new ArrayList<>();
        for (String p : List.of(ParameterStore.SUPERUSER, ParameterStore.REPLICATION, ParameterStore.RESTAPI,
                ParameterStore.CA_KEY)) {
            AwsEmulator.ParameterInfo info = emu.parameter("/baton/demo/" + p);
            assertNotNull(info, p);
            assertEquals("SecureString", info.type(), p);
            assertEquals("demo", info.tags().get(Names.CLUSTER_TAG));
            secrets.add(info.value());
        }
        assertEquals("String", emu.parameter("/baton/demo/ca-cert").type(), "the CA certificate is public");
        assertTrue(secrets.get(3).contains("PRIVATE KEY"));

        String bucket = BackupPolicy.bucketName("demo", emu.defaultVpcId());
        String key = "demo/package/baton_0.1.0_all.deb";
        byte[] uploaded = emu.object(bucket, key);
        assertNotNull(uploaded, "the package is in the cluster's bucket");
        assertEquals(sha256(Files.readAllBytes(deb)), sha256(uploaded));
        AwsEmulator.BucketInfo b = emu.bucket(bucket);
        for (String setting : List.of("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")) {
            assertTrue(b.publicAccessBlock().contains("<" + setting + ">true</" + setting + ">"), setting);
        }
        assertTrue(b.encryption().contains("AES256"));

        List<AwsEmulator.InstanceInfo> instances = emu.instances();
        assertEquals(3, instances.size());
        for (AwsEmulator.InstanceInfo i : instances) {
            String text = userData(i.id());
            for (String secret : secrets) {
                for (String line : secret.lines().filter(l -> !l.startsWith("-----")).toList()) {
                    assertFalse(text.contains(line), "a secret is in the user data of " + i.id());
                }
            }
            assertFalse(text.contains("PRIVATE KEY"), text);
            assertTrue(text.contains("--name \"$1\""), text);
            assertTrue(text.contains("/baton/demo/superuser-password"), text);
            assertTrue(text.contains("'s3://" + bucket + "/" + key + "'"), text);
            assertTrue(text.contains(sha256(Files.readAllBytes(deb)) + "  /var/tmp/baton_0.1.0_all.deb.download' | sha256sum -c -"),
                    text);
            assertFalse(text.contains("github.com"), "no public download: " + text);
            assertEquals(AwsEmulator.DEBIAN_AMI, i.imageId(), "the Debian image without --ami");
            assertEquals("arn:aws:iam::123456789012:instance-profile/baton-demo", i.iamInstanceProfile());
        }
        assertEquals(List.of("baton-demo"), emu.instanceProfileRoles("baton-demo"));

        String ssm = URLDecoder.decode(emu.rolePolicy("baton-demo", BackupPolicy.SECRETS_POLICY), StandardCharsets.UTF_8);
        assertTrue(ssm.contains("\"Action\":[\"ssm:GetParameter\",\"ssm:GetParameters\"]"), ssm);
        assertTrue(ssm.contains("\"Resource\":\"arn:aws:ssm:us-east-1:*:parameter/baton/demo/*\""), ssm);
        String pkg = URLDecoder.decode(emu.rolePolicy("baton-demo", BackupPolicy.PACKAGE_POLICY), StandardCharsets.UTF_8);
        assertTrue(pkg.contains("\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::" + bucket + "/demo/package/*\""),
                pkg);
        String routing = URLDecoder.decode(emu.rolePolicy("baton-demo", BackupPolicy.ROUTING_POLICY),
                StandardCharsets.UTF_8);
        assertTrue(routing.contains("\"Resource\":\"arn:aws:elasticloadbalancing:us-east-1:*:targetgroup/baton-demo/*\""),
                routing);
        assertTrue(emu.targetGroupArn("baton-demo").matches("arn:aws:elasticloadbalancing:us-east-1:\\d+:targetgroup/baton-demo/.*"),
                "the pattern matches the group made");
    }

    @Test
    void aSecondRunAddsMembersWithTheStoredSecretsAndUploadsNothingTwice() {
        provisioner().create(spec(1).build());
        String su = emu.parameter("/baton/demo/superuser-password").value();
        int made = passwords.get();
        emu.clearCalls();
        provisioner().create(spec(3).build());
        assertEquals(su, emu.parameter("/baton/demo/superuser-password").value(), "the same secrets");
        assertTrue(emu.calls("PutParameter").isEmpty(), "no parameter is written again");
        assertTrue(emu.calls("PutObject").isEmpty(), "the same package is not uploaded again");
        assertTrue(emu.calls("DescribeInstanceAttribute").size() <= 1);
        assertEquals(3, emu.instances().size());
        assertTrue(passwords.get() - made <= 3, "new passwords, if drawn at all, are not used");
        for (AwsEmulator.InstanceInfo i : emu.instances()) {
            assertFalse(userData(i.id()).contains(su));
        }
    }

    @Test
    void aClusterMadeWithSecretsInUserDataKeepsThemAndTheyMoveToSsm() {
        ClusterProvisioner before = new ClusterProvisioner(aws.ec2(), aws.elbv2(), aws.s3(), aws.iam(), emu.region(),
                FAST, () -> "Old" + passwords.incrementAndGet() + "Password", n -> UserData.ClusterCa.create(n, Instant.now()),
                progress::add);
        before.create(spec(1).ami("ami-0123456789abcdef0").packageFile(null).batonUrl("https://example.com/b.jar").build());
        String old = emu.instances().get(0).userData();
        UserData.Passwords pw = UserData.passwords(old);
        provisioner().create(spec(2).build());
        assertEquals(pw.superuser(), emu.parameter("/baton/demo/superuser-password").value());
        assertEquals(pw.restapi(), emu.parameter("/baton/demo/restapi-password").value());
        assertEquals(UserData.ca(old).key(), emu.parameter("/baton/demo/ca-key").value());
        String added = userData(emu.instances().get(1).id());
        assertFalse(added.contains(pw.superuser()), "the new member's user data has none");
        assertTrue(added.contains("/baton/demo/superuser-password"), added);
    }

    @Test
    void anExplicitImageAndUrlAreUsedAsGiven() {
        provisioner().create(spec(1).ami("ami-0123456789abcdef0").packageFile(null)
                .batonUrl("https://example.com/baton.jar").backup(false).build());
        assertEquals("ami-0123456789abcdef0", emu.instances().get(0).imageId());
        assertEquals(List.of(), emu.bucketNames(), "no bucket with neither backups nor a package");
        String text = userData(emu.instances().get(0).id());
        assertTrue(text.contains("'https://example.com/baton.jar'"), text);
        assertFalse(text.contains("Pw1-secret"), text);
        assertEquals("arn:aws:iam::123456789012:instance-profile/baton-demo", emu.instances().get(0).iamInstanceProfile(),
                "the role reads the secrets even without backups");
    }

    @Test
    void aMissingPackageIsABadSpecBeforeAnythingIsMade() {
        InvalidSpecException e = assertThrows(InvalidSpecException.class,
                () -> provisioner().create(spec(1).packageFile(tmp.resolve("none.deb").toString()).build()));
        assertTrue(e.getMessage().contains("--package: "), e.getMessage());
        assertThrows(InvalidSpecException.class, () -> provisioner().create(spec(1).packageFile(null).build()));
        assertEquals(List.of(), emu.leftovers());
    }

    @Test
    void cleanUpLeavesNothingBehind() {
        provisioner().create(spec(3).build());
        assertFalse(emu.leftovers().isEmpty());
        ProvisionReport report = new ProvisionReport("demo");
        Inventory inv = new ClusterInventory(aws.ec2(), aws.elbv2()).read("demo");
        new ClusterDeleter(aws.ec2(), aws.elbv2(), FAST, progress::add, d -> emu.advance(d)).delete(inv);
        ClusterBackups backups = new ClusterBackups(aws.s3(), aws.iam(), progress::add);
        backups.deleteRole("demo", report);
        assertEquals(5, new ParameterStore(aws.ssm()).deleteAll("demo", report));
        for (String b : backups.buckets("demo")) {
            backups.deleteBackups(b, "demo", true, report);
        }
        assertEquals(List.of(), emu.leftovers());
    }
}
