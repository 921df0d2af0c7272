package dev.baton.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The environment variables that override the YAML file: every {@code PATRONI_*} variable Patroni
 * reads (its {@code config.py::_build_environment_configuration}, 3.x and 4.x), each with a
 * {@code BATON_<suffix>} twin that wins over {@code PATRONI_<suffix>}; an empty value counts as
 * unset. They are written into the tree before it is read, so their values are validated by the
 * same readers as the file's (a key Baton does not implement is warned about as in the file), and
 * {@link Issues} names the variable in each message about such a value. No message shows a value
 * read here: they may be passwords.
 *
 * <p>Besides the table: {@code PATRONI_<user>_PASSWORD} / {@code _OPTIONS} become
 * {@code bootstrap.users} (Patroni 3.x), and the variables of the stores and features Baton does
 * not have ({@code PATRONI_CONSUL_*}, {@code _ZOOKEEPER_*}, {@code _EXHIBITOR_*},
 * {@code _KUBERNETES_*}, {@code _RAFT_*}, {@code _CITUS_*}) are warned about, named, like their
 * YAML sections. {@code PATRONI_CONFIGURATION} is {@link ConfigLoader#loadEnvironment()}'s.
 */
final class EnvOverrides {

    /** How a variable's text becomes a value in the tree. */
    enum Kind {
        /** As written; the section reader parses it (numbers, booleans, Patroni's host lists). */
        TEXT,
        /** Patroni's {@code _parse_dict}: YAML, wrapped in {@code {}} unless it starts with one. */
        MAP,
        /** Patroni's {@code _parse_list}: YAML, wrapped in {@code []} unless it starts with "-" or holds a "[". */
        LIST,
        /**
         * A host or address list: a YAML block list ("- a") is parsed, any other text is left to the
         * reader, which takes Patroni's forms ({@code a,b}, {@code 'a','b'}, {@code [a, b]}) and IPv6
         * literals in brackets, which YAML would misread.
         */
        HOSTS
    }

    /** An environment override: {@code BATON_<suffix>} (or {@code PATRONI_<suffix>}) sets {@code path}. */
    record EnvOverride(String suffix, String path, Kind kind) {
        EnvOverride(String suffix, String path) {
            this(suffix, path, Kind.TEXT);
        }
    }

    /** Patroni's older names for the log variables: read only when neither new name is set. */
    static final Map<String, String> LEGACY = Map.of(
            "PATRONI_LOGLEVEL", "LOG_LEVEL",
            "PATRONI_LOGFORMAT", "LOG_FORMAT",
            "PATRONI_LOG_DATEFMT", "LOG_DATEFORMAT");

    /** Prefixes (after BATON_/PATRONI_) of what Baton does not have, and how to say so. */
    static final Map<String, String> UNSUPPORTED = Map.of(
            "CONSUL_", "consul",
            "ZOOKEEPER_", "zookeeper",
            "EXHIBITOR_", "exhibitor",
            "KUBERNETES_", "kubernetes",
            "RAFT_", "raft",
            "CITUS_", "citus");

    static final String UNSUPPORTED_DCS = "not supported: Baton uses etcd v3 only, ignored";

    /** "{etcd}" stands for the etcd section in use: etcd3, or its alias etcd. */
    static final List<EnvOverride> TABLE = table();

    private static List<EnvOverride> table() {
        List<EnvOverride> t = new ArrayList<>();
        t.add(new EnvOverride("SCOPE", "scope"));
        t.add(new EnvOverride("NAMESPACE", "namespace"));
        t.add(new EnvOverride("NAME", "name"));
        // log: Baton has level, format/type and dir; the others are Patroni's and warned about by the reader.
        for (String key : List.of("level", "format", "type", "dir", "traceback_level", "dateformat", "max_queue_size",
                "mode", "file_num", "file_size", "deduplicate_heartbeat_logs")) {
            t.add(new EnvOverride("LOG_" + key.toUpperCase(Locale.ROOT), "log." + key));
        }
        t.add(new EnvOverride("LOG_LOGGERS", "log.loggers", Kind.MAP));
        t.add(new EnvOverride("LOG_STATIC_FIELDS", "log.static_fields", Kind.MAP));
        // restapi
        for (String key : List.of("listen", "connect_address", "certfile", "keyfile", "keyfile_password", "cafile",
                "ciphers", "verify_client", "allowlist", "allowlist_include_members", "request_queue_size",
                "server_tokens")) {
            t.add(new EnvOverride("RESTAPI_" + key.toUpperCase(Locale.ROOT), "restapi." + key,
                    key.equals("allowlist") ? Kind.HOSTS : Kind.TEXT));
        }
        t.add(new EnvOverride("RESTAPI_HTTP_EXTRA_HEADERS", "restapi.http_extra_headers", Kind.MAP));
        t.add(new EnvOverride("RESTAPI_HTTPS_EXTRA_HEADERS", "restapi.https_extra_headers", Kind.MAP));
        t.add(new EnvOverride("RESTAPI_USERNAME", "restapi.authentication.username"));
        t.add(new EnvOverride("RESTAPI_PASSWORD", "restapi.authentication.password"));
        // ctl (patronictl's section)
        for (String key : List.of("insecure", "cacert", "certfile", "keyfile", "keyfile_password")) {
            t.add(new EnvOverride("CTL_" + key.toUpperCase(Locale.ROOT), "ctl." + key));
        }
        t.add(new EnvOverride("CTL_USERNAME", "ctl.authentication.username"));
        t.add(new EnvOverride("CTL_PASSWORD", "ctl.authentication.password"));
        // etcd: the v2 names (PATRONI_ETCD_*) write the etcd section, read as etcd3 when it is the only one;
        // the v3 names come after them and so win when both write the same section.
        List<String> etcdKeys = List.of("host", "hosts", "url", "proxy", "srv", "srv_suffix", "use_proxies",
                "protocol", "username", "password", "cacert", "cert", "key", "key_password");
        for (String key : etcdKeys) {
            t.add(new EnvOverride("ETCD_" + key.toUpperCase(Locale.ROOT), "etcd." + key,
                    key.equals("hosts") ? Kind.HOSTS : Kind.TEXT));
        }
        for (String key : etcdKeys) {
            t.add(new EnvOverride("ETCD3_" + key.toUpperCase(Locale.ROOT), "{etcd}." + key,
                    key.equals("hosts") ? Kind.HOSTS : Kind.TEXT));
        }
        // postgresql
        for (String key : List.of("listen", "connect_address", "proxy_address", "data_dir", "config_dir", "bin_dir",
                "pgpass")) {
            t.add(new EnvOverride("POSTGRESQL_" + key.toUpperCase(Locale.ROOT), "postgresql." + key));
        }
        for (String binary : List.of("pg_ctl", "initdb", "pg_controldata", "pg_basebackup", "postgres", "pg_isready",
                "pg_rewind")) {
            t.add(new EnvOverride("POSTGRESQL_BIN_" + binary.toUpperCase(Locale.ROOT), "postgresql.bin_name." + binary));
        }
        // Each user's name, password and libpq TLS options. SSLNEGOTIATION is listed so that setting
        // it is refused like the key, not ignored.
        for (String user : List.of("superuser", "replication", "rewind")) {
            for (String option : List.of("username", "password", "sslmode", "sslkey", "sslpassword", "sslcert",
                    "sslrootcert", "sslcrl", "sslcrldir", "sslnegotiation", "gssencmode", "channel_binding")) {
                t.add(new EnvOverride(user.toUpperCase(Locale.ROOT) + "_" + option.toUpperCase(Locale.ROOT),
                        "postgresql.authentication." + user + "." + option));
            }
        }
        return List.copyOf(t);
    }

    /** The etcd keys that each give the endpoints. */
    private static final List<String> ENDPOINT_KEYS = List.of("host", "hosts", "url");

    private static final Set<String> KNOWN_SUFFIXES = TABLE.stream().map(EnvOverride::suffix)
            .collect(java.util.stream.Collectors.toUnmodifiableSet());

    /** {@code PATRONI_<user>_PASSWORD}: what is left of the {@code *_PASSWORD} variables after the table's. */
    private static final Pattern USER_PASSWORD = Pattern.compile("(BATON|PATRONI)_(.+)_PASSWORD");
    private static final Pattern USER_OPTIONS = Pattern.compile("(BATON|PATRONI)_(.+)_OPTIONS");

    private static final YAMLMapper YAML = new YAMLMapper();

    private EnvOverrides() {
    }

    /** The variable that sets {@code suffix}: BATON_ first, then PATRONI_, then a legacy name; null if none is set. */
    static String variable(Map<String, String> env, String suffix) {
        for (String v : List.of("BATON_" + suffix, "PATRONI_" + suffix)) {
            if (isSet(env, v)) {
                return v;
            }
        }
        for (Map.Entry<String, String> e : LEGACY.entrySet()) {
            if (e.getValue().equals(suffix) && isSet(env, e.getKey())) {
                return e.getKey();
            }
        }
        return null;
    }

    private static boolean isSet(Map<String, String> env, String variable) {
        String v = env.get(variable);
        return v != null && !v.isEmpty();
    }

    /** Every set variable Baton reads from the environment (for the warning when none of them is read). */
    static List<String> setVariables(Map<String, String> env) {
        Set<String> out = new TreeSet<>();
        for (String name : env.keySet()) {
            if (!isSet(env, name)) {
                continue;
            }
            String suffix = name.startsWith("BATON_") ? name.substring(6)
                    : name.startsWith("PATRONI_") ? name.substring(8) : null;
            if (suffix != null && (KNOWN_SUFFIXES.contains(suffix) || unsupportedPrefix(suffix) != null
                    || USER_PASSWORD.matcher(name).matches()) || LEGACY.containsKey(name)) {
                out.add(name);
            }
        }
        return List.copyOf(out);
    }

    /**
     * Writes every set variable into {@code tree} and records its origin in {@code issues}.
     *
     * @param etcdKey the etcd section in use ("etcd3", or "etcd" when only that alias is written)
     */
    static void apply(ObjectNode tree, String etcdKey, Map<String, String> env, Issues issues) {
        Set<String> fromEnv = new java.util.HashSet<>();
        for (EnvOverride o : TABLE) {
            String variable = variable(env, o.suffix());
            if (variable == null) {
                continue;
            }
            String path = o.path().replace("{etcd}", etcdKey);
            JsonNode value = parse(o.kind(), env.get(variable));
            if (value == null) {
                issues.fromEnv(path, variable);
                issues.error(path, o.kind() == Kind.MAP ? "must be a YAML map such as {Name: value}"
                        : "must be a YAML list such as a,b or [a, b] or \"- a\"");
                continue;
            }
            String[] keys = path.split("\\.");
            if (set(tree, List.of(keys), value)) {
                issues.fromEnv(path, variable);
                fromEnv.add(path);
                // An overridden etcd endpoint replaces the file's, whichever of host/hosts/url it used
                // (set in that order, so that hosts wins over url when both come from variables).
                String section = keys[0];
                if (keys.length == 2 && (section.equals("etcd") || section.equals("etcd3"))
                        && ENDPOINT_KEYS.contains(keys[1])) {
                    for (String other : ENDPOINT_KEYS) {
                        if (!other.equals(keys[1]) && !fromEnv.contains(section + "." + other)) {
                            ((ObjectNode) tree.get(section)).remove(other);
                        }
                    }
                }
            }
        }
        unsupported(env, issues);
        bootstrapUsers(tree, env, issues);
    }

    /** The section ("consul", ...) a suffix belongs to when Baton does not have it; else null. */
    private static String unsupportedPrefix(String suffix) {
        for (Map.Entry<String, String> e : UNSUPPORTED.entrySet()) {
            if (suffix.startsWith(e.getKey()) && suffix.length() > e.getKey().length()) {
                return e.getValue();
            }
        }
        return null;
    }

    /** Each variable of a store or feature Baton lacks: a warning naming it (never its value), as its section gets. */
    private static void unsupported(Map<String, String> env, Issues issues) {
        for (String name : new TreeSet<>(env.keySet())) {
            String suffix = name.startsWith("BATON_") ? name.substring(6)
                    : name.startsWith("PATRONI_") ? name.substring(8) : null;
            String section = suffix == null ? null : unsupportedPrefix(suffix);
            if (section == null || !isSet(env, name)) {
                continue;
            }
            String path = section + "." + suffix.substring(section.length() + 1).toLowerCase(Locale.ROOT);
            issues.fromEnv(path, name);
            issues.warn(path, section.equals("citus") ? ConfigNode.UNSUPPORTED : UNSUPPORTED_DCS);
        }
    }

    /**
     * Patroni 3.x's {@code PATRONI_<user>_PASSWORD='<password>'} and
     * {@code PATRONI_<user>_OPTIONS='createrole,createdb'}: {@code bootstrap.users.<user>} (the user's
     * name as written, any case). {@code BATON_<user>_*} wins. OPTIONS without a PASSWORD are ignored,
     * as in Patroni, with a warning.
     */
    private static void bootstrapUsers(ObjectNode tree, Map<String, String> env, Issues issues) {
        Set<String> users = new LinkedHashSet<>();
        for (String name : new TreeSet<>(env.keySet())) {
            Matcher m = USER_PASSWORD.matcher(name);
            if (m.matches() && isUser(m.group(2))) {
                users.add(m.group(2));
            }
        }
        for (String user : users) {
            String variable = variable(env, user + "_PASSWORD");
            if (variable == null) {
                continue;
            }
            String path = "bootstrap.users." + user;
            if (!set(tree, List.of("bootstrap", "users", user, "password"),
                    JsonNodeFactory.instance.textNode(env.get(variable)))) {
                continue;
            }
            issues.fromEnv(path + ".password", variable);
            String optionsVariable = variable(env, user + "_OPTIONS");
            if (optionsVariable != null) {
                JsonNode options = parse(Kind.LIST, env.get(optionsVariable));
                issues.fromEnv(path + ".options", optionsVariable);
                if (options == null) {
                    issues.error(path + ".options", "must be a YAML list such as createrole,createdb");
                } else {
                    set(tree, List.of("bootstrap", "users", user, "options"), options);
                }
            }
        }
        for (String name : new TreeSet<>(env.keySet())) {
            Matcher m = USER_OPTIONS.matcher(name);
            if (m.matches() && isUser(m.group(2)) && isSet(env, name) && !users.contains(m.group(2))) {
                String path = "bootstrap.users." + m.group(2) + ".options";
                issues.fromEnv(path, name);
                issues.warn(path, "ignored: no " + m.group(1) + "_" + m.group(2) + "_PASSWORD is set (as in Patroni, "
                        + "a bootstrap user needs a password)");
            }
        }
    }

    /** Whether {@code <stem>_PASSWORD} names a bootstrap user, not one of the table's or an unsupported section's. */
    private static boolean isUser(String stem) {
        return !KNOWN_SUFFIXES.contains(stem + "_PASSWORD") && unsupportedPrefix(stem + "_PASSWORD") == null;
    }

    /** The variable's value as a tree node, Patroni's way for its kind; null when it does not parse. */
    static JsonNode parse(Kind kind, String text) {
        String t = text.strip();
        if (kind == Kind.TEXT || kind == Kind.HOSTS && !t.startsWith("-")) {
            return JsonNodeFactory.instance.textNode(text);
        }
        if (kind == Kind.MAP && !t.startsWith("{")) {
            t = "{" + t + "}";
        } else if (kind == Kind.LIST && !(t.startsWith("-") || t.contains("["))) {
            t = "[" + t + "]";
        }
        try {
            JsonNode v = YAML.readTree(t);
            boolean ok = kind == Kind.MAP ? v != null && v.isObject() : v != null && v.isArray();
            return ok ? v : null;
        } catch (IOException | RuntimeException e) {
            return null; // the message would quote the value
        }
    }

    /** Sets a dotted path to a string, creating maps; false if a section in the way is not a map. */
    static boolean set(ObjectNode tree, String path, String value) {
        return set(tree, List.of(path.split("\\.")), JsonNodeFactory.instance.textNode(value));
    }

    private static boolean set(ObjectNode tree, List<String> keys, JsonNode value) {
        ObjectNode node = tree;
        for (int i = 0; i < keys.size() - 1; i++) {
            JsonNode child = node.get(keys.get(i));
            if (child == null || child.isNull()) {
                child = node.putObject(keys.get(i));
            }
            if (!child.isObject()) {
                return false; // the section's own type error is reported when it is read
            }
            node = (ObjectNode) child;
        }
        node.set(keys.get(keys.size() - 1), value);
        return true;
    }
}
