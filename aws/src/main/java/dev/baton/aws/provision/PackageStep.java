package dev.baton.aws.provision;

import dev.baton.aws.provision.ProvisionReport.Status;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The Baton package in the cluster's private bucket, so that no instance downloads anything
 * public: this build's {@code .deb} (or a jar) goes to {@code s3://BUCKET/NAME/package/FILE};
 * its SHA-256 goes into the user data, and the first boot fetches it with the instance role
 * ({@link BackupPolicy#packagePolicy}) and checks it before installing. An object with the same
 * content (its ETag is the MD5 of a single-part upload) is not uploaded again.
 */
record PackageStep(S3Client s3, Progress progress) {
    static final String KIND = "package";

    /** A local package file, hashed. */
    record Local(Path file, String sha256, String md5, long size) {
        /** True for a Debian package (else a jar). */
        boolean deb() {
            return file.getFileName().toString().endsWith(".deb");
        }
    }

    /** Reads and hashes the file; {@link InvalidSpecException} naming {@code --package} when it cannot be read. */
    static Local local(String path) {
        Path file = Path.of(path);
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new InvalidSpecException("--package: " + path + " is not a readable file");
        }
        String name = file.getFileName().toString();
        if (!name.endsWith(".deb") && !name.endsWith(".jar")) {
            throw new InvalidSpecException("--package: must be a Baton .deb (or .jar), got " + path);
        }
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            byte[] buf = new byte[1 << 16];
            long size = 0;
            for (int n; (n = in.read(buf)) > 0; size += n) {
                sha.update(buf, 0, n);
                md5.update(buf, 0, n);
            }
            return new Local(file, HexFormat.of().formatHex(sha.digest()), HexFormat.of().formatHex(md5.digest()), size);
        } catch (IOException e) {
            throw new InvalidSpecException("--package: cannot read " + path + ": " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The object key of a package: {@code NAME/package/FILE}. */
    static String key(String cluster, Local pkg) {
        return BackupPolicy.packagePrefix(cluster) + pkg.file().getFileName();
    }

    /** What the plan reports. */
    void plan(ProvisionReport report, String bucket, String cluster, Local pkg, boolean bucketExists) {
        String key = key(cluster, pkg);
        boolean same = bucketExists && same(bucket, key, pkg);
        report.put(KIND, "s3://" + bucket + "/" + key, same ? key : null, same ? Status.EXISTS : Status.MISSING,
                pkg.size() + " bytes, sha256 " + pkg.sha256());
    }

    /** Uploads the package unless the same one is there; returns where it is. */
    UserData.Package apply(ProvisionReport report, String bucket, String region, String cluster, Local pkg) {
        String key = key(cluster, pkg);
        boolean same = same(bucket, key, pkg);
        if (!same) {
            s3.putObject(r -> r.bucket(bucket).key(key).contentType(pkg.deb() ? "application/vnd.debian.binary-package"
                    : "application/java-archive"), RequestBody.fromFile(pkg.file()));
        }
        report.put(KIND, "s3://" + bucket + "/" + key, key, same ? Status.EXISTS : Status.CREATED,
                pkg.size() + " bytes, sha256 " + pkg.sha256());
        progress.step("      package " + pkg.file().getFileName() + ": " + (same ? "in" : "uploaded to") + " s3://"
                + bucket + "/" + key + " (sha256 " + pkg.sha256() + ")");
        return new UserData.Package(bucket, key, region, pkg.sha256(), pkg.deb());
    }

    private boolean same(String bucket, String key, Local pkg) {
        try {
            String etag = s3.headObject(r -> r.bucket(bucket).key(key)).eTag();
            return etag != null && etag.replace("\"", "").equalsIgnoreCase(pkg.md5());
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }
}
