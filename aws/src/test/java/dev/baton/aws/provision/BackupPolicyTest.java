package dev.baton.aws.provision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bucket name and the IAM documents of a cluster's backups: pure. */
class BackupPolicyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theBucketNameIsStablePerClusterAndVpcAndValid() {
        String a = BackupPolicy.bucketName("demo", "vpc-0123456789abcdef0");
        assertEquals(a, BackupPolicy.bucketName("demo", "vpc-0123456789abcdef0"));
        assertTrue(a.matches("baton-demo-[0-9a-f]{8}"), a);
        assertNotEquals(a, BackupPolicy.bucketName("demo", "vpc-0fedcba9876543210"), "another VPC, another name");
        assertNotEquals(a, BackupPolicy.bucketName("demo2", "vpc-0123456789abcdef0"));
        String longest = BackupPolicy.bucketName("a".repeat(Names.MAX_NAME), "vpc-0123456789abcdef0");
        assertTrue(BackupPolicy.isBucketName(longest) && longest.length() <= 63, longest);
    }

    @Test
    void bucketNamesFollowS3sRules() {
        for (String ok : List.of("abc", "my.backups", "ops-backups-2026", "a".repeat(63))) {
            assertTrue(BackupPolicy.isBucketName(ok), ok);
        }
        for (String bad : List.of("ab", "a".repeat(64), "Upper", "-lead", "trail-", "a..b", "a.-b", "192.168.1.1",
                "xn--abc", "abc-s3alias", "under_score", "sp ace")) {
            assertFalse(BackupPolicy.isBucketName(bad), bad);
        }
    }

    @Test
    void theInstanceRoleMayUseOnlyItsOwnPrefix() throws Exception {
        JsonNode doc = JSON.readTree(BackupPolicy.backupPolicy("ops-backups", "demo"));
        assertEquals("2012-10-17", doc.path("Version").asText());
        List<String> actions = new ArrayList<>();
        for (JsonNode s : doc.path("Statement")) {
            assertEquals("Allow", s.path("Effect").asText());
            if (s.path("Action").isArray()) {
                s.path("Action").forEach(a -> actions.add(a.asText()));
            } else {
                actions.add(s.path("Action").asText());
            }
        }
        assertEquals(List.of("s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"), actions);
        JsonNode list = doc.path("Statement").get(0);
        assertEquals("arn:aws:s3:::ops-backups", list.path("Resource").asText());
        assertEquals("[\"demo\",\"demo/*\"]", list.path("Condition").path("StringLike").path("s3:prefix").toString(),
                "listing only below the cluster's prefix");
        JsonNode objects = doc.path("Statement").get(1);
        assertEquals("arn:aws:s3:::ops-backups/demo/*", objects.path("Resource").asText());
        assertFalse(doc.toString().contains("s3:*") || doc.toString().contains("\"*\""), "no wildcard action or resource");
        assertFalse(doc.toString().contains("DeleteBucket") || doc.toString().contains("PutBucket"),
                "no bucket-level changes");
    }

    @Test
    void theDocumentsRefuseWhatCouldWidenThem() {
        assertThrows(IllegalArgumentException.class, () -> BackupPolicy.backupPolicy("ops\",\"x", "demo"));
        assertThrows(IllegalArgumentException.class, () -> BackupPolicy.backupPolicy("ops-backups", "*"));
        assertThrows(IllegalArgumentException.class, () -> BackupPolicy.backupPolicy("ops-backups", "demo/../x"));
    }

    @Test
    void trustAndRoutingPoliciesAreJson() throws Exception {
        JsonNode trust = JSON.readTree(BackupPolicy.trustPolicy());
        assertEquals("ec2.amazonaws.com", trust.path("Statement").get(0).path("Principal").path("Service").asText());
        assertEquals("sts:AssumeRole", trust.path("Statement").get(0).path("Action").asText());
        JsonNode routing = JSON.readTree(BackupPolicy.routingPolicy());
        assertEquals(3, routing.path("Statement").get(0).path("Action").size());
        assertEquals("/demo", BackupPolicy.repositoryPath("demo"));
    }
}
