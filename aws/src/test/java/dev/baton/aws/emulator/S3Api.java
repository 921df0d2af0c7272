package dev.baton.aws.emulator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The S3 control-plane operations Baton's provisioning uses, in S3's REST-XML protocol with
 * path-style addresses ({@code /BUCKET?encryption}): Create/Head/DeleteBucket, ListBuckets,
 * Put/GetBucketEncryption, Put/GetPublicAccessBlock, Put/GetBucketTagging, ListObjectsV2 and
 * DeleteObjects. Objects are seeded by the test ({@link AwsEmulator#putObject}); no PutObject.
 * Called with the world's lock held.
 */
final class S3Api {
    static final String NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";

    /** A bucket as the emulator keeps it; the XML documents are stored as received. */
    static final class Bucket {
        final String name;
        final String region;
        String encryption;
        String publicAccessBlock;
        Map<String, String> tags = new LinkedHashMap<>();
        final TreeMap<String, byte[]> objects = new TreeMap<>();

        Bucket(String name, String region) {
            this.name = name;
            this.region = region;
        }
    }

    /** One answer: status, XML body (or null for none). */
    record Reply(int status, String body) {
    }

    /** A bucket name held by another account: CreateBucket answers BucketAlreadyExists, HeadBucket 403. */
    final java.util.Set<String> foreign = new java.util.HashSet<>();
    final Map<String, Bucket> buckets = new TreeMap<>();
    private final World w;

    S3Api(World w) {
        this.w = w;
    }

    /** The operation's name for the call log, from the method, path and query. */
    static String action(String method, String bucket, String key, Map<String, String> q) {
        if (bucket == null) {
            return "ListBuckets";
        }
        String sub = q.containsKey("encryption") ? "BucketEncryption" : q.containsKey("publicAccessBlock")
                ? "PublicAccessBlock" : q.containsKey("tagging") ? "BucketTagging" : null;
        if (key != null) {
            return method.equals("PUT") ? "PutObject" : method.equals("GET") ? "GetObject" : method.equals("HEAD") ? "HeadObject"
                    : method.equals("DELETE") ? "DeleteObject" : method + "Object";
        }
        return switch (method) {
            case "PUT" -> sub == null ? "CreateBucket" : sub.equals("PublicAccessBlock") ? "PutPublicAccessBlock" : "Put" + sub;
            case "GET" -> sub == null ? (q.containsKey("list-type") ? "ListObjectsV2" : "ListObjects")
                    : sub.equals("PublicAccessBlock") ? "GetPublicAccessBlock" : "Get" + sub;
            case "HEAD" -> "HeadBucket";
            case "DELETE" -> sub == null ? "DeleteBucket" : sub.equals("PublicAccessBlock") ? "DeletePublicAccessBlock"
                    : "Delete" + sub;
            case "POST" -> q.containsKey("delete") ? "DeleteObjects" : "Post";
            default -> method;
        };
    }

    Reply handle(String action, String bucketName, Map<String, String> q, String body) {
        if (action.equals("ListBuckets")) {
            Xml x = new Xml().open("ListAllMyBucketsResult", NAMESPACE).open("Owner").leaf("ID", World.ACCOUNT).end();
            x.list("Buckets", buckets.values(), (xx, b) -> xx.open("Bucket").leaf("Name", b.name)
                    .leaf("CreationDate", "2026-01-01T00:00:00.000Z").end());
            return new Reply(200, x.end().toString());
        }
        if (action.equals("CreateBucket")) {
            return create(bucketName, body);
        }
        Bucket b = buckets.get(bucketName);
        if (b == null) {
            if (foreign.contains(bucketName)) {
                throw new S3Error(403, "AccessDenied", "Access Denied", bucketName);
            }
            throw new S3Error(404, "NoSuchBucket", "The specified bucket does not exist", bucketName);
        }
        switch (action) {
            case "HeadBucket":
                return new Reply(200, null);
            case "DeleteBucket":
                if (!b.objects.isEmpty()) {
                    throw new S3Error(409, "BucketNotEmpty", "The bucket you tried to delete is not empty", bucketName);
                }
                buckets.remove(bucketName);
                return new Reply(204, null);
            case "PutBucketEncryption":
                if (!body.contains("<SSEAlgorithm>")) {
                    throw new S3Error(400, "MalformedXML", "The XML you provided was not well-formed", bucketName);
                }
                b.encryption = body;
                return new Reply(200, null);
            case "GetBucketEncryption":
                if (b.encryption == null) {
                    throw new S3Error(404, "ServerSideEncryptionConfigurationNotFoundError",
                            "The server side encryption configuration was not found", bucketName);
                }
                return new Reply(200, stripProlog(b.encryption));
            case "PutPublicAccessBlock":
                b.publicAccessBlock = body;
                return new Reply(200, null);
            case "GetPublicAccessBlock":
                if (b.publicAccessBlock == null) {
                    throw new S3Error(404, "NoSuchPublicAccessBlockConfiguration",
                            "The public access block configuration was not found", bucketName);
                }
                return new Reply(200, stripProlog(b.publicAccessBlock));
            case "DeletePublicAccessBlock":
                b.publicAccessBlock = null;
                return new Reply(204, null);
            case "PutBucketTagging":
                b.tags = tags(body);
                return new Reply(204, null);
            case "GetBucketTagging": {
                if (b.tags.isEmpty()) {
                    throw new S3Error(404, "NoSuchTagSet", "The TagSet does not exist", bucketName);
                }
                Xml x = new Xml().open("Tagging", NAMESPACE);
                x.list("TagSet", b.tags.entrySet(), (xx, e) -> xx.open("Tag").leaf("Key", e.getKey())
                        .leaf("Value", e.getValue()).end());
                return new Reply(200, x.end().toString());
            }
            case "ListObjectsV2":
                return list(b, q);
            case "DeleteObjects":
                return deleteObjects(b, body);
            default:
                throw new S3Error(501, "NotImplemented", "the emulator does not implement " + action, bucketName);
        }
    }

    private Reply create(String name, String body) {
        if (foreign.contains(name)) {
            throw new S3Error(409, "BucketAlreadyExists", "The requested bucket name is not available", name);
        }
        if (name.length() < 3 || name.length() > 63 || !name.matches("[a-z0-9][a-z0-9.-]*[a-z0-9]")) {
            throw new S3Error(400, "InvalidBucketName", "The specified bucket is not valid.", name);
        }
        String region = w.region;
        Matcher m = Pattern.compile("<LocationConstraint>([^<]*)</LocationConstraint>").matcher(body);
        if (m.find()) {
            region = m.group(1);
            if (region.equals("us-east-1")) {
                throw new S3Error(400, "InvalidLocationConstraint", "The specified location-constraint is not valid",
                        name);
            }
        }
        if (buckets.containsKey(name)) {
            throw new S3Error(409, "BucketAlreadyOwnedByYou",
                    "Your previous request to create the named bucket succeeded and you already own it.", name);
        }
        buckets.put(name, new Bucket(name, region));
        return new Reply(200, null);
    }

    private static Reply list(Bucket b, Map<String, String> q) {
        String prefix = q.getOrDefault("prefix", "");
        int max = Integer.parseInt(q.getOrDefault("max-keys", "1000"));
        String after = q.getOrDefault("continuation-token", q.getOrDefault("start-after", ""));
        List<String> keys = new ArrayList<>();
        boolean truncated = false;
        for (String k : b.objects.tailMap(after, false).keySet()) {
            if (!k.startsWith(prefix)) {
                continue;
            }
            if (keys.size() == max) {
                truncated = true;
                break;
            }
            keys.add(k);
        }
        Xml x = new Xml().open("ListBucketResult", NAMESPACE).leaf("Name", b.name).leaf("Prefix", prefix)
                .leaf("KeyCount", keys.size()).leaf("MaxKeys", max).leaf("IsTruncated", truncated);
        for (String k : keys) {
            x.open("Contents").leaf("Key", k).leaf("Size", b.objects.get(k).length)
                    .leaf("LastModified", "2026-01-01T00:00:00.000Z").leaf("StorageClass", "STANDARD").end();
        }
        if (truncated) {
            x.leaf("NextContinuationToken", keys.get(keys.size() - 1));
        }
        return new Reply(200, x.end().toString());
    }

    private static Reply deleteObjects(Bucket b, String body) {
        Xml x = new Xml().open("DeleteResult", NAMESPACE);
        Matcher m = Pattern.compile("<Key>([^<]*)</Key>").matcher(body);
        while (m.find()) {
            String key = unescape(m.group(1));
            b.objects.remove(key);
            x.open("Deleted").leaf("Key", key).end();
        }
        return new Reply(200, x.end().toString());
    }

    private static Map<String, String> tags(String body) {
        Map<String, String> tags = new LinkedHashMap<>();
        Matcher m = Pattern.compile("<Tag>\\s*<Key>([^<]*)</Key>\\s*<Value>([^<]*)</Value>\\s*</Tag>").matcher(body);
        while (m.find()) {
            tags.put(unescape(m.group(1)), unescape(m.group(2)));
        }
        return tags;
    }

    private static String stripProlog(String xml) {
        return xml.replaceFirst("^<\\?xml[^>]*\\?>\\s*", "");
    }

    private static String unescape(String s) {
        return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'")
                .replace("&amp;", "&");
    }

    /** What an object operation answers: status, the object's bytes (GET, HEAD) or null, its ETag. */
    record ObjectReply(int status, byte[] data, String etag) {
    }

    /** PutObject, GetObject, HeadObject, DeleteObject. */
    ObjectReply object(String action, String bucketName, String key, byte[] body) {
        Bucket b = buckets.get(bucketName);
        if (b == null) {
            if (foreign.contains(bucketName)) {
                throw new S3Error(403, "AccessDenied", "Access Denied", bucketName);
            }
            throw new S3Error(404, "NoSuchBucket", "The specified bucket does not exist", bucketName);
        }
        switch (action) {
            case "PutObject" -> {
                b.objects.put(key, body);
                return new ObjectReply(200, null, etag(body));
            }
            case "GetObject", "HeadObject" -> {
                byte[] data = b.objects.get(key);
                if (data == null) {
                    throw new S3Error(404, "NoSuchKey", "The specified key does not exist.", bucketName);
                }
                return new ObjectReply(200, data, etag(data));
            }
            case "DeleteObject" -> {
                b.objects.remove(key);
                return new ObjectReply(204, null, null);
            }
            default -> throw new S3Error(501, "NotImplemented", "the emulator does not implement " + action, bucketName);
        }
    }

    private static String etag(byte[] data) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A request body as the object's bytes: a body the SDK sent in {@code aws-chunked} encoding
     * (signed or unsigned streaming, possibly with checksum trailers) is decoded.
     */
    static byte[] payload(byte[] raw, String contentSha256, String contentEncoding) {
        boolean chunked = (contentSha256 != null && contentSha256.startsWith("STREAMING-"))
                || (contentEncoding != null && contentEncoding.contains("aws-chunked"));
        if (!chunked) {
            return raw;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int i = 0;
        while (i < raw.length) {
            int eol = indexOf(raw, i);
            if (eol < 0) {
                break;
            }
            String header = new String(raw, i, eol - i, StandardCharsets.US_ASCII);
            int semi = header.indexOf(';');
            int size = Integer.parseInt((semi < 0 ? header : header.substring(0, semi)).trim(), 16);
            i = eol + 2;
            if (size == 0) {
                break;
            }
            out.write(raw, i, size);
            i += size + 2;
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] raw, int from) {
        for (int i = from; i + 1 < raw.length; i++) {
            if (raw[i] == '\r' && raw[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** Seeds an object (tests): the bucket must exist. */
    void putObject(String bucket, String key, byte[] data) {
        Bucket b = buckets.get(bucket);
        if (b == null) {
            throw new IllegalArgumentException("no bucket " + bucket);
        }
        b.objects.put(key, data);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** An S3 error: status, code, message and the bucket, in S3's {@code <Error>} document. */
    static final class S3Error extends RuntimeException {
        final int status;
        final String code;
        final String resource;

        S3Error(int status, String code, String message, String resource) {
            super(message);
            this.status = status;
            this.code = code;
            this.resource = resource;
        }

        String xml(String requestId) {
            return "<Error><Code>" + Xml.escape(code) + "</Code><Message>" + Xml.escape(getMessage()) + "</Message>"
                    + (resource == null ? "" : "<BucketName>" + Xml.escape(resource) + "</BucketName>")
                    + "<RequestId>" + requestId + "</RequestId></Error>";
        }
    }
}
