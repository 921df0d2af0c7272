package dev.baton.config;

import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Reads {@code backup} (the pgBackRest repository, schedule, retention, archive timeout) and
 * {@code bootstrap.restore}. Each value is checked here, so that a bad one is a configuration
 * error naming its key rather than a pgBackRest failure at 3 in the morning.
 */
final class BackupSection {
    /** An S3 bucket name (AWS's rules, simplified: 3-63 of a-z 0-9 . -, starting and ending alphanumeric). */
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern REGION = Pattern.compile("[a-z]{2,}(-[a-z0-9]+)+");
    /** A host, host:port or https://host[:port] endpoint. */
    private static final Pattern ENDPOINT = Pattern.compile("(https://)?[A-Za-z0-9.-]+(:[0-9]{1,5})?/?");
    private static final Pattern LSN = Pattern.compile("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}");
    /** What pgBackRest's config file and command line could not carry safely. */
    private static final Pattern SAFE_PATH = Pattern.compile("/[A-Za-z0-9._/+@=:-]*");
    /** A DNS host name: labels of letters, digits and inner hyphens. */
    private static final Pattern DNS_NAME = Pattern.compile(
            "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?");
    private static final Pattern IPV4 = Pattern.compile("[0-9.]+");

    private BackupSection() {
    }

    static BackupConfig read(ConfigNode n) {
        BackupConfig.Repository repository = repository(n.map("repository"));
        ConfigNode s = n.map("schedule");
        BackupConfig.Schedule schedule = new BackupConfig.Schedule(cron(s, "full"), cron(s, "diff"), cron(s, "incr"));
        s.finish();
        int retention = n.integer("retention_full", BackupConfig.DEFAULT_RETENTION_FULL);
        if (retention < 1 || retention > 9_999_999) {
            n.issues().error(n.path("retention_full"), "must be between 1 and 9999999, got " + retention);
        }
        int archiveTimeout = n.integer("archive_timeout", BackupConfig.DEFAULT_ARCHIVE_TIMEOUT);
        if (archiveTimeout < 0 || archiveTimeout > 1_073_741_823) {
            n.issues().error(n.path("archive_timeout"), "must be a number of seconds >= 0 (0: off), got "
                    + archiveTimeout);
        }
        boolean fromReplica = n.bool("from_replica", false);
        BackupConfig.Server server = null;
        if (n.present("server")) {
            server = server(n.map("server"));
        }
        if (fromReplica && server == null && !n.issues().hasError(n.path("server"))) {
            n.issues().error(n.path("from_replica"), BackupConfig.FROM_REPLICA_NEEDS_SERVER);
        }
        Path pgbackrest = n.file("pgbackrest");
        if (pgbackrest != null && !pgbackrest.isAbsolute()) {
            n.issues().error(n.path("pgbackrest"), "must be an absolute path, got \"" + pgbackrest + "\"");
        }
        n.finish();
        return new BackupConfig(repository, schedule, retention, archiveTimeout, fromReplica, pgbackrest, server);
    }

    /**
     * {@code backup.server}: {@code connect_address} (a DNS name, which pgBackRest matches against the
     * certificate's DNS names), {@code listen} (default: every interface, the connect port), and the
     * three PEM files, all required. Null after an error.
     */
    private static BackupConfig.Server server(ConfigNode n) {
        String connect = n.address("connect_address", true, true);
        HostPort connectAddress = null;
        if (connect != null) {
            connectAddress = HostPort.parse(connect);
            if (!DNS_NAME.matcher(connectAddress.host()).matches() || IPV4.matcher(connectAddress.host()).matches()) {
                n.issues().error(n.path("connect_address"), "must be a DNS name and port, e.g. node1.example.com:"
                        + BackupConfig.DEFAULT_SERVER_PORT + ", got \"" + Untrusted.shown(connect, 100)
                        + "\": pgBackRest checks the server's certificate against its DNS names only");
                connectAddress = null;
            }
        }
        String listenText = n.address("listen", false, false);
        HostPort listen = listenText != null ? HostPort.parse(listenText)
                : connectAddress == null ? null : new HostPort("0.0.0.0", connectAddress.port());
        if (listen != null && listen.host().equals("*")) {
            listen = new HostPort("0.0.0.0", listen.port());
        }
        Path certfile = requiredPem(n, "certfile", "the member's certificate (server and client use, with a "
                + "CommonName and the connect_address host as a DNS name)");
        Path keyfile = requiredPem(n, "keyfile", "the certificate's private key (unencrypted)");
        Path cafile = requiredPem(n, "cafile", "the CA that signs the members' certificates");
        if (n.present("keyfile_password")) {
            n.string("keyfile_password", null);
            n.issues().error(n.path("keyfile_password"), "is not supported: pgBackRest's TLS server reads only an "
                    + "unencrypted key (keep it readable by the agent's user only)");
        }
        n.finish();
        if (connectAddress == null || listen == null || certfile == null || keyfile == null || cafile == null) {
            return null;
        }
        return new BackupConfig.Server(listen, connectAddress, new TlsFiles(certfile, keyfile, null, cafile));
    }

    private static Path requiredPem(ConfigNode n, String key, String what) {
        Path p = n.file(key);
        if (p == null) {
            if (!n.issues().hasError(n.path(key))) {
                n.issues().error(n.path(key), "is required: " + what);
            }
            return null;
        }
        if (!p.isAbsolute() || !SAFE_PATH.matcher(p.toString()).matches()) {
            n.issues().error(n.path(key), "must be an absolute path of letters, digits and ._/+@=:-, got \""
                    + Untrusted.shown(p.toString(), 100) + "\"");
            return null;
        }
        return p;
    }

    private static BackupConfig.Repository repository(ConfigNode n) {
        if (!n.present("type") && !n.present("path")) {
            n.issues().error(n.path(), "is required: backup.repository.type (posix or s3) and backup.repository.path");
        }
        String typeText = n.string("type", "posix").trim().toLowerCase(Locale.ROOT);
        BackupConfig.RepositoryType type;
        switch (typeText) {
            case "posix" -> type = BackupConfig.RepositoryType.POSIX;
            case "s3" -> type = BackupConfig.RepositoryType.S3;
            default -> {
                n.issues().error(n.path("type"), "must be posix or s3, got \"" + Untrusted.shown(typeText, 40) + "\"");
                type = BackupConfig.RepositoryType.POSIX;
            }
        }
        String path = n.string("path", null);
        if (path == null || path.isBlank()) {
            if (!n.issues().hasError(n.path("path"))) {
                n.issues().error(n.path("path"), type == BackupConfig.RepositoryType.S3
                        ? "is required: the prefix in the bucket, e.g. /baton" : "is required: a directory");
            }
            path = null;
        } else if (!SAFE_PATH.matcher(path).matches() || path.contains("/../") || path.endsWith("/..")) {
            n.issues().error(n.path("path"), "must be an absolute path of letters, digits and ._/+@=:- "
                    + "(no \"..\"), got \"" + Untrusted.shown(path, 100) + "\"");
            path = null;
        }
        String bucket = null;
        String region = null;
        String endpoint = null;
        String uriStyle = "host";
        boolean verifyTls = true;
        Path caFile = null;
        if (type == BackupConfig.RepositoryType.S3) {
            bucket = n.string("bucket", null);
            if (bucket == null) {
                n.issues().error(n.path("bucket"), "is required for an s3 repository");
            } else if (!BUCKET.matcher(bucket).matches() || bucket.contains("..")) {
                n.issues().error(n.path("bucket"), "must be an S3 bucket name (3-63 characters: a-z 0-9 . -), got \""
                        + Untrusted.shown(bucket, 80) + "\"");
                bucket = null;
            }
            region = n.string("region", null);
            if (region == null) {
                n.issues().error(n.path("region"), "is required for an s3 repository (e.g. eu-west-1)");
            } else if (!REGION.matcher(region).matches()) {
                n.issues().error(n.path("region"), "must be an AWS region such as eu-west-1, got \""
                        + Untrusted.shown(region, 40) + "\"");
                region = null;
            }
            endpoint = n.string("endpoint", null);
            if (endpoint != null) {
                if (endpoint.startsWith("http://")) {
                    n.issues().error(n.path("endpoint"), "must be an https endpoint: pgBackRest speaks only TLS to S3");
                    endpoint = null;
                } else if (!ENDPOINT.matcher(endpoint).matches()) {
                    n.issues().error(n.path("endpoint"), "must be a host, host:port or https://host[:port], got \""
                            + Untrusted.shown(endpoint, 100) + "\"");
                    endpoint = null;
                }
            } else if (region != null) {
                endpoint = "s3." + region + ".amazonaws.com";
            }
            uriStyle = n.string("uri_style", "host").trim().toLowerCase(Locale.ROOT);
            if (!uriStyle.equals("host") && !uriStyle.equals("path")) {
                n.issues().error(n.path("uri_style"), "must be host or path, got \"" + Untrusted.shown(uriStyle, 40)
                        + "\"");
                uriStyle = "host";
            }
            verifyTls = n.bool("verify_tls", true);
            String ca = n.string("ca_file", null);
            if (ca != null) {
                if (!SAFE_PATH.matcher(ca).matches()) {
                    n.issues().error(n.path("ca_file"), "must be an absolute path of letters, digits and ._/+@=:-, got \""
                            + Untrusted.shown(ca, 100) + "\"");
                } else if (!verifyTls) {
                    n.issues().error(n.path("ca_file"), "is of no use with verify_tls: false; remove one of them");
                } else {
                    caFile = Path.of(ca);
                }
            }
        } else {
            for (String key : new String[] {"bucket", "region", "endpoint", "uri_style", "verify_tls", "ca_file"}) {
                if (n.present(key)) {
                    n.issues().error(n.path(key), "is only for an s3 repository (type is posix)");
                    n.value(key);
                }
            }
        }
        n.finish();
        return new BackupConfig.Repository(type, path, bucket, region, endpoint, uriStyle, verifyTls, caFile);
    }

    private static Cron cron(ConfigNode n, String key) {
        String text = n.string(key, null);
        if (text == null) {
            return null;
        }
        try {
            return Cron.parse(text);
        } catch (IllegalArgumentException e) {
            n.issues().error(n.path(key), e.getMessage() + " (in \"" + Untrusted.shown(text, 60) + "\")");
            return null;
        }
    }

    /** {@code bootstrap.restore}. */
    static RestoreConfig restore(ConfigNode n) {
        String fromScope = n.string("from_scope", null);
        if (fromScope != null && (fromScope.isBlank() || !fromScope.matches("[A-Za-z0-9_.-]+"))) {
            n.issues().error(n.path("from_scope"), "must be a scope name (letters, digits, '_', '.', '-'), got \""
                    + Untrusted.shown(fromScope, 60) + "\"");
            fromScope = null;
        }
        Instant time = null;
        String timeText = n.string("target_time", null);
        if (timeText != null) {
            time = instant(timeText);
            if (time == null) {
                n.issues().error(n.path("target_time"), "must be an ISO 8601 time with a UTC offset, e.g. "
                        + "\"2026-12-03T15:00:00Z\", got \"" + Untrusted.shown(timeText, 60) + "\"");
            }
        }
        String lsn = n.string("target_lsn", null);
        if (lsn != null && !LSN.matcher(lsn.trim()).matches()) {
            n.issues().error(n.path("target_lsn"), "must be a WAL position such as \"0/3000060\", got \""
                    + Untrusted.shown(lsn, 40) + "\"");
            lsn = null;
        }
        String target = n.string("target", null);
        if (target != null && !target.trim().equalsIgnoreCase("latest")) {
            n.issues().error(n.path("target"), "must be latest (or give target_time or target_lsn), got \""
                    + Untrusted.shown(target, 40) + "\"");
        }
        int targets = (timeText != null ? 1 : 0) + (lsn != null ? 1 : 0) + (target != null ? 1 : 0);
        if (targets > 1) {
            n.issues().error(n.path(), "give only one of target_time, target_lsn and target");
        }
        n.finish();
        return new RestoreConfig(fromScope, time, lsn == null ? null : lsn.trim().toUpperCase(Locale.ROOT));
    }

    private static final DateTimeFormatter SPACED = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE).appendLiteral(' ').append(DateTimeFormatter.ISO_LOCAL_TIME)
            .appendOffset("+HH:mm", "Z").toFormatter(Locale.ROOT);

    /** ISO 8601 with an offset ("T" or a space between date and time); null when it is not one. */
    static Instant instant(String text) {
        String t = text.trim();
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return OffsetDateTime.parse(t, SPACED).toInstant();
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }
}
