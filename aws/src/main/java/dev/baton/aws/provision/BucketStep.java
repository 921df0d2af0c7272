package dev.baton.aws.provision;

import dev.baton.aws.provision.ClusterProvisioner.Plan;
import dev.baton.aws.provision.ProvisionReport.Status;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketLocationConstraint;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.PublicAccessBlockConfiguration;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.Tag;

/**
 * Step 1: the S3 bucket of the backups (with {@code backup} on). Baton's own bucket ({@link
 * BackupPolicy#bucketName}) is made private and encrypted: Block Public Access on (all four
 * settings), default encryption SSE-S3 with a bucket key, tagged {@code baton:cluster=NAME}; on a
 * re-run the settings it lacks are added. A bucket given with {@code --backup-bucket} must exist
 * and is never changed: what it lacks is reported.
 */
record BucketStep(S3Client s3, String region, Progress progress) {
    static final String KIND = "bucket";

    /** What exists: the bucket is ours to use, missing, or someone else's (or not readable). */
    enum State { EXISTS, MISSING, FORBIDDEN }

    /** The bucket a cluster's backups go to. */
    static String bucket(ClusterSpec spec, String vpcId) {
        return spec.backupBucket() != null ? spec.backupBucket() : BackupPolicy.bucketName(spec.name(), vpcId);
    }

    State read(String bucket) {
        try {
            s3.headBucket(r -> r.bucket(bucket));
            return State.EXISTS;
        } catch (NoSuchBucketException e) {
            return State.MISSING;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return State.MISSING;
            }
            if (e.statusCode() == 403) {
                return State.FORBIDDEN;
            }
            throw e;
        }
    }

    /** What the plan reports. */
    static void plan(ProvisionReport report, ClusterSpec spec, String bucket, State state) {
        String detail = (spec.backupBucket() != null ? "given with --bucket, " : "private, SSE-S3, ")
                + (spec.backup() ? "backups under /" + spec.name() : "the package under /" + spec.name() + "/package");
        report.put(KIND, bucket, state == State.EXISTS ? bucket : null,
                state == State.EXISTS ? Status.EXISTS : Status.MISSING, detail);
    }

    /** Makes or checks the bucket; returns its name. */
    String apply(Plan plan) {
        ClusterSpec spec = plan.spec();
        String bucket = bucket(spec, plan.network().vpcId());
        State state = read(bucket);
        boolean given = spec.backupBucket() != null;
        if (state == State.FORBIDDEN) {
            throw new ProvisionException("backup bucket", "the bucket " + bucket + (given
                    ? " cannot be read with these credentials (403); check its name, its policy and s3:ListBucket"
                    : " belongs to another AWS account (403); give a bucket with --backup-bucket NAME"),
                    plan.report(), null);
        }
        if (given) {
            if (state == State.MISSING) {
                throw new ProvisionException("backup bucket", "the bucket " + bucket + " given with --bucket "
                        + "does not exist (create it, private and encrypted, or leave out --backup-bucket and Baton "
                        + "makes one)", plan.report(), null);
            }
            List<String> lacks = lacks(bucket);
            String detail = plan.report().get(KIND, bucket).detail()
                    + (lacks.isEmpty() ? "" : "; WARNING: " + String.join(", ", lacks) + " (Baton leaves it as it is)");
            plan.report().put(KIND, bucket, bucket, Status.EXISTS, detail);
            ClusterProvisioner.step(progress, 1, "backup bucket " + bucket + ": exists (--backup-bucket), backups under /"
                    + spec.name() + (lacks.isEmpty() ? "" : "; it has " + String.join(", ", lacks)
                    + ": Baton does not change a bucket it did not make"));
            return bucket;
        }
        boolean created = false;
        if (state == State.MISSING) {
            try {
                s3.createBucket(r -> {
                    r.bucket(bucket);
                    if (!"us-east-1".equals(region)) {
                        r.createBucketConfiguration(c -> c.locationConstraint(BucketLocationConstraint.fromValue(region)));
                    }
                });
                created = true;
            } catch (S3Exception e) {
                String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
                if ("BucketAlreadyExists".equals(code)) {
                    throw new ProvisionException("backup bucket", "the bucket name " + bucket + " is taken by another "
                            + "AWS account; give a bucket with --backup-bucket NAME", plan.report(), e);
                }
                if (!"BucketAlreadyOwnedByYou".equals(code)) {
                    throw e;
                }
            }
        }
        List<String> added = new ArrayList<>();
        if (created || !hasPublicAccessBlock(bucket)) {
            s3.putPublicAccessBlock(r -> r.bucket(bucket).publicAccessBlockConfiguration(PUBLIC_ACCESS_BLOCK));
            added.add("Block Public Access");
        }
        if (created || !hasEncryption(bucket)) {
            s3.putBucketEncryption(r -> r.bucket(bucket).serverSideEncryptionConfiguration(c -> c.rules(rule -> rule
                    .applyServerSideEncryptionByDefault(d -> d.sseAlgorithm(ServerSideEncryption.AES256))
                    .bucketKeyEnabled(true))));
            added.add("default encryption SSE-S3");
        }
        if (created) {
            s3.putBucketTagging(r -> r.bucket(bucket).tagging(t -> t.tagSet(Names.resourceTags(spec.name()).entrySet()
                    .stream().map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList())));
        }
        plan.report().put(KIND, bucket, bucket, created ? Status.CREATED : Status.EXISTS,
                plan.report().get(KIND, bucket).detail());
        ClusterProvisioner.step(progress, 1, (spec.backup() ? "backup bucket " : "bucket ") + bucket + ": "
                + (created ? "created" : "exists")
                + (added.isEmpty() || created ? "" : ", " + String.join(" and ", added) + " turned on")
                + " (private, encrypted), " + (spec.backup() ? "backups" : "the package") + " under /" + spec.name());
        return bucket;
    }

    static final PublicAccessBlockConfiguration PUBLIC_ACCESS_BLOCK = PublicAccessBlockConfiguration.builder()
            .blockPublicAcls(true).ignorePublicAcls(true).blockPublicPolicy(true).restrictPublicBuckets(true).build();

    /** What a bucket lacks of Baton's settings: "no Block Public Access", "no default encryption". */
    List<String> lacks(String bucket) {
        List<String> out = new ArrayList<>();
        if (!hasPublicAccessBlock(bucket)) {
            out.add("Block Public Access off");
        }
        if (!hasEncryption(bucket)) {
            out.add("no default encryption");
        }
        return out;
    }

    private boolean hasPublicAccessBlock(String bucket) {
        try {
            PublicAccessBlockConfiguration c = s3.getPublicAccessBlock(r -> r.bucket(bucket))
                    .publicAccessBlockConfiguration();
            return Boolean.TRUE.equals(c.blockPublicAcls()) && Boolean.TRUE.equals(c.ignorePublicAcls())
                    && Boolean.TRUE.equals(c.blockPublicPolicy()) && Boolean.TRUE.equals(c.restrictPublicBuckets());
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    private boolean hasEncryption(String bucket) {
        try {
            return !s3.getBucketEncryption(r -> r.bucket(bucket)).serverSideEncryptionConfiguration().rules().isEmpty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }
}
