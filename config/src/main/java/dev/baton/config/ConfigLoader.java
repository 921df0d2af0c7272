package dev.baton.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Loads a Patroni-style YAML file, applies environment overrides and validates the result,
 * reporting every problem with its key path. Never throws for bad content.
 */
public final class ConfigLoader {

    /** An environment override: {@code BATON_<suffix>} (or {@code PATRONI_<suffix>}) sets {@code path}. */
    private record EnvOverride(String suffix, String path) {
    }

    /** "{etcd}" stands for the etcd section in use: etcd3, or its alias etcd. */
    private static final List<EnvOverride> ENV_OVERRIDES = List.of(
            new EnvOverride("SCOPE", "scope"),
            new EnvOverride("NAMESPACE", "namespace"),
            new EnvOverride("NAME", "name"),
            new EnvOverride("RESTAPI_LISTEN", "restapi.listen"),
            new EnvOverride("RESTAPI_CONNECT_ADDRESS", "restapi.connect_address"),
            new EnvOverride("ETCD3_HOSTS", "{etcd}.hosts"),
            new EnvOverride("ETCD3_HOST", "{etcd}.host"),
            new EnvOverride("POSTGRESQL_LISTEN", "postgresql.listen"),
            new EnvOverride("POSTGRESQL_CONNECT_ADDRESS", "postgresql.connect_address"),
            new EnvOverride("POSTGRESQL_DATA_DIR", "postgresql.data_dir"),
            new EnvOverride("POSTGRESQL_BIN_DIR", "postgresql.bin_dir"),
            new EnvOverride("POSTGRESQL_PGPASS", "postgresql.pgpass"),
            new EnvOverride("SUPERUSER_USERNAME", "postgresql.authentication.superuser.username"),
            new EnvOverride("SUPERUSER_PASSWORD", "postgresql.authentication.superuser.password"),
            new EnvOverride("REPLICATION_USERNAME", "postgresql.authentication.replication.username"),
            new EnvOverride("REPLICATION_PASSWORD", "postgresql.authentication.replication.password"),
            new EnvOverride("LOG_LEVEL", "log.level"),
            new EnvOverride("LOG_FORMAT", "log.format"));

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final Set<String> INITDB_FORBIDDEN = Set.of("pgdata", "nosync", "pwfile", "sync-only", "version");
    private static final List<String> LOG_LEVELS = List.of("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL");
    // aws section
    private static final Pattern AWS_REGION = Pattern.compile("[a-z]{2,}(-[a-z0-9]+)+");
    private static final Pattern TARGET_GROUP_ARN = Pattern.compile(
            "arn:aws(-[a-z]+)*:elasticloadbalancing:([a-z0-9-]+):[0-9]{12}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]+");
    private static final Pattern CLASSIC_ELB_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?");
    private static final Pattern INSTANCE_ID = Pattern.compile("i-[0-9a-f]{8,17}");
    private static final Pattern IPV4 = Pattern.compile("([0-9]{1,3}\\.){3}[0-9]{1,3}");

    private final Map<String, String> env;
    private final ObjectReader yaml = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build().reader();

    /** @param env the process environment ({@code System.getenv()} in production) */
    public ConfigLoader(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    /** Loads a file; an unreadable file or broken YAML is reported as an error, not thrown. */
    public LoadResult load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException | RuntimeException e) {
            return failed(file.toString(), "cannot read file: " + e);
        }
        return parse(text, file.toString());
    }

    /** Loads YAML text; "" with environment overrides alone is a valid way to configure a node. */
    public LoadResult loadString(String yaml) {
        return parse(yaml == null ? "" : yaml, "<string>");
    }

    private LoadResult parse(String text, String source) {
        JsonNode tree;
        try {
            tree = yaml.readTree(text);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? source : source + ":" + at.getLineNr() + ":" + at.getColumnNr();
            return failed(where, "invalid YAML: " + oneLine(e.getOriginalMessage()));
        } catch (RuntimeException e) {
            return failed(source, "invalid YAML: " + oneLine(e.getMessage()));
        }
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            tree = JsonNodeFactory.instance.objectNode();
        }
        if (!tree.isObject()) {
            return failed(source, "must be a YAML map of settings, got " + ConfigNode.describe(tree));
        }
        Issues issues = new Issues();
        BatonConfig config = read((ObjectNode) tree, issues);
        return new LoadResult(issues.errors().isEmpty() ? config : null, issues.errors(), issues.warnings());
    }

    /** SnakeYAML's messages quote the source with a caret over several lines; keep the prose only. */
    private static String oneLine(String message) {
        return String.valueOf(message).lines()
                .filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0)))
                .collect(Collectors.joining("; "));
    }

    private static LoadResult failed(String path, String message) {
        return new LoadResult(null, List.of(new ConfigError(path, message)), List.of());
    }

    // ---- environment ----

    private void applyEnv(ObjectNode tree, String etcdKey, Issues issues) {
        for (EnvOverride o : ENV_OVERRIDES) {
            String variable = "BATON_" + o.suffix();
            String value = env.get(variable);
            if (value == null || value.isEmpty()) {
                variable = "PATRONI_" + o.suffix();
                value = env.get(variable);
            }
            if (value == null || value.isEmpty()) {
                continue;
            }
            String path = o.path().replace("{etcd}", etcdKey);
            if (set(tree, path, value)) {
                issues.fromEnv(path, variable);
                // An overridden etcd host list replaces the file's, whichever of host/hosts it used.
                if (path.equals(etcdKey + ".hosts")) {
                    ((ObjectNode) tree.get(etcdKey)).remove("host");
                } else if (path.equals(etcdKey + ".host")) {
                    ((ObjectNode) tree.get(etcdKey)).remove("hosts");
                }
            }
        }
    }

    /** Sets a dotted path to a string, creating maps; false if a section in the way is not a map. */
    private static boolean set(ObjectNode tree, String path, String value) {
        String[] keys = path.split("\\.");
        ObjectNode node = tree;
        for (int i = 0; i < keys.length - 1; i++) {
            JsonNode child = node.get(keys[i]);
            if (child == null || child.isNull()) {
                child = node.putObject(keys[i]);
            }
            if (!child.isObject()) {
                return false; // the section's own type error is reported when it is read
            }
            node = (ObjectNode) child;
        }
        node.put(keys[keys.length - 1], value);
        return true;
    }

    // ---- the walk ----

    private BatonConfig read(ObjectNode tree, Issues issues) {
        String etcdKey = tree.has("etcd3") || !tree.has("etcd") ? "etcd3" : "etcd";
        applyEnv(tree, etcdKey, issues);
        ConfigNode root = new ConfigNode(tree, "", issues);

        String scope = required(root, "scope");
        if (scope != null && scope.contains("/")) {
            issues.error("scope", "must not contain \"/\", got \"" + scope + "\"");
        }
        String namespace = root.string("namespace", null);
        String name = required(root, "name");
        if (name != null && !NAME.matcher(name).matches()) {
            issues.error("name", "must contain only letters, digits, '_', '.' and '-', got \"" + name + "\"");
        }
        RestApiConfig restapi = restapi(root.map("restapi"));
        if (etcdKey.equals("etcd")) {
            issues.warn("etcd", "read as etcd3: Baton speaks only the etcd v3 API (rename the section to etcd3)");
        } else {
            root.ignore("etcd", ConfigNode.UNSUPPORTED + " (etcd3 is used)");
        }
        EtcdConfig etcd = etcd(root.map(etcdKey));
        BootstrapConfig bootstrap = bootstrap(root.map("bootstrap"));
        PostgresConfig postgresql = postgresql(root.map("postgresql"), name);
        Tags tags = tags(root.map("tags"));
        LogConfig log = log(root.map("log"));
        WatchdogConfig watchdog = watchdog(root.map("watchdog"));
        JsonNode awsSection = root.value("aws");
        ConfigNode awsNode = root.map("aws");
        AwsConfig aws = awsSection != null && awsSection.isObject() ? aws(awsNode, postgresql) : null;
        root.unsupported("consul", "zookeeper", "exhibitor", "kubernetes", "raft", "citus", "ctl");
        root.finish();

        checkPortClash(restapi, postgresql, issues);
        return new BatonConfig(scope, namespace, name, restapi, etcd, bootstrap, postgresql, tags, log, watchdog, aws);
    }

    private static String required(ConfigNode n, String key) {
        String value = n.string(key, null);
        if (value == null || value.isBlank()) {
            if (!n.issues().hasError(n.path(key))) {
                n.issues().error(n.path(key), "is required");
            }
            return null;
        }
        return value;
    }

    /** Parses a host:port; with {@code connect} the host must be one others can connect to. */
    private static String address(ConfigNode n, String key, boolean isRequired, boolean connect) {
        String value = isRequired ? required(n, key) : n.string(key, null);
        if (value == null) {
            return null;
        }
        try {
            HostPort hp = HostPort.parse(value);
            if (connect && hp.isWildcard()) {
                n.issues().error(n.path(key), "must be an address other members can connect to, got \"" + value + "\"");
                return null;
            }
            return hp.toString();
        } catch (IllegalArgumentException e) {
            n.issues().error(n.path(key), e.getMessage());
            return null;
        }
    }

    private static RestApiConfig restapi(ConfigNode n) {
        String listen = address(n, "listen", true, false);
        String connect = address(n, "connect_address", false, true);
        n.unsupported("authentication", "certfile", "keyfile", "keyfile_password", "cafile", "ciphers",
                "verify_client", "allowlist", "allowlist_include_members", "http_extra_headers",
                "https_extra_headers", "request_queue_size", "server_tokens", "proxy_address");
        n.finish();
        return new RestApiConfig(listen, connect);
    }

    private static EtcdConfig etcd(ConfigNode n) {
        List<String> raw = new ArrayList<>();
        String listKey = "hosts";
        JsonNode hosts = n.value("hosts");
        if (hosts != null && hosts.isArray()) {
            for (int i = 0; i < hosts.size(); i++) {
                String s = n.text(hosts.get(i), n.path("hosts") + "[" + i + "]");
                raw.add(s == null ? "" : s);
            }
        } else if (hosts != null && hosts.isValueNode()) {
            raw.addAll(splitHostList(hosts.asText()));
        } else if (hosts != null) {
            n.issues().error(n.path("hosts"), "must be a list of host:port or a comma-separated string, got "
                    + ConfigNode.describe(hosts));
        }
        if (hosts != null) {
            n.ignore("host", "ignored, " + n.path("hosts") + " is set");
        } else if (n.value("host") != null) {
            listKey = "host";
            raw.add(n.string("host", ""));
        }
        List<String> valid = new ArrayList<>();
        for (int i = 0; i < raw.size(); i++) {
            String itemPath = listKey.equals("host") ? n.path("host") : n.path("hosts") + "[" + i + "]";
            if (n.issues().hasError(itemPath)) {
                continue;
            }
            try {
                valid.add(HostPort.parse(raw.get(i)).toString());
            } catch (IllegalArgumentException e) {
                n.issues().error(itemPath, e.getMessage());
            }
        }
        if (raw.isEmpty() && !n.issues().hasError(n.path("hosts"))) {
            n.issues().error(n.path("hosts"), "at least one etcd host is required (" + n.path("hosts") + " or "
                    + n.path("host") + ")");
        }
        String protocol = n.string("protocol", EtcdConfig.DEFAULT_PROTOCOL).toLowerCase(Locale.ROOT);
        if (!protocol.equals("http") && !protocol.equals("https")) {
            n.issues().error(n.path("protocol"), "must be http or https, got \"" + protocol + "\"");
        }
        n.unsupported("url", "urls", "proxy", "srv", "srv_suffix", "cacert", "cert", "key", "username", "password");
        n.finish();
        return new EtcdConfig(valid, protocol);
    }

    /** Patroni's list syntax for env vars: "h1:2379,h2:2379", also "['h1:2379','h2:2379']". */
    private static List<String> splitHostList(String text) {
        String s = text.trim();
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        List<String> out = new ArrayList<>();
        for (String item : s.split(",", -1)) {
            String h = item.trim();
            if (h.length() >= 2 && (h.charAt(0) == '\'' || h.charAt(0) == '"') && h.charAt(h.length() - 1) == h.charAt(0)) {
                h = h.substring(1, h.length() - 1);
            }
            out.add(h);
        }
        return out;
    }

    private static BootstrapConfig bootstrap(ConfigNode n) {
        DynamicConfig dcs = DynamicConfig.read(n.map("dcs"));
        List<String> initdb = new ArrayList<>();
        List<JsonNode> items = n.list("initdb");
        for (int i = 0; i < items.size(); i++) {
            String arg = initdbArg(items.get(i), n.path("initdb") + "[" + i + "]", n);
            if (arg != null) {
                initdb.add(arg);
            }
        }
        List<String> pgHba = n.strings("pg_hba");
        n.unsupported("users", "post_bootstrap", "post_init", "method");
        n.finish();
        return new BootstrapConfig(dcs, initdb, pgHba);
    }

    /** "data-checksums" becomes "--data-checksums"; {encoding: UTF8} becomes "--encoding=UTF8". */
    private static String initdbArg(JsonNode item, String path, ConfigNode n) {
        String option;
        String value = null;
        if (item.isTextual()) {
            option = item.textValue().trim();
        } else if (item.isObject() && item.size() == 1) {
            Map.Entry<String, JsonNode> e = item.fields().next();
            option = e.getKey().trim();
            if (!e.getValue().isNull()) {
                value = n.text(e.getValue(), path + "." + e.getKey());
                if (value == null) {
                    return null;
                }
            }
        } else {
            n.issues().error(path, "must be an option name or a map with one option, got " + ConfigNode.describe(item));
            return null;
        }
        option = option.replaceFirst("^--?", "");
        String bare = option.contains("=") ? option.substring(0, option.indexOf('=')) : option;
        if (bare.isEmpty()) {
            n.issues().error(path, "must be an option name, got " + ConfigNode.describe(item));
            return null;
        }
        if (INITDB_FORBIDDEN.contains(bare)) {
            n.issues().error(path, "initdb option --" + bare + " is set by Baton and may not be given here");
            return null;
        }
        return "--" + option + (value == null ? "" : "=" + value);
    }

    private static PostgresConfig postgresql(ConfigNode n, String name) {
        String listen = address(n, "listen", true, false);
        String connect = address(n, "connect_address", false, true);
        Path dataDir = n.file("data_dir");
        if (dataDir == null && !n.issues().hasError(n.path("data_dir"))) {
            n.issues().error(n.path("data_dir"), "is required");
        }
        Path binDir = n.file("bin_dir");
        Path pgpass = n.file("pgpass");
        if (pgpass == null && dataDir != null && name != null) {
            pgpass = PostgresConfig.defaultPgpass(dataDir, name);
        }
        ConfigNode auth = n.map("authentication");
        Credentials superuser = credentials(auth.map("superuser"), Authentication.DEFAULT_SUPERUSER);
        Credentials replication = credentials(auth.map("replication"), Authentication.DEFAULT_REPLICATION_USER);
        auth.unsupported("rewind");
        auth.finish();
        Map<String, String> parameters = n.parameters("parameters");
        List<String> pgHba = n.strings("pg_hba");
        Callbacks callbacks = callbacks(n.map("callbacks"));
        boolean removeDataDir = n.bool("remove_data_directory_on_rewind_failure", false);
        Boolean usePgRewind = n.boolOrNull("use_pg_rewind");
        n.unsupported("pg_ctl_timeout", "create_replica_methods", "basebackup", "recovery_conf", "custom_conf",
                "config_dir", "use_unix_socket", "use_unix_socket_repl", "pg_ident", "pre_promote", "before_stop",
                "remove_data_directory_on_diverged_timelines", "proxy_address", "database", "bin_name",
                "replica_method", "use_slots", "cancel_sighup");
        n.finish();
        return new PostgresConfig(listen, connect, dataDir, binDir, pgpass, new Authentication(superuser, replication),
                parameters, pgHba, callbacks, removeDataDir, usePgRewind);
    }

    private static Credentials credentials(ConfigNode n, String defaultUser) {
        String username = n.string("username", defaultUser);
        if (username.isBlank()) {
            n.issues().error(n.path("username"), "must not be empty");
        }
        String password = n.string("password", null);
        if (password == null && !n.issues().hasError(n.path("password"))) {
            n.issues().warn(n.path("password"),
                    "not set; connections as " + username + " work only where pg_hba.conf needs no password");
        }
        n.unsupported("sslmode", "sslkey", "sslpassword", "sslcert", "sslrootcert", "sslcrl", "sslcrldir",
                "sslnegotiation", "gssencmode", "channel_binding");
        n.finish();
        return new Credentials(username, password);
    }

    private static Callbacks callbacks(ConfigNode n) {
        Callbacks c = new Callbacks(command(n, "on_start"), command(n, "on_stop"), command(n, "on_role_change"),
                command(n, "on_restart"), command(n, "on_reload"));
        n.finish();
        return c;
    }

    private static String command(ConfigNode n, String key) {
        String s = n.string(key, null);
        return s == null || s.isBlank() ? null : s;
    }

    private static Tags tags(ConfigNode n) {
        boolean nofailover = n.bool("nofailover", false);
        boolean noloadbalance = n.bool("noloadbalance", false);
        boolean nosync = n.bool("nosync", false);
        boolean clonefrom = n.bool("clonefrom", false);
        Integer priority = n.integerOrNull("failover_priority");
        if (priority != null && priority < 0) {
            n.issues().error(n.path("failover_priority"), "must be >= 0, got " + priority);
        }
        for (String tag : List.of("replicatefrom", "nostream")) {
            n.ignore(tag, "Patroni tag not supported by Baton: published, but has no effect");
        }
        Map<String, Object> all = new LinkedHashMap<>();
        for (Iterator<String> it = n.keys(); it.hasNext();) {
            String tag = it.next();
            all.put(tag, toJava(n.value(tag)));
        }
        return new Tags(nofailover, noloadbalance, nosync, clonefrom, priority, all);
    }

    /** A YAML value as plain, unmodifiable Java data. */
    private static Object toJava(JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            v.fields().forEachRemaining(e -> m.put(e.getKey(), toJava(e.getValue())));
            return Collections.unmodifiableMap(m);
        }
        if (v.isArray()) {
            List<Object> l = new ArrayList<>();
            v.forEach(item -> l.add(toJava(item)));
            return Collections.unmodifiableList(l);
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        return v.isNumber() ? v.numberValue() : v.asText();
    }

    private static LogConfig log(ConfigNode n) {
        String level = n.string("level", LogConfig.DEFAULT_LEVEL).trim().toUpperCase(Locale.ROOT);
        if (!LOG_LEVELS.contains(level)) {
            n.issues().error(n.path("level"), "must be one of " + String.join(", ", LOG_LEVELS) + ", got \"" + level + "\"");
        }
        // Patroni's log.format is a Python format string and 4.x has log.type: plain|json.
        String format = logFormat(n, "format");
        String type = logFormat(n, "type");
        Path dir = n.file("dir");
        n.unsupported("traceback_level", "max_queue_size", "file_num", "file_size", "dateformat", "loggers",
                "static_fields", "mode", "deduplicate_heartbeat_logs");
        n.finish();
        return new LogConfig(level, format != null ? format : type, dir);
    }

    private static String logFormat(ConfigNode n, String key) {
        String value = n.string(key, null);
        if (value == null) {
            return null;
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("plain") || v.equals("json")) {
            return v;
        }
        if (key.equals("format") && value.contains("%(")) {
            n.issues().warn(n.path(key), "Python logging format strings are not supported by Baton, ignored");
        } else {
            n.issues().error(n.path(key), "must be plain or json, got \"" + value + "\"");
        }
        return null;
    }

    private static WatchdogConfig watchdog(ConfigNode n) {
        String mode = WatchdogConfig.DEFAULT_MODE;
        JsonNode raw = n.value("mode");
        if (raw != null && raw.isBoolean()) {
            mode = raw.booleanValue() ? "automatic" : "off"; // YAML 1.1 reads "off" as false
        } else if (raw != null) {
            String m = n.string("mode", "").trim().toLowerCase(Locale.ROOT);
            switch (m) {
                case "off", "disable", "disabled" -> mode = "off";
                case "automatic", "auto" -> mode = "automatic";
                case "required", "require" -> mode = "required";
                default -> n.issues().error(n.path("mode"),
                        "must be off, automatic or required, got " + ConfigNode.describe(raw));
            }
        }
        String device = n.string("device", WatchdogConfig.DEFAULT_DEVICE);
        int margin = n.integer("safety_margin", WatchdogConfig.DEFAULT_SAFETY_MARGIN);
        if (margin < -1) {
            n.issues().error(n.path("safety_margin"), "must be >= -1, got " + margin);
        }
        n.unsupported("driver");
        n.finish();
        return new WatchdogConfig(mode, device, margin);
    }

    // ---- aws ----

    private AwsConfig aws(ConfigNode n, PostgresConfig pg) {
        String region = blankToNull(n.string("region", null));
        if (region != null && !AWS_REGION.matcher(region).matches()) {
            n.issues().error(n.path("region"), "must be an AWS region such as eu-west-1, got \"" + region + "\"");
            region = null;
        }
        String arn = blankToNull(n.string("target_group_arn", null));
        if (arn != null && !TARGET_GROUP_ARN.matcher(arn).matches()) {
            n.issues().error(n.path("target_group_arn"), "must be an ELBv2 target group ARN "
                    + "(arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>), got \"" + arn + "\"");
            arn = null;
        }
        String lbName = blankToNull(n.string("load_balancer_name", null));
        if (lbName != null && !CLASSIC_ELB_NAME.matcher(lbName).matches()) {
            n.issues().error(n.path("load_balancer_name"), "must be a classic load balancer name (1 to 32 letters, "
                    + "digits and '-', not starting or ending with '-'), got \"" + lbName + "\"");
            lbName = null;
        }
        if (arn == null && lbName == null && !n.issues().hasError(n.path("target_group_arn"))
                && !n.issues().hasError(n.path("load_balancer_name"))) {
            n.issues().error(n.path(), "needs target_group_arn (an ELBv2 target group, e.g. of an NLB) or "
                    + "load_balancer_name (a classic ELB), or both");
        }
        AwsConfig.Mode mode = AwsConfig.Mode.BOTH;
        String modeText = n.string("mode", null);
        if (modeText != null) {
            mode = AwsConfig.Mode.parse(modeText);
            if (mode == null) {
                n.issues().error(n.path("mode"), "must be health-check, register or both, got \"" + modeText + "\"");
            }
        }
        String instanceId = blankToNull(n.string("instance_id", null));
        if (instanceId != null && !INSTANCE_ID.matcher(instanceId).matches() && !IPV4.matcher(instanceId).matches()) {
            n.issues().error(n.path("instance_id"), "must be an EC2 instance id such as i-0123456789abcdef0 "
                    + "(or the IPv4 address registered in an ip target group), got \"" + instanceId + "\"");
        }
        URI endpoint = httpUrl(n, "endpoint_url");
        URI metadata = httpUrl(n, "metadata_url");
        Integer port = n.integerOrNull("port");
        if (port != null && (port < 1 || port > 65535)) {
            n.issues().error(n.path("port"), "must be between 1 and 65535, got " + port);
        }
        if (port == null && pg.listen() != null) {
            port = pg.listenPort();
        }
        Duration callTimeout = seconds(n, "call_timeout", AwsConfig.DEFAULT_CALL_TIMEOUT, 1, 60);
        Duration reconcile = seconds(n, "reconcile_interval", AwsConfig.DEFAULT_RECONCILE_INTERVAL, 1, 3600);
        String arnRegion = AwsConfig.arnRegion(arn);
        if (region != null && arnRegion != null && !region.equals(arnRegion)) {
            n.issues().error(n.path("region"), "is " + region + " but target_group_arn is in " + arnRegion);
        }
        String envRegion = firstNonBlank(env.get("AWS_REGION"), env.get("AWS_DEFAULT_REGION"));
        if (region == null && arnRegion == null && envRegion == null && instanceId != null
                && !n.issues().hasError(n.path("region"))) {
            n.issues().error(n.path("region"), "is required: with instance_id set Baton does not ask the instance "
                    + "metadata service, so set aws.region (or AWS_REGION)");
        }
        n.finish();
        return new AwsConfig(region, arn, lbName, mode, instanceId, endpoint, metadata, port == null ? 0 : port,
                callTimeout, reconcile);
    }

    private static URI httpUrl(ConfigNode n, String key) {
        String s = blankToNull(n.string(key, null));
        if (s == null) {
            return null;
        }
        try {
            URI u = new URI(s.trim());
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && u.getHost() != null) {
                return u;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        n.issues().error(n.path(key), "must be an http:// or https:// URL with a host, got \"" + s + "\"");
        return null;
    }

    private static Duration seconds(ConfigNode n, String key, Duration def, int min, int max) {
        Integer v = n.integerOrNull(key);
        if (v == null) {
            return def;
        }
        if (v < min || v > max) {
            n.issues().error(n.path(key), "must be between " + min + " and " + max + " seconds, got " + v);
            return def;
        }
        return Duration.ofSeconds(v);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static String firstNonBlank(String a, String b) {
        return a != null && !a.isBlank() ? a : (b != null && !b.isBlank() ? b : null);
    }

    /** The REST API and PostgreSQL cannot listen on the same port of the same interface. */
    private static void checkPortClash(RestApiConfig restapi, PostgresConfig pg, Issues issues) {
        if (restapi.listen() == null || pg.listen() == null) {
            return;
        }
        HostPort a = HostPort.parse(restapi.listen());
        HostPort b = HostPort.parse(pg.listen());
        boolean sameHost = a.host().equals(b.host()) || a.isWildcard() || b.isWildcard();
        if (a.port() == b.port() && sameHost) {
            issues.error("restapi.listen", "port " + a.port() + " is also postgresql.listen's port on the same host");
        }
    }
}
