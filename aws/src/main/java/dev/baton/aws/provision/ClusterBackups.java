package dev.baton.aws.provision;

import dev.baton.aws.provision.ProvisionReport.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.InstanceProfile;
import software.amazon.awssdk.services.iam.model.NoSuchEntityException;
import software.amazon.awssdk.services.iam.model.Role;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Bucket;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * What {@code delete-cluster} does with a cluster's backups and instance role. The role and
 * profile {@code baton-NAME} that create-cluster made (tagged with the cluster) go with the
 * cluster. The backups stay unless asked: Baton's bucket ({@code baton-NAME-*}, tagged) is kept,
 * and with {@code deleteBackups} its objects under {@code NAME/} are deleted and then the bucket,
 * once empty. In a bucket given with {@code --backup-bucket} only the prefix {@code NAME/} is ever
 * deleted, never the bucket. Every delete tolerates "already gone".
 */
public final class ClusterBackups {
    private final S3Client s3;
    private final IamClient iam;
    private final Progress progress;

    public ClusterBackups(S3Client s3, IamClient iam, Progress progress) {
        this.s3 = Objects.requireNonNull(s3, "s3");
        this.iam = Objects.requireNonNull(iam, "iam");
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    /** Baton's buckets of the cluster: named {@code baton-NAME-*} and tagged {@code baton:cluster=NAME}. */
    public List<String> buckets(String cluster) {
        List<String> out = new ArrayList<>();
        String prefix = Names.resource(cluster) + "-";
        for (Bucket b : s3.listBuckets().buckets()) {
            if (!b.name().startsWith(prefix) || b.name().substring(prefix.length()).contains("-")) {
                continue;
            }
            try {
                boolean ours = s3.getBucketTagging(r -> r.bucket(b.name())).tagSet().stream()
                        .anyMatch(t -> Names.CLUSTER_TAG.equals(t.key()) && cluster.equals(t.value()));
                if (ours) {
                    out.add(b.name());
                }
            } catch (S3Exception e) {
                if (e.statusCode() != 404 && e.statusCode() != 403) {
                    throw e;
                }
            }
        }
        return out;
    }

    /** True when the role {@code baton-NAME} exists and is the cluster's. */
    public boolean hasRole(String cluster) {
        return role(cluster) != null;
    }

    private Role role(String cluster) {
        try {
            Role r = iam.getRole(q -> q.roleName(Names.resource(cluster))).role();
            return r.tags().stream().anyMatch(t -> Names.CLUSTER_TAG.equals(t.key()) && cluster.equals(t.value()))
                    ? r : null;
        } catch (NoSuchEntityException e) {
            return null;
        }
    }

    /** Deletes the cluster's instance profile and role (with its inline policies), if Baton made them. */
    public void deleteRole(String cluster, ProvisionReport report) {
        String name = Names.resource(cluster);
        Role role = role(cluster);
        if (role == null) {
            return;
        }
        InstanceProfile profile = null;
        try {
            profile = iam.getInstanceProfile(r -> r.instanceProfileName(name)).instanceProfile();
        } catch (NoSuchEntityException e) {
            // gone already
        }
        if (profile != null) {
            if (profile.roles().stream().anyMatch(r -> r.roleName().equals(name))) {
                gone(() -> iam.removeRoleFromInstanceProfile(r -> r.instanceProfileName(name).roleName(name)));
            }
            gone(() -> iam.deleteInstanceProfile(r -> r.instanceProfileName(name)));
            report.put(RoleStep.PROFILE, name, profile.arn(), Status.DELETED, "");
        }
        for (String policy : BackupPolicy.ALL_POLICIES) {
            gone(() -> iam.deleteRolePolicy(r -> r.roleName(name).policyName(policy)));
        }
        gone(() -> iam.deleteRole(r -> r.roleName(name)));
        report.put(RoleStep.ROLE, name, role.arn(), Status.DELETED, "");
        progress.step("instance role and profile " + name + ": deleted");
    }

    /**
     * Deletes the objects under {@code NAME/} in {@code bucket}, then the bucket itself when
     * {@code ownBucket} and it is empty. Returns how many objects were deleted.
     */
    public int deleteBackups(String bucket, String cluster, boolean ownBucket, ProvisionReport report) {
        String prefix = cluster + "/";
        int deleted = deletePrefix(bucket, prefix);
        boolean bucketGone = false;
        if (ownBucket) {
            try {
                s3.deleteBucket(r -> r.bucket(bucket));
                bucketGone = true;
            } catch (S3Exception e) {
                String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
                if ("BucketNotEmpty".equals(code)) {
                    progress.step("bucket " + bucket + ": kept, it holds objects outside /" + cluster);
                } else if (e.statusCode() != 404) {
                    throw e;
                }
            }
        }
        report.put(BucketStep.KIND, bucket, bucket, bucketGone ? Status.DELETED : Status.EXISTS,
                deleted + " objects under /" + cluster + " deleted");
        progress.step("s3://" + bucket + "/" + prefix + " (backups and package): " + deleted + " objects deleted"
                + (bucketGone ? "; bucket deleted" : ""));
        return deleted;
    }

    /**
     * Deletes the Baton package that create-cluster uploaded to a bucket it did not make
     * ({@code NAME/package/}); the backups there stay. Returns how many objects went.
     */
    public int deletePackage(String bucket, String cluster, ProvisionReport report) {
        String prefix = BackupPolicy.packagePrefix(cluster);
        int deleted = deletePrefix(bucket, prefix);
        if (deleted > 0) {
            report.put(PackageStep.KIND, "s3://" + bucket + "/" + prefix, null, Status.DELETED, deleted + " objects");
            progress.step("package in s3://" + bucket + "/" + prefix + ": " + deleted + " objects deleted");
        }
        return deleted;
    }

    /** Deletes every object under {@code prefix} (1000 per call); returns how many. */
    private int deletePrefix(String bucket, String prefix) {
        int deleted = 0;
        String token = null;
        do {
            String t = token;
            ListObjectsV2Response page = s3.listObjectsV2(r -> r.bucket(bucket).prefix(prefix).continuationToken(t));
            List<ObjectIdentifier> ids = page.contents().stream().map(S3Object::key)
                    .map(k -> ObjectIdentifier.builder().key(k).build()).toList();
            if (!ids.isEmpty()) {
                s3.deleteObjects(r -> r.bucket(bucket).delete(d -> d.objects(ids).quiet(true)));
                deleted += ids.size();
            }
            token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
        } while (token != null);
        return deleted;
    }

    private static void gone(Runnable call) {
        try {
            call.run();
        } catch (NoSuchEntityException e) {
            // already gone
        }
    }
}
