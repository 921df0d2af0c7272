package dev.baton.aws.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.DeleteConflictException;
import software.amazon.awssdk.services.iam.model.EntityAlreadyExistsException;
import software.amazon.awssdk.services.iam.model.NoSuchEntityException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyExistsException;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/** The emulator's S3 and IAM operations through the real SDK clients: answers and error shapes. */
class S3IamEmulatorTest {
    private AwsEmulator emu;
    private S3Client s3;
    private IamClient iam;

    @BeforeEach
    void setUp() throws Exception {
        emu = AwsEmulator.start();
        StaticCredentialsProvider creds = StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));
        s3 = S3Client.builder().endpointOverride(emu.endpoint()).forcePathStyle(true).region(Region.of(emu.region()))
                .credentialsProvider(creds).httpClient(UrlConnectionHttpClient.create()).build();
        iam = IamClient.builder().endpointOverride(emu.endpoint()).region(Region.AWS_GLOBAL).credentialsProvider(creds)
                .httpClient(UrlConnectionHttpClient.create()).build();
    }

    @AfterEach
    void tearDown() {
        s3.close();
        iam.close();
        emu.close();
    }

    @Test
    void bucketsTheirSettingsAndErrors() {
        assertThrows(NoSuchBucketException.class, () -> s3.headBucket(r -> r.bucket("bk1")));
        s3.createBucket(r -> r.bucket("bk1"));
        s3.headBucket(r -> r.bucket("bk1"));
        assertThrows(BucketAlreadyOwnedByYouException.class, () -> s3.createBucket(r -> r.bucket("bk1")));
        emu.addForeignBucket("theirs");
        assertThrows(BucketAlreadyExistsException.class, () -> s3.createBucket(r -> r.bucket("theirs")));
        assertEquals(403, assertThrows(S3Exception.class, () -> s3.headBucket(r -> r.bucket("theirs"))).statusCode());

        S3Exception noEncryption = assertThrows(S3Exception.class, () -> s3.getBucketEncryption(r -> r.bucket("bk1")));
        assertEquals("ServerSideEncryptionConfigurationNotFoundError", noEncryption.awsErrorDetails().errorCode());
        s3.putBucketEncryption(r -> r.bucket("bk1").serverSideEncryptionConfiguration(c -> c.rules(x -> x
                .applyServerSideEncryptionByDefault(d -> d.sseAlgorithm(ServerSideEncryption.AES256)))));
        assertEquals(ServerSideEncryption.AES256, s3.getBucketEncryption(r -> r.bucket("bk1"))
                .serverSideEncryptionConfiguration().rules().get(0).applyServerSideEncryptionByDefault().sseAlgorithm());

        assertEquals(404, assertThrows(S3Exception.class, () -> s3.getPublicAccessBlock(r -> r.bucket("bk1"))).statusCode());
        s3.putPublicAccessBlock(r -> r.bucket("bk1").publicAccessBlockConfiguration(c -> c.blockPublicAcls(true)
                .ignorePublicAcls(true).blockPublicPolicy(true).restrictPublicBuckets(false)));
        var pab = s3.getPublicAccessBlock(r -> r.bucket("bk1")).publicAccessBlockConfiguration();
        assertEquals(true, pab.blockPublicPolicy());
        assertEquals(false, pab.restrictPublicBuckets());

        s3.putBucketTagging(r -> r.bucket("bk1").tagging(t -> t.tagSet(x -> x.key("baton:cluster").value("demo"))));
        assertEquals("demo", s3.getBucketTagging(r -> r.bucket("bk1")).tagSet().get(0).value());
        assertEquals(List.of("bk1"), s3.listBuckets().buckets().stream().map(b -> b.name()).toList());

        emu.putObject("bk1", "demo/a", "1");
        emu.putObject("bk1", "demo/b", "2");
        emu.putObject("bk1", "other/c", "3");
        assertEquals("BucketNotEmpty", assertThrows(S3Exception.class, () -> s3.deleteBucket(r -> r.bucket("bk1")))
                .awsErrorDetails().errorCode());
        var page = s3.listObjectsV2(r -> r.bucket("bk1").prefix("demo/").maxKeys(1));
        assertEquals(List.of("demo/a"), page.contents().stream().map(o -> o.key()).toList());
        assertTrue(page.isTruncated());
        var next = s3.listObjectsV2(r -> r.bucket("bk1").prefix("demo/").continuationToken(page.nextContinuationToken()));
        assertEquals(List.of("demo/b"), next.contents().stream().map(o -> o.key()).toList());
        s3.deleteObjects(r -> r.bucket("bk1").delete(d -> d.objects(o -> o.key("demo/a"), o -> o.key("demo/b"))));
        assertEquals(List.of("other/c"), emu.objectKeys("bk1"));
    }

    @Test
    void rolesPoliciesAndInstanceProfiles() {
        assertThrows(NoSuchEntityException.class, () -> iam.getRole(r -> r.roleName("r1")));
        String trust = "{\"Version\":\"2012-10-17\",\"Statement\":[]}";
        var role = iam.createRole(r -> r.roleName("r1").assumeRolePolicyDocument(trust)
                .tags(t -> t.key("baton:cluster").value("demo"))).role();
        assertEquals("arn:aws:iam::123456789012:role/r1", role.arn());
        assertThrows(EntityAlreadyExistsException.class,
                () -> iam.createRole(r -> r.roleName("r1").assumeRolePolicyDocument(trust)));
        assertEquals("demo", iam.getRole(r -> r.roleName("r1")).role().tags().get(0).value());

        String doc = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\","
                + "\"Resource\":\"arn:aws:s3:::b/p/*\"}]}";
        iam.putRolePolicy(r -> r.roleName("r1").policyName("p").policyDocument(doc));
        assertEquals(doc, URLDecoder.decode(iam.getRolePolicy(r -> r.roleName("r1").policyName("p")).policyDocument(),
                StandardCharsets.UTF_8), "URL-encoded as AWS sends it");
        assertThrows(NoSuchEntityException.class, () -> iam.getRolePolicy(r -> r.roleName("r1").policyName("q")));

        iam.createInstanceProfile(r -> r.instanceProfileName("ip1"));
        iam.addRoleToInstanceProfile(r -> r.instanceProfileName("ip1").roleName("r1"));
        assertEquals("r1", iam.getInstanceProfile(r -> r.instanceProfileName("ip1")).instanceProfile().roles().get(0)
                .roleName());
        assertThrows(DeleteConflictException.class, () -> iam.deleteRole(r -> r.roleName("r1")));
        assertThrows(DeleteConflictException.class, () -> iam.deleteInstanceProfile(r -> r.instanceProfileName("ip1")));
        iam.removeRoleFromInstanceProfile(r -> r.instanceProfileName("ip1").roleName("r1"));
        iam.deleteInstanceProfile(r -> r.instanceProfileName("ip1"));
        iam.deleteRolePolicy(r -> r.roleName("r1").policyName("p"));
        iam.deleteRole(r -> r.roleName("r1"));
        assertEquals(List.of(), emu.roleNames());
    }
}
