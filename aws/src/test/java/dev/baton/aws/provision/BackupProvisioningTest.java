package dev.baton.aws.provision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.aws.emulator.AwsEmulator;
import dev.baton.aws.emulator.Sandbox;
import dev.baton.aws.provision.ProvisionReport.Status;
import dev.baton.config.BackupConfig;
import dev.baton.config.ConfigLoader;
import dev.baton.config.LoadResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The backup steps of create-cluster (bucket, instance role) and of delete-cluster, against the
 * AWS emulator through the real S3 and IAM clients: what is made, idempotence, resuming,
 * --backup-bucket, names that are taken.
 */
class BackupProvisioningTest {
    private static final Pacing FAST = Pacing.polling(Duration.ofMillis(10), Duration.ofSeconds(20));

    private AwsEmulator emu;
    private AwsClients aws;
    private String subnetA;
    private String subnetB;
    private final List<String> progress = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        Sandbox sandbox = Sandbox.start();
        emu = sandbox.emu();
        subnetA = sandbox.subnetA();
        subnetB = sandbox.subnetB();
        aws = AwsClients.open(new AwsTarget(emu.region(), emu.endpoint(), emu.endpoint()),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")), FAST);
    }

    @AfterEach
    void tearDown() {
        aws.close();
        emu.close();
    }

    private ClusterProvisioner provisioner() {
        return new ClusterProvisioner(aws.ec2(), aws.elbv2(), aws.s3(), aws.iam(), emu.region(), FAST,
                () -> "Password" + "x".repeat(20), n -> UserData.ClusterCa.create(n, Instant.now()), progress::add);
    }

    private ClusterSpec.Builder spec() {
        return ClusterSpec.builder("demo").instances(3).instanceType("t3.medium").ami("ami-0123456789abcdef0")
                .subnets(List.of(subnetA, subnetB)).etcdHosts(List.of("10.0.9.1:2379")).backup(true);
    }

    private String derivedBucket() {
        return BackupPolicy.bucketName("demo", emu.defaultVpcId());
    }

    private List<AwsEmulator.Call> mutating() {
        return emu.calls().stream().filter(AwsEmulator.Call::mutating).toList();
    }

    @Test
    void makesAPrivateEncryptedBucketAndARoleLimitedToThePrefixThenNothingTwice() {
        ProvisionReport report = provisioner().create(spec().build());
        String bucket = derivedBucket();
        assertEquals(List.of(bucket), emu.bucketNames());
        AwsEmulator.BucketInfo b = emu.bucket(bucket);
        for (String setting : List.of("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")) {
            assertTrue(b.publicAccessBlock().contains("<" + setting + ">true</" + setting + ">"), b.publicAccessBlock());
        }
        assertTrue(b.encryption().contains("<SSEAlgorithm>AES256</SSEAlgorithm>"), b.encryption());
        assertEquals("demo", b.tags().get(Names.CLUSTER_TAG));
        assertEquals(Status.CREATED, report.get("bucket", bucket).status());

        assertEquals(List.of("baton-demo"), emu.roleNames());
        assertEquals("demo", emu.roleTags("baton-demo").get(Names.CLUSTER_TAG));
        assertEquals(BackupPolicy.backupPolicy(bucket, "demo"), emu.rolePolicy("baton-demo", BackupPolicy.BACKUP_POLICY));
        assertEquals(BackupPolicy.routingPolicy(), emu.rolePolicy("baton-demo", BackupPolicy.ROUTING_POLICY));
        assertEquals(List.of("baton-demo"), emu.instanceProfileRoles("baton-demo"));
        for (AwsEmulator.Call run : emu.calls("RunInstances")) {
            assertEquals("baton-demo", run.params().get("IamInstanceProfile.Name"));
            String config = UserData.agentConfig(UserData.decode(run.params().get("UserData")));
            LoadResult r = new ConfigLoader(Map.of()).loadString(config.replace(UserData.PRIVATE_IP_TOKEN, "10.0.1.9"));
            assertTrue(r.ok(), r.errors().toString());
            BackupConfig backup = r.config().backup();
            assertEquals(BackupConfig.RepositoryType.S3, backup.repository().type());
            assertEquals(bucket, backup.repository().bucket());
            assertEquals("us-east-1", backup.repository().region());
            assertEquals("/demo", backup.repository().path());
            assertTrue(UserData.decode(run.params().get("UserData")).contains("apt-get install -y pgbackrest"));
        }
        assertTrue(progress.stream().anyMatch(l -> l.startsWith("[1/10] backup bucket " + bucket + ": created")), progress.toString());
        assertTrue(progress.stream().anyMatch(l -> l.startsWith("[2/10] instance role and profile baton-demo: role, ")),
                progress.toString());

        emu.clearCalls();
        progress.clear();
        ProvisionReport again = provisioner().create(spec().build());
        assertEquals(List.of(), mutating(), "a second run only reads");
        assertEquals(Status.EXISTS, again.get("bucket", bucket).status());
        assertEquals(Status.EXISTS, again.get("instance-role", "baton-demo").status());
        assertTrue(progress.contains("[2/10] instance role and profile baton-demo: exist; S3 only under s3://" + bucket
                + "/demo/"), progress.toString());
    }

    @Test
    void aFailureAfterTheBucketIsResumedAndTheMissingSettingsAdded() {
        emu.failNext("PutBucketEncryption", 1, 400, "AccessDenied", "not allowed");
        ProvisionException e = assertThrows(ProvisionException.class, () -> provisioner().create(spec().build()));
        assertEquals("backup bucket", e.step());
        assertNull(emu.bucket(derivedBucket()).encryption());
        assertEquals(List.of(), emu.calls("RunInstances"), "stopped before the instances");

        emu.clearCalls();
        provisioner().create(spec().build());
        assertEquals(List.of(), emu.calls("CreateBucket"));
        assertEquals(1, emu.calls("PutBucketEncryption").size());
        assertEquals(List.of(), emu.calls("PutPublicAccessBlock"), "it was set before the failure");
        assertTrue(emu.bucket(derivedBucket()).encryption().contains("AES256"));
    }

    @Test
    void aGivenBucketMustExistAndIsNotChanged() {
        ProvisionException missing = assertThrows(ProvisionException.class,
                () -> provisioner().create(spec().backupBucket("ops-backups").build()));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
        assertTrue(emu.instances().isEmpty());

        emu.addBucket("ops-backups");
        emu.clearCalls();
        ProvisionReport r = provisioner().create(spec().backupBucket("ops-backups").build());
        assertEquals(List.of("ops-backups"), emu.bucketNames());
        assertTrue(emu.calls().stream().noneMatch(c -> c.service().equals("s3") && c.mutating()));
        assertTrue(r.get("bucket", "ops-backups").detail().contains("WARNING: Block Public Access off, no default "
                + "encryption"), r.get("bucket", "ops-backups").detail());
        assertEquals(BackupPolicy.backupPolicy("ops-backups", "demo"),
                emu.rolePolicy("baton-demo", BackupPolicy.BACKUP_POLICY));
    }

    @Test
    void takenNamesStopTheRunBeforeAnyInstance() {
        emu.addForeignBucket(derivedBucket());
        ProvisionException foreign = assertThrows(ProvisionException.class, () -> provisioner().create(spec().build()));
        assertTrue(foreign.getMessage().contains("--backup-bucket"), foreign.getMessage());
        assertEquals(List.of(), emu.calls("RunInstances"));

        aws.iam().createRole(q -> q.roleName("baton-other").assumeRolePolicyDocument(BackupPolicy.trustPolicy()));
        aws.iam().createRole(q -> q.roleName("baton-x").assumeRolePolicyDocument(BackupPolicy.trustPolicy()));
        ClusterSpec x = ClusterSpec.builder("x").instances(1).instanceType("t3.medium").ami("ami-0123456789abcdef0")
                .subnets(List.of(subnetA)).etcdHosts(List.of("10.0.9.1:2379")).backup(true).build();
        ProvisionException role = assertThrows(ProvisionException.class, () -> provisioner().create(x));
        assertEquals("instance role", role.step());
        assertTrue(role.getMessage().contains("is not tagged baton:cluster=x"), role.getMessage());
        assertTrue(emu.rolePolicy("baton-x", BackupPolicy.BACKUP_POLICY) == null, "a foreign role is not changed");
    }

    @Test
    void aGivenInstanceProfileIsUsedAndNoRoleMade() {
        provisioner().create(spec().instanceProfile("ops-agents").build());
        assertEquals(List.of(), emu.roleNames());
        assertEquals("ops-agents", emu.calls("RunInstances").get(0).params().get("IamInstanceProfile.Name"));
        assertTrue(progress.stream().anyMatch(l -> l.contains("instance profile ops-agents: given, not changed")),
                progress.toString());
    }

    @Test
    void deleteTakesTheRoleAndKeepsOrDeletesTheBackups() {
        provisioner().create(spec().build());
        String bucket = derivedBucket();
        emu.putObject(bucket, "demo/archive/demo/15-1/000000010000000000000001", "wal");
        emu.putObject(bucket, "demo/backup/demo/backup.info", "info");
        List<String> lines = new ArrayList<>();
        ClusterBackups backups = new ClusterBackups(aws.s3(), aws.iam(), lines::add);
        assertEquals(List.of(bucket), backups.buckets("demo"));
        assertEquals(List.of(), backups.buckets("dem"), "another cluster's name prefix");
        ProvisionReport report = new ProvisionReport("demo");
        backups.deleteRole("demo", report);
        assertEquals(List.of(), emu.roleNames());
        assertEquals(null, emu.instanceProfileRoles("baton-demo"));
        backups.deleteRole("demo", report); // again: nothing left, no error
        assertFalse(backups.hasRole("demo"));

        assertEquals(2, backups.deleteBackups(bucket, "demo", true, report));
        assertEquals(List.of(), emu.bucketNames());
        assertEquals(Status.DELETED, report.get("bucket", bucket).status());
    }
}
