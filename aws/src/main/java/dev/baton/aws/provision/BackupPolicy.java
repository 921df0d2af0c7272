package dev.baton.aws.provision;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The pure part of a cluster's backup repository on S3: the bucket's name, the prefix each
 * cluster writes under, and the IAM documents of the instance role that Baton makes (its trust
 * policy, the load balancer permissions of docs/aws.md, and S3 access limited to the cluster's
 * own prefix). No AWS call here.
 */
public final class BackupPolicy {
    /** Inline policy of the instance role: S3 access to the cluster's prefix. */
    public static final String BACKUP_POLICY = "baton-backup";
    /** Inline policy of the instance role: the agents' load balancer calls. */
    public static final String ROUTING_POLICY = "baton-routing";
    /** Inline policy of the instance role: read the cluster's SSM parameters (its secrets). */
    public static final String SECRETS_POLICY = "baton-secrets";
    /** Inline policy of the instance role: read the Baton package uploaded to the cluster's bucket. */
    public static final String PACKAGE_POLICY = "baton-package";
    /** Every inline policy Baton may put on a cluster's role (delete-cluster removes them all). */
    public static final java.util.List<String> ALL_POLICIES = java.util.List.of(ROUTING_POLICY, BACKUP_POLICY,
            SECRETS_POLICY, PACKAGE_POLICY);
    /** The weekly full and daily differential backups the node YAML gets (cron, UTC). */
    public static final String FULL_SCHEDULE = "0 3 * * 0";
    public static final String DIFF_SCHEDULE = "0 3 * * 1-6";

    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern IP_LIKE = Pattern.compile("\\d+\\.\\d+\\.\\d+\\.\\d+");

    private BackupPolicy() {
    }

    /**
     * The bucket Baton makes for a cluster: {@code baton-NAME-XXXXXXXX}, where the suffix is the
     * first 8 hex digits of SHA-256 of {@code VPC/NAME}. Bucket names are global across all AWS
     * accounts; the suffix makes a clash with another account's bucket unlikely, and is the same on
     * every run (the VPC of a cluster does not change), so a re-run finds the bucket again.
     */
    public static String bucketName(String cluster, String vpcId) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest((vpcId + "/" + cluster).getBytes(StandardCharsets.UTF_8));
            return "baton-" + cluster + "-" + HexFormat.of().formatHex(h, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** True for a name S3 accepts for a new general purpose bucket (3-63 characters, no {@code ..}, not an IP). */
    public static boolean isBucketName(String name) {
        return name != null && BUCKET.matcher(name).matches() && !name.contains("..") && !name.contains(".-")
                && !name.contains("-.") && !IP_LIKE.matcher(name).matches() && !name.startsWith("xn--")
                && !name.endsWith("-s3alias");
    }

    /** The repository path in the bucket: {@code /NAME} (pgBackRest's repo1-path; the stanza is the scope too). */
    public static String repositoryPath(String cluster) {
        return "/" + cluster;
    }

    /** The instance role's trust policy: EC2 may assume it. */
    public static String trustPolicy() {
        return "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                + "\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}";
    }

    /**
     * S3 access to the cluster's prefix only: list the bucket below {@code NAME/} (pgBackRest lists
     * with that prefix, and with the prefix itself when it checks the repository), and read, write
     * and delete objects under {@code NAME/} (archive-push, backup, expire). Nothing else of the
     * bucket, and no other bucket.
     */
    public static String backupPolicy(String bucket, String cluster) {
        if (!isBucketName(bucket)) {
            throw new IllegalArgumentException("not a bucket name: " + bucket);
        }
        if (!Names.isClusterName(cluster)) {
            throw new IllegalArgumentException("not a cluster name: " + cluster);
        }
        String arn = "arn:aws:s3:::" + bucket;
        return "{\"Version\":\"2012-10-17\",\"Statement\":["
                + "{\"Sid\":\"ListOwnPrefix\",\"Effect\":\"Allow\",\"Action\":\"s3:ListBucket\",\"Resource\":\"" + arn
                + "\",\"Condition\":{\"StringLike\":{\"s3:prefix\":[\"" + cluster + "\",\"" + cluster + "/*\"]}}},"
                + "{\"Sid\":\"ObjectsUnderOwnPrefix\",\"Effect\":\"Allow\","
                + "\"Action\":[\"s3:GetObject\",\"s3:PutObject\",\"s3:DeleteObject\"],"
                + "\"Resource\":\"" + arn + "/" + cluster + "/*\"}]}";
    }

    /**
     * Read access to the cluster's parameters only: {@code ssm:GetParameter} and {@code
     * ssm:GetParameters} on {@code parameter/baton/NAME/*} in the region (any account: the role
     * lives in one). SecureString values are encrypted with the AWS managed key {@code aws/ssm},
     * whose key policy lets the account's principals decrypt through SSM, so no KMS statement is needed.
     */
    public static String secretsPolicy(String region, String cluster) {
        if (!Names.isClusterName(cluster)) {
            throw new IllegalArgumentException("not a cluster name: " + cluster);
        }
        return "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"ReadOwnParameters\",\"Effect\":\"Allow\","
                + "\"Action\":[\"ssm:GetParameter\",\"ssm:GetParameters\"],"
                + "\"Resource\":\"arn:aws:ssm:" + region + ":*:parameter" + ParameterStore.prefix(cluster) + "*\"}]}";
    }

    /** The key prefix of the Baton package in the cluster's bucket: {@code NAME/package/}. */
    public static String packagePrefix(String cluster) {
        return cluster + "/package/";
    }

    /** Read access to the Baton package in the cluster's bucket: {@code s3:GetObject} on {@code NAME/package/*}. */
    public static String packagePolicy(String bucket, String cluster) {
        if (!isBucketName(bucket)) {
            throw new IllegalArgumentException("not a bucket name: " + bucket);
        }
        return "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"ReadOwnPackage\",\"Effect\":\"Allow\","
                + "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::" + bucket + "/" + packagePrefix(cluster)
                + "*\"}]}";
    }

    /** The agents' load balancer calls (docs/aws.md, "IAM permissions"). */
    public static String routingPolicy() {
        return "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":["
                + "\"elasticloadbalancing:DescribeTargetHealth\",\"elasticloadbalancing:RegisterTargets\","
                + "\"elasticloadbalancing:DeregisterTargets\"],\"Resource\":\"*\"}]}";
    }

    /**
     * The agents' load balancer calls, limited to the cluster's own target group where IAM allows
     * it: RegisterTargets and DeregisterTargets on {@code targetgroup/baton-NAME/*} in the region
     * (its ARN is known by name before the group exists); DescribeTargetHealth, which takes no
     * resource-level permission, on {@code *}.
     */
    public static String routingPolicy(String region, String cluster) {
        if (!Names.isClusterName(cluster)) {
            throw new IllegalArgumentException("not a cluster name: " + cluster);
        }
        return "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"ReadTargetHealth\",\"Effect\":\"Allow\","
                + "\"Action\":\"elasticloadbalancing:DescribeTargetHealth\",\"Resource\":\"*\"},"
                + "{\"Sid\":\"RouteOwnTargetGroup\",\"Effect\":\"Allow\",\"Action\":["
                + "\"elasticloadbalancing:RegisterTargets\",\"elasticloadbalancing:DeregisterTargets\"],"
                + "\"Resource\":\"arn:aws:elasticloadbalancing:" + region + ":*:targetgroup/" + Names.resource(cluster)
                + "/*\"}]}";
    }
}
