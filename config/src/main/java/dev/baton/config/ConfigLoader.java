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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Loads a Patroni-style YAML file, applies environment overrides and validates the result,
 * reporting every problem with its key path. Never throws for bad content. Each section has its
 * own reader ({@link EtcdSection}, {@link PostgresSection}, ...); this class parses the text,
 * applies {@link EnvOverrides}, walks the top level and checks the rules between sections.
 */
public final class ConfigLoader {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");

    private final Map<String, String> env;
    private final ObjectReader yaml = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build().reader();

    /** @param env the process environment ({@code System.getenv()} in production) */
    public ConfigLoader(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    /**
     * The variables holding a whole configuration, as Patroni's {@code PATRONI_CONFIGURATION}; the
     * first set one is read.
     */
    public static final List<String> CONFIGURATION_VARIABLES = List.of("BATON_CONFIGURATION", "PATRONI_CONFIGURATION");

    /**
     * Loads a file; an unreadable file or broken YAML is reported as an error, not thrown. A
     * configuration variable is then ignored, as Patroni ignores it when given a file (a warning).
     */
    public LoadResult load(Path file) {
        return loadWithTree(java.util.Objects.requireNonNull(file, "file")).result();
    }

    /** Loads YAML text; "" with environment overrides alone is a valid way to configure a node. */
    public LoadResult loadString(String yaml) {
        return parse(yaml == null ? "" : yaml, "<string>", true, List.of());
    }

    /**
     * The configuration without a file, as Patroni reads it: the YAML document in
     * {@code BATON_CONFIGURATION} (else {@code PATRONI_CONFIGURATION}), and then, as in Patroni, no
     * other variable (each one set is named in a warning); without either, the environment
     * variables alone ({@code loadString("")}).
     */
    public LoadResult loadEnvironment() {
        return loadWithTree(null).result();
    }

    /** The configuration variable set (BATON_ first), or null. */
    private String configurationVariable() {
        return CONFIGURATION_VARIABLES.stream().filter(v -> env.get(v) != null && !env.get(v).isBlank())
                .findFirst().orElse(null);
    }

    /**
     * A load's outcome with the tree it was read from, environment overrides applied: what a
     * later reload compares a fresh load with ({@link ReloadPlan}). {@code tree} is null when the
     * text was no YAML map.
     */
    public record Loaded(LoadResult result, ObjectNode tree) {
    }

    /** {@link #load} (file given) or {@link #loadEnvironment} (null), with the tree read. */
    public Loaded loadWithTree(Path file) {
        if (file == null) {
            String variable = configurationVariable();
            if (variable == null) {
                return parseTree("", "<string>", true, List.of());
            }
            List<ConfigWarning> extra = EnvOverrides.setVariables(env).stream()
                    .map(v -> new ConfigWarning(v, "ignored: the configuration comes from " + variable
                            + ", and then no other variable is read (as in Patroni)"))
                    .toList();
            return parseTree(env.get(variable), variable, false, extra);
        }
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException | RuntimeException e) {
            return new Loaded(failed(file.toString(), "cannot read file: " + e), null);
        }
        String variable = configurationVariable();
        List<ConfigWarning> extra = variable == null ? List.of() : List.of(new ConfigWarning(variable,
                "ignored: a configuration file is given (as in Patroni, the variable is read only without one)"));
        return parseTree(text, file.toString(), true, extra);
    }

    /** Reads a tree that already has its environment overrides (a {@link ReloadPlan#merged()} one). */
    public LoadResult fromTree(ObjectNode tree) {
        Issues issues = new Issues();
        BatonConfig config = read(tree.deepCopy(), Map.of(), issues);
        return new LoadResult(issues.errors().isEmpty() ? config : null, issues.errors(), issues.warnings());
    }

    /** Whether any variable that configures a node is set: a configuration variable or a PATRONI_/BATON_ override. */
    public boolean environmentConfigures() {
        return configurationVariable() != null || !EnvOverrides.setVariables(env).isEmpty();
    }

    private LoadResult parse(String text, String source, boolean overrides, List<ConfigWarning> extra) {
        return parseTree(text, source, overrides, extra).result();
    }

    private Loaded parseTree(String text, String source, boolean overrides, List<ConfigWarning> extra) {
        JsonNode tree;
        try {
            tree = yaml.readTree(text);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? source : source + ":" + at.getLineNr() + ":" + at.getColumnNr();
            return new Loaded(failed(where, "invalid YAML: " + oneLine(e.getOriginalMessage())), null);
        } catch (RuntimeException e) {
            return new Loaded(failed(source, "invalid YAML: " + oneLine(e.getMessage())), null);
        }
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            tree = JsonNodeFactory.instance.objectNode();
        }
        if (!tree.isObject()) {
            return new Loaded(failed(source, "must be a YAML map of settings, got " + ConfigNode.describe(tree)), null);
        }
        Issues issues = new Issues();
        ObjectNode map = (ObjectNode) tree;
        // The overrides are written into the tree (EnvOverrides.apply), which is kept as read with them.
        BatonConfig config = read(map, overrides ? env : Map.of(), issues);
        List<ConfigWarning> warnings = new java.util.ArrayList<>(extra);
        warnings.addAll(issues.warnings());
        return new Loaded(new LoadResult(issues.errors().isEmpty() ? config : null, issues.errors(), warnings), map);
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

    // ---- the walk ----

    private BatonConfig read(ObjectNode tree, Map<String, String> env, Issues issues) {
        EnvOverrides.apply(tree, etcdKey(tree), env, issues);
        // Again: PATRONI_ETCD_* alone writes the etcd section, read as etcd3 when it is the only one.
        String etcdKey = etcdKey(tree);
        ConfigNode root = new ConfigNode(tree, "", issues);

        String scope = root.required("scope");
        if (scope != null && scope.contains("/")) {
            issues.error("scope", "must not contain \"/\", got \"" + scope + "\"");
        }
        String namespace = root.string("namespace", null);
        String name = root.required("name");
        if (name != null && !NAME.matcher(name).matches()) {
            issues.error("name", "must contain only letters, digits, '_', '.' and '-', got \"" + name + "\"");
        }
        RestApiConfig restapi = SecuritySections.restapi(root.map("restapi"));
        if (etcdKey.equals("etcd")) {
            issues.warn("etcd", "read as etcd3: Baton speaks only the etcd v3 API (rename the section to etcd3)");
        } else {
            root.ignore("etcd", ConfigNode.UNSUPPORTED + " (etcd3 is used)");
        }
        EtcdConfig etcd = EtcdSection.read(root.map(etcdKey));
        BootstrapConfig bootstrap = BootstrapSection.read(root.map("bootstrap"));
        PostgresConfig postgresql = PostgresSection.read(root.map("postgresql"), name);
        Tags tags = NodeSections.tags(root.map("tags"));
        LogConfig log = NodeSections.log(root.map("log"));
        WatchdogConfig watchdog = NodeSections.watchdog(root.map("watchdog"));
        JsonNode awsSection = root.value("aws");
        ConfigNode awsNode = root.map("aws");
        AwsConfig aws = awsSection != null && awsSection.isObject() ? AwsSection.read(awsNode, postgresql, env) : null;
        CtlConfig ctl = SecuritySections.ctl(root.map("ctl"));
        JsonNode backupSection = root.value("backup");
        BackupConfig backup = backupSection != null && !backupSection.isNull() ? BackupSection.read(root.map("backup"))
                : null;
        for (String dcs : List.of("consul", "zookeeper", "exhibitor", "kubernetes", "raft")) {
            root.ignore(dcs, EnvOverrides.UNSUPPORTED_DCS);
        }
        root.unsupported("citus");
        root.finish();

        checkPortClash(restapi, postgresql, issues);
        checkRewindAccess(bootstrap, postgresql, issues);
        checkBackup(scope, backup, bootstrap, postgresql, issues);
        return new BatonConfig(scope, namespace, name, restapi, etcd, bootstrap, postgresql, tags, log, watchdog, aws,
                ctl, backup);
    }

    /** The etcd section read: etcd3, or its alias etcd when only that one is written. */
    private static String etcdKey(ObjectNode tree) {
        return tree.has("etcd3") || !tree.has("etcd") ? "etcd3" : "etcd";
    }

    /** A scope pgBackRest takes as a stanza (PgBackRestConf refuses any other at run time too). */
    private static final Pattern STANZA = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");

    /** Parameters Baton sets itself when it archives with pgBackRest. */
    private static final java.util.List<String> ARCHIVE_PARAMETERS = java.util.List.of("archive_mode", "archive_command",
            "archive_library", "restore_command", "archive_timeout");

    /**
     * What needs a backup repository has one, and what Baton manages with one is not set by hand
     * as well (it would be overridden, or archive somewhere Baton does not know).
     */
    private static void checkBackup(String scope, BackupConfig backup, BootstrapConfig bootstrap, PostgresConfig pg,
                                    Issues issues) {
        if (backup == null) {
            if (bootstrap != null && bootstrap.method() == BootstrapConfig.Method.RESTORE) {
                issues.error("bootstrap.method", "restore needs a backup repository: add backup.repository");
            }
            if (pg != null && pg.createReplicaMethods().contains(PostgresConfig.ReplicaMethod.BACKUP)) {
                issues.error("postgresql.create_replica_methods", "backup needs a backup repository: add "
                        + "backup.repository, or remove backup from the list");
            }
            return;
        }
        if (scope != null && !STANZA.matcher(scope).matches()) {
            issues.error("scope", "must be a pgBackRest stanza name (letters, digits, '_', '.', '-', not starting "
                    + "with '.' or '-') when backup.repository is configured, got \"" + Untrusted.shown(scope, 60) + "\"");
        }
        if (pg != null) {
            for (String key : pg.parameters().keySet()) {
                if (ARCHIVE_PARAMETERS.contains(key.toLowerCase(java.util.Locale.ROOT))) {
                    issues.error("postgresql.parameters." + key, "is set by Baton when backup.repository is "
                            + "configured (pgBackRest archiving); remove it");
                }
            }
            for (String key : pg.recoveryConf().keySet()) {
                if (ARCHIVE_PARAMETERS.contains(key)) {
                    issues.error("postgresql.recovery_conf." + key, "is set by Baton when backup.repository is "
                            + "configured (pgBackRest archiving); remove it");
                }
            }
        }
        if (bootstrap != null) {
            for (String key : bootstrap.dcs().parameters().keySet()) {
                if (ARCHIVE_PARAMETERS.contains(key.toLowerCase(java.util.Locale.ROOT))) {
                    issues.error("bootstrap.dcs.postgresql.parameters." + key, "is set by Baton when "
                            + "backup.repository is configured (pgBackRest archiving); remove it");
                }
            }
        }
    }

    /** The REST API and PostgreSQL cannot listen on the same port of the same interface. */
    /**
     * With Baton's default pg_hba the superuser is refused from the network, so pg_rewind from
     * another host needs {@code authentication.rewind}: said at load, not found at the first rewind.
     */
    private static void checkRewindAccess(BootstrapConfig bootstrap, PostgresConfig pg, Issues issues) {
        boolean defaultHba = pg.pgHba().isEmpty() && (bootstrap == null || bootstrap.pgHba().isEmpty());
        if (defaultHba && pg.authentication().rewind() == null) {
            issues.warn("postgresql.authentication.rewind", "not set: Baton's default pg_hba refuses the superuser"
                    + " from other hosts, so pg_rewind from another host would fail and the node be cloned again;"
                    + " set a rewind user (or pg_hba lines of your own)");
        }
    }

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
