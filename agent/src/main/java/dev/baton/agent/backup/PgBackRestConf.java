package dev.baton.agent.backup;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.config.BackupConfig;
import dev.baton.config.BatonConfig;
import dev.baton.config.RestoreConfig;
import dev.baton.config.Untrusted;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What Baton tells pgBackRest and PostgreSQL when it archives with pgBackRest, and what it reads
 * back, as pure functions (no I/O; {@link PgBackRest} runs and writes): the node's own
 * pgBackRest configuration file (stanza = scope, {@code pg1-path} = this node's data directory,
 * reference fact 1), the {@code archive_command} and {@code restore_command}, the PostgreSQL
 * parameters Baton sets with a repository, the argv of a restore, pgBackRest's time format,
 * {@code pgbackrest info --output=json} and the per-file progress lines of a backup or restore.
 *
 * <p>Values come from configuration files and the agent's environment: a control character (a line
 * break would start a new option of someone's choosing) is refused everywhere, paths in shell
 * commands are single-quoted, and the stanza must be a plain scope name.
 */
public final class PgBackRestConf {
    /** The first line of the configuration file. */
    public static final String HEADER = "# Written by Baton. Do not edit: set backup.* in Baton's configuration.";

    /**
     * The longest socket directory Baton accepts: PostgreSQL puts {@code .s.PGSQL.<port>} in it, and a
     * Unix socket's path has at most 107 bytes.
     */
    public static final int MAX_SOCKET_DIR_BYTES = 100;

    /** A scope that is also a pgBackRest stanza name and needs no quoting anywhere. */
    private static final Pattern SCOPE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");
    /** A shell word that needs no quotes. */
    private static final Pattern SHELL_PLAIN = Pattern.compile("[A-Za-z0-9_./=:+@,-]+");
    private static final Pattern LSN = Pattern.compile("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}");
    private static final DateTimeFormatter PGBACKREST_TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSS", Locale.ROOT).withZone(ZoneOffset.UTC);
    /** {@code (8KB, 45.67%)}, also {@code (bundle 1/0, 8KB, 45.67%)} and {@code (8KB->4KB, 45.67%)}. */
    private static final Pattern PROGRESS = Pattern.compile(
            "\\((?:[^(),]*, )?(\\d+(?:\\.\\d+)?)(B|KB|MB|GB|TB|PB)(?:->[^,()]*)?, (\\d+(?:\\.\\d+)?)%\\)");
    /** Keys of postgresql.auto.conf that a pgBackRest restore writes (reference fact 6). */
    private static final Pattern RESTORE_KEY = Pattern.compile(
            "\\s*(restore_command|recovery_target[a-z_]*|archive_mode)\\s*(=.*|\\s.*|)", Pattern.CASE_INSENSITIVE);
    private static final ObjectMapper JSON = new ObjectMapper();

    private PgBackRestConf() {
    }

    // ---------------------------------------------------------------- where things are

    /** The data directory as every path beside it is derived from (absolute, normalised). */
    public static Path dataDir(BatonConfig config) {
        return config.postgresql().dataDir().toAbsolutePath().normalize();
    }

    /** The node's pgBackRest configuration file: {@code <data_dir>.pgbackrest.conf}, beside the data directory. */
    public static Path confFile(Path dataDir) {
        return dataDir.resolveSibling(dataDir.getFileName() + ".pgbackrest.conf");
    }

    /** {@code <data_dir>.pgbackrest}: the private folder of pgBackRest's lock and log files. */
    public static Path stateDir(Path dataDir) {
        return dataDir.resolveSibling(dataDir.getFileName() + ".pgbackrest");
    }

    public static Path lockPath(Path dataDir) {
        return stateDir(dataDir).resolve("lock");
    }

    public static Path logPath(Path dataDir) {
        return stateDir(dataDir).resolve("log");
    }

    /** pgBackRest's spool (asynchronous archiving's queue, which a restore clears): also private to the node. */
    public static Path spoolPath(Path dataDir) {
        return stateDir(dataDir).resolve("spool");
    }

    /**
     * {@code unix_socket_directories} with a repository: the operator's value
     * ({@code postgresql.parameters}), else {@code <data_dir>.sock}.
     */
    public static String unixSocketDirectories(BatonConfig config) {
        for (Map.Entry<String, String> e : config.postgresql().parameters().entrySet()) {
            if (e.getKey().equalsIgnoreCase("unix_socket_directories") && e.getValue() != null
                    && !e.getValue().isBlank()) {
                return e.getValue().strip();
            }
        }
        Path data = dataDir(config);
        return data.resolveSibling(data.getFileName() + ".sock").toString();
    }

    /** The directory pgBackRest reaches PostgreSQL's socket in: the first of {@link #unixSocketDirectories}. */
    public static Path socketDir(BatonConfig config) {
        String dirs = unixSocketDirectories(config);
        int comma = dirs.indexOf(',');
        return Path.of((comma < 0 ? dirs : dirs.substring(0, comma)).strip());
    }

    /** Why the socket directory cannot be used (too long for a Unix socket, not absolute), or empty. */
    public static Optional<String> socketDirProblem(BatonConfig config) {
        Path dir = socketDir(config);
        if (!dir.isAbsolute()) {
            return Optional.of("the socket directory \"" + Untrusted.shown(dir.toString(), 120)
                    + "\" must be an absolute path (pgBackRest reaches PostgreSQL through it)");
        }
        int bytes = dir.toString().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_SOCKET_DIR_BYTES) {
            return Optional.of("the socket directory " + Untrusted.shown(dir.toString(), 120) + " is " + bytes
                    + " bytes long, more than " + MAX_SOCKET_DIR_BYTES + " (a Unix socket's path is at most 107): "
                    + "set postgresql.parameters.unix_socket_directories to a shorter directory, or move "
                    + "postgresql.data_dir");
        }
        return Optional.empty();
    }

    /** The pgBackRest program: {@code backup.pgbackrest}, else {@code pgbackrest} from the PATH. */
    public static String program(BackupConfig backup) {
        return backup.pgbackrest() != null ? backup.pgbackrest().toString() : "pgbackrest";
    }

    // ---------------------------------------------------------------- the configuration file

    /**
     * What the configuration file says about the node, taken from Baton's configuration.
     *
     * @param sourceScopes other stanzas this node reads from (a restore from another scope): each gets a
     *                     section with the same {@code pg1-*} settings, so that {@code restore} and the
     *                     {@code archive-get} of its recovery find {@code pg1-path}
     */
    public record Node(String scope, Path dataDir, int port, Path socketDir, String superuser,
                       List<String> sourceScopes) {
        public Node {
            sourceScopes = sourceScopes == null ? List.of() : List.copyOf(sourceScopes);
        }
    }

    /** The node of {@code config}, with {@code bootstrap.restore.from_scope} and {@code more} as sources. */
    public static Node node(BatonConfig config, String... more) {
        java.util.Set<String> sources = new java.util.LinkedHashSet<>();
        RestoreConfig restore = config.bootstrap() == null ? null : config.bootstrap().restore();
        if (restore != null && restore.fromScope() != null) {
            sources.add(restore.fromScope());
        }
        for (String s : more) {
            if (s != null) {
                sources.add(s);
            }
        }
        sources.remove(config.scope());
        return new Node(config.scope(), dataDir(config), config.postgresql().listenPort(), socketDir(config),
                config.postgresql().authentication().superuser().username(), new ArrayList<>(sources));
    }

    /**
     * The node's pgBackRest configuration file (written with mode 0600: it may hold S3 keys).
     *
     * @param env        the agent's environment: {@code AWS_ACCESS_KEY_ID} with {@code AWS_SECRET_ACCESS_KEY}
     *                   (and {@code AWS_SESSION_TOKEN}) are written for an s3 repository
     *                   ({@code repo1-s3-key-type=shared}); without them the instance role is used
     *                   ({@code auto})
     * @param processMax pgBackRest's {@code process-max} (1 or 2)
     * @throws IllegalArgumentException a value holds a control character or the scope is no stanza name
     *                                  (the message names the option, never a secret)
     */
    public static String conf(BackupConfig backup, Node node, Map<String, String> env, int processMax) {
        checkScope(node.scope());
        BackupConfig.Repository repo = backup.repository();
        Map<String, String> global = new LinkedHashMap<>();
        global.put("repo1-type", repo.type().key());
        global.put("repo1-path", repo.path());
        if (repo.type() == BackupConfig.RepositoryType.S3) {
            global.put("repo1-s3-bucket", repo.bucket());
            global.put("repo1-s3-region", repo.region());
            Endpoint ep = endpoint(repo.endpoint(), repo.region());
            global.put("repo1-s3-endpoint", ep.host());
            if (ep.port() > 0) {
                global.put("repo1-storage-port", Integer.toString(ep.port()));
            }
            global.put("repo1-s3-uri-style", repo.uriStyle() == null ? "host" : repo.uriStyle());
            global.put("repo1-storage-verify-tls", repo.verifyTls() ? "y" : "n");
            if (repo.caFile() != null) {
                global.put("repo1-storage-ca-file", repo.caFile().toString());
            }
            String key = blankToNull(env.get("AWS_ACCESS_KEY_ID"));
            String secret = blankToNull(env.get("AWS_SECRET_ACCESS_KEY"));
            if (key != null && secret != null) {
                global.put("repo1-s3-key-type", "shared");
                global.put("repo1-s3-key", key);
                global.put("repo1-s3-key-secret", secret);
                String token = blankToNull(env.get("AWS_SESSION_TOKEN"));
                if (token != null) {
                    global.put("repo1-s3-token", token);
                }
            } else {
                global.put("repo1-s3-key-type", "auto");
            }
        }
        global.put("repo1-retention-full", Integer.toString(backup.retentionFull()));
        global.put("lock-path", lockPath(node.dataDir()).toString());
        global.put("log-path", logPath(node.dataDir()).toString());
        global.put("spool-path", spoolPath(node.dataDir()).toString());
        global.put("log-level-file", "info");
        global.put("start-fast", "y");
        // Baton archives with archive_mode=always (reference fact 3), which pgBackRest's backup refuses
        // unless told not to check: duplicates from a standby are accepted when their checksum matches.
        global.put("archive-mode-check", "n");
        global.put("process-max", Integer.toString(Math.max(1, Math.min(2, processMax))));
        Map<String, String> stanza = new LinkedHashMap<>();
        stanza.put("pg1-path", node.dataDir().toString());
        stanza.put("pg1-port", Integer.toString(node.port()));
        stanza.put("pg1-socket-path", node.socketDir().toString());
        stanza.put("pg1-user", node.superuser());
        StringBuilder sb = new StringBuilder(HEADER).append("\n[global]\n");
        global.forEach((k, v) -> sb.append(option(k, v)));
        List<String> sections = new ArrayList<>();
        sections.add(node.scope());
        for (String source : node.sourceScopes()) {
            if (!sections.contains(checkScope(source))) {
                sections.add(source);
            }
        }
        for (String section : sections) {
            sb.append("\n[").append(section).append("]\n");
            stanza.forEach((k, v) -> sb.append(option(k, v)));
        }
        return sb.toString();
    }

    /** The S3 endpoint's host and port (0: pgBackRest's default, 443). */
    record Endpoint(String host, int port) {
    }

    /** {@code https://host:port/}, {@code host:port} or {@code host}; the region's AWS endpoint when null. */
    static Endpoint endpoint(String endpoint, String region) {
        String e = endpoint == null ? "s3." + region + ".amazonaws.com" : endpoint.strip();
        if (e.startsWith("https://")) {
            e = e.substring("https://".length());
        }
        if (e.endsWith("/")) {
            e = e.substring(0, e.length() - 1);
        }
        int colon = e.lastIndexOf(':');
        if (colon > 0) {
            try {
                return new Endpoint(e.substring(0, colon), Integer.parseInt(e.substring(colon + 1)));
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException("the S3 endpoint \"" + Untrusted.shown(endpoint, 100)
                        + "\" has no valid port");
            }
        }
        return new Endpoint(e, 0);
    }

    /** One {@code key=value} line; pgBackRest reads the value to the end of the line, as is. */
    static String option(String key, String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("pgBackRest option " + key + " has no value");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                throw new IllegalArgumentException("pgBackRest option " + key
                        + " contains a control character, which Baton does not write into its configuration file");
            }
        }
        if (!value.equals(value.strip())) {
            throw new IllegalArgumentException("pgBackRest option " + key
                    + " starts or ends with white space, which its configuration file cannot carry");
        }
        return key + "=" + value + "\n";
    }

    // ---------------------------------------------------------------- PostgreSQL's side

    /**
     * The parameters Baton sets in postgresql.conf with a repository, in this order:
     * {@code archive_mode=always} (reference fact 3), {@code archive_command},
     * {@code restore_command} (the node's own stanza), {@code archive_timeout} and
     * {@code unix_socket_directories}.
     */
    public static Map<String, String> parameters(BatonConfig config) {
        BackupConfig backup = config.backup();
        Path conf = confFile(dataDir(config));
        String program = program(backup);
        Map<String, String> p = new LinkedHashMap<>();
        p.put("archive_mode", "always");
        p.put("archive_command", archiveCommand(program, conf, config.scope()));
        p.put("restore_command", restoreCommand(program, conf, config.scope()));
        p.put("archive_timeout", Integer.toString(backup.archiveTimeout()));
        p.put("unix_socket_directories", unixSocketDirectories(config));
        return p;
    }

    /** {@code <pgbackrest> --config=<conf> --stanza=<scope> archive-push %p}, paths shell-quoted. */
    public static String archiveCommand(String program, Path conf, String scope) {
        return command(program, conf, scope) + " archive-push %p";
    }

    /** {@code <pgbackrest> --config=<conf> --stanza=<scope> archive-get %f "%p"}, paths shell-quoted. */
    public static String restoreCommand(String program, Path conf, String scope) {
        return command(program, conf, scope) + " archive-get %f \"%p\"";
    }

    private static String command(String program, Path conf, String scope) {
        checkScope(scope);
        return percent(shellQuote(program)) + " " + percent(shellQuote("--config=" + conf)) + " --stanza=" + scope;
    }

    /** PostgreSQL reads {@code %} in archive_command and restore_command as an escape: {@code %%} is one. */
    private static String percent(String s) {
        return s.replace("%", "%%");
    }

    /**
     * {@code s} as one shell word: as is when it is plain, else in single quotes ({@code '} as
     * {@code '\''}).
     *
     * @throws IllegalArgumentException it holds a control character
     */
    static String shellQuote(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isISOControl(s.charAt(i))) {
                throw new IllegalArgumentException("\"" + Untrusted.shown(s, 100)
                        + "\" contains a control character, which Baton does not put into a shell command");
            }
        }
        if (SHELL_PLAIN.matcher(s).matches()) {
            return s;
        }
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /**
     * Refuses a scope that is not a plain stanza name (letters, digits, {@code _ . -}).
     *
     * @throws IllegalArgumentException naming it
     */
    public static String checkScope(String scope) {
        if (scope == null || !SCOPE.matcher(scope).matches()) {
            throw new IllegalArgumentException("the scope \"" + Untrusted.shown(scope, 60) + "\" cannot be a "
                    + "pgBackRest stanza (letters, digits, '_', '.', '-')");
        }
        return scope;
    }

    // ---------------------------------------------------------------- the TLS server and standby backups

    /** A CommonName pgBackRest's {@code tls-server-auth} can carry ({@code CN=stanza}, comma-separated lists). */
    private static final Pattern COMMON_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");

    /**
     * The CommonName of an X.500 subject in RFC 2253 form: with several, the first in the
     * certificate's own (DER) order, the one pgBackRest reads.
     *
     * @throws IllegalArgumentException it has none, or one that {@code tls-server-auth} cannot carry
     */
    public static String commonName(String rfc2253Subject) {
        String cn = null;
        try {
            for (javax.naming.ldap.Rdn rdn : new javax.naming.ldap.LdapName(rfc2253Subject).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    cn = String.valueOf(rdn.getValue()); // getRdns() runs in DER order (rightmost first)
                    break;
                }
            }
        } catch (javax.naming.InvalidNameException e) {
            throw new IllegalArgumentException("the certificate's subject \"" + Untrusted.shown(rfc2253Subject, 120)
                    + "\" cannot be read");
        }
        if (cn == null) {
            throw new IllegalArgumentException("the certificate has no CommonName (subject \""
                    + Untrusted.shown(rfc2253Subject, 120) + "\"): pgBackRest's TLS server accepts a client by the "
                    + "CommonName of its certificate; create one with baton certs node --cn NAME");
        }
        if (!COMMON_NAME.matcher(cn).matches()) {
            throw new IllegalArgumentException("the certificate's CommonName \"" + Untrusted.shown(cn, 80)
                    + "\" is not one pgBackRest's tls-server-auth can name (letters, digits, '.', '_', '@', '-')");
        }
        return cn;
    }

    /**
     * The arguments after {@code --config=...} of {@code pgbackrest server}: TLS on the listen
     * address, the member's certificate, and only clients with {@code commonName} (the members'
     * shared CommonName) allowed, for the scope's stanza only.
     */
    public static List<String> serverArgs(BackupConfig.Server server, String commonName, String stanza) {
        dev.baton.config.TlsFiles tls = server.tls();
        return List.of("--log-level-console=warn", "--tls-server-address=" + plain(server.listen().host()),
                "--tls-server-port=" + server.listen().port(),
                "--tls-server-cert-file=" + plain(tls.certfile().toString()),
                "--tls-server-key-file=" + plain(tls.keyfile().toString()),
                "--tls-server-ca-file=" + plain(tls.cafile().toString()),
                "--tls-server-auth=" + checkCommonName(commonName) + "=" + checkScope(stanza), "server");
    }

    private static String checkCommonName(String cn) {
        if (cn == null || !COMMON_NAME.matcher(cn).matches()) {
            throw new IllegalArgumentException("the CommonName \"" + Untrusted.shown(cn, 80)
                    + "\" is not one pgBackRest's tls-server-auth can name (letters, digits, '.', '_', '@', '-')");
        }
        return cn;
    }

    /**
     * The arguments after {@code --config=...} of a backup taken on this standby
     * ({@code --backup-standby}): the files are copied here, while pgBackRest starts and stops the
     * backup on {@code primary} through its TLS server ({@code pg2-*}), presenting this member's
     * certificate.
     */
    public static List<String> standbyBackupArgs(String stanza, BackupType type, PgBackRestPeer primary,
            dev.baton.config.TlsFiles tls) {
        return List.of("--stanza=" + checkScope(stanza), "--log-level-console=detail", "--type=" + type.key(),
                "--backup-standby", "--pg2-host=" + plain(primary.host()), "--pg2-host-type=tls",
                "--pg2-host-port=" + primary.port(),
                "--pg2-host-cert-file=" + plain(tls.certfile().toString()),
                "--pg2-host-key-file=" + plain(tls.keyfile().toString()),
                "--pg2-host-ca-file=" + plain(tls.cafile().toString()),
                "--pg2-host-config=" + plain(primary.config().toString()),
                "--pg2-path=" + plain(primary.pgPath().toString()), "--pg2-port=" + primary.pgPort(),
                "--pg2-socket-path=" + plain(primary.pgSocketPath().toString()),
                "--pg2-user=" + plain(primary.pgUser()), "backup");
    }

    /** An option value with no control character or white space at its ends. */
    private static String plain(String value) {
        option("value", value);
        return value;
    }

    // ---------------------------------------------------------------- restore

    /** pgBackRest's time: {@code YYYY-MM-DD HH:MM:SS.ffffff+00} (reference fact 4: it refuses ISO 8601). */
    public static String time(Instant t) {
        return PGBACKREST_TIME.format(t) + "+00";
    }

    /**
     * The arguments after {@code --config=...} of a standby restore of the stanza's latest backup
     * ({@code --type=standby}: pgBackRest writes standby.signal and a restore_command).
     */
    public static List<String> restoreStandbyArgs(String stanza) {
        return List.of("--stanza=" + checkScope(stanza), "--log-level-console=detail", "--type=standby", "restore");
    }

    /**
     * The arguments after {@code --config=...} of a restore of a new cluster from {@code stanza}:
     * {@code --type=default} (to the end of the archive, then promote) for {@code latest}, else
     * {@code --type=time|lsn --target=... --target-action=promote} (reference fact 5: without it the
     * server pauses in recovery).
     */
    public static List<String> restoreArgs(String stanza, RestoreConfig target) {
        List<String> args = new ArrayList<>(List.of("--stanza=" + checkScope(stanza), "--log-level-console=detail"));
        if (target == null || target.latest()) {
            args.add("--type=default");
        } else if (target.targetTime() != null) {
            args.add("--type=time");
            args.add("--target=" + time(target.targetTime()));
            args.add("--target-action=promote");
        } else {
            if (!LSN.matcher(target.targetLsn()).matches()) {
                throw new IllegalArgumentException("\"" + Untrusted.shown(target.targetLsn(), 40)
                        + "\" is not a WAL position such as 0/3000060");
            }
            args.add("--type=lsn");
            args.add("--target=" + target.targetLsn());
            args.add("--target-action=promote");
        }
        args.add("restore");
        return List.copyOf(args);
    }

    /**
     * postgresql.auto.conf without what a pgBackRest restore wrote into it ({@code restore_command},
     * {@code recovery_target*}, {@code archive_mode}, and its comment line); every other line kept.
     */
    public static String stripRestoreSettings(String autoConf) {
        StringBuilder sb = new StringBuilder();
        for (String line : autoConf.split("\n", -1)) {
            if (RESTORE_KEY.matcher(line).matches() || line.startsWith("# Recovery settings generated by pgBackRest")
                    || line.startsWith("# Removed by pgBackRest restore")) {
                continue;
            }
            sb.append(line).append('\n');
        }
        // split keeps a last empty piece after a final line break: do not add one more
        return sb.substring(0, Math.max(0, sb.length() - 1));
    }

    // ---------------------------------------------------------------- reading pgBackRest's output

    /**
     * The backups of {@code stanza} in {@code pgbackrest info --output=json}, oldest first. A
     * missing stanza (no backups yet) is an empty list.
     *
     * @throws BackupException the text is not pgBackRest's JSON (the message shows its beginning)
     */
    public static List<BackupInfo> parseInfo(String json, String stanza) {
        JsonNode root;
        try {
            root = JSON.readTree(json == null ? "" : json.strip());
        } catch (JsonProcessingException e) {
            throw new BackupException("pgbackrest info did not print JSON: \"" + Untrusted.shown(json, 200) + "\"");
        }
        if (root == null || root.isMissingNode() || !root.isArray()) {
            throw new BackupException("pgbackrest info did not print a JSON array: \""
                    + Untrusted.shown(json, 200) + "\"");
        }
        List<BackupInfo> out = new ArrayList<>();
        for (JsonNode s : root) {
            if (!s.isObject()) {
                throw new BackupException("pgbackrest info printed a stanza that is not an object: \""
                        + Untrusted.shown(s.toString(), 200) + "\"");
            }
            if (stanza != null && s.hasNonNull("name") && !stanza.equals(s.get("name").asText())) {
                continue;
            }
            JsonNode backups = s.path("backup");
            if (backups.isMissingNode() || backups.isNull()) {
                continue;
            }
            if (!backups.isArray()) {
                throw new BackupException("pgbackrest info: \"backup\" is not an array: \""
                        + Untrusted.shown(backups.toString(), 200) + "\"");
            }
            for (JsonNode b : backups) {
                out.add(backup(b));
            }
        }
        out.sort((a, b) -> a.start() == null || b.start() == null ? 0 : a.start().compareTo(b.start()));
        return List.copyOf(out);
    }

    private static BackupInfo backup(JsonNode b) {
        String label = text(b, "label");
        if (label == null) {
            throw new BackupException("pgbackrest info: a backup without a label: \""
                    + Untrusted.shown(b.toString(), 200) + "\"");
        }
        String typeText = text(b, "type");
        BackupType type = BackupType.of(typeText).orElseThrow(() -> new BackupException("pgbackrest info: backup "
                + Untrusted.shown(label, 60) + " has an unknown type \"" + Untrusted.shown(typeText, 20) + "\""));
        return new BackupInfo(label, type, epoch(b.path("timestamp").path("start")),
                epoch(b.path("timestamp").path("stop")), text(b.path("archive"), "start"),
                text(b.path("archive"), "stop"), b.path("info").path("size").asLong(0),
                b.path("info").path("repository").path("size").asLong(0), text(b.path("lsn"), "start"),
                text(b.path("lsn"), "stop"));
    }

    private static Instant epoch(JsonNode n) {
        return n.isNumber() || n.isTextual() && n.asText().matches("\\d+") ? Instant.ofEpochSecond(n.asLong()) : null;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isValueNode() && !v.isNull() ? v.asText() : null;
    }

    /** One file of a backup or restore: its size and the share of the whole done with it. */
    public record FileProgress(long bytes, double percent) {
    }

    /**
     * The progress in one line pgBackRest prints at {@code --log-level-console=detail}, e.g.
     * {@code P01 DETAIL: backup file /data/base/1/1249 (440KB, 19.88%) checksum ...}; empty for any
     * other line.
     */
    public static Optional<FileProgress> parseProgress(String line) {
        if (line == null || !line.contains("%)")) {
            return Optional.empty();
        }
        Matcher m = PROGRESS.matcher(line);
        if (!m.find()) {
            return Optional.empty();
        }
        double number = Double.parseDouble(m.group(1));
        long unit = switch (m.group(2)) {
            case "KB" -> 1L << 10;
            case "MB" -> 1L << 20;
            case "GB" -> 1L << 30;
            case "TB" -> 1L << 40;
            case "PB" -> 1L << 50;
            default -> 1L;
        };
        double percent = Double.parseDouble(m.group(3));
        if (percent > 100) {
            return Optional.empty();
        }
        return Optional.of(new FileProgress(Math.round(number * unit), percent));
    }

    /**
     * Turns the progress lines of one pgBackRest run into {@link BackupProgress} updates: bytes done
     * are the sum of the files' sizes, the total is what the percentage implies (0 until then).
     */
    public static final class ProgressTracker implements java.util.function.Consumer<String> {
        private final BackupProgress progress;
        private long done;

        public ProgressTracker(BackupProgress progress) {
            this.progress = progress == null ? BackupProgress.NONE : progress;
        }

        @Override
        public void accept(String line) {
            parseProgress(line).ifPresent(f -> {
                done += f.bytes();
                long total = f.percent() > 0 ? Math.max(done, Math.round(done * 100.0 / f.percent())) : 0;
                progress.update(done, total);
            });
        }

        public long done() {
            return done;
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
