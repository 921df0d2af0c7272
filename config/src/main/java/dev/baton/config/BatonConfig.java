package dev.baton.config;

/**
 * The whole node configuration, immutable. Load it with {@link ConfigLoader}. The namespace is
 * normalised to start and end with "/" (null or blank becomes "/service/"). {@code aws} is null
 * when the file has no {@code aws} section (no load balancer routing). {@code ctl} is the section
 * as written; {@link #client()} is what a REST client uses. {@code backup} is null when the file
 * has no {@code backup} section (no archiving, no backups).
 */
public record BatonConfig(String scope, String namespace, String name, RestApiConfig restapi, EtcdConfig etcd,
        BootstrapConfig bootstrap, PostgresConfig postgresql, Tags tags, LogConfig log, WatchdogConfig watchdog,
        AwsConfig aws, CtlConfig ctl, BackupConfig backup) {

    public static final String DEFAULT_NAMESPACE = "/service/";

    public BatonConfig {
        namespace = normalizeNamespace(namespace);
        if (tags == null) {
            tags = Tags.none();
        }
        if (log == null) {
            log = new LogConfig(null, null, null);
        }
        if (watchdog == null) {
            watchdog = WatchdogConfig.defaults();
        }
        if (ctl == null) {
            ctl = CtlConfig.NONE;
        }
    }

    /** With no {@code backup} section. */
    public BatonConfig(String scope, String namespace, String name, RestApiConfig restapi, EtcdConfig etcd,
            BootstrapConfig bootstrap, PostgresConfig postgresql, Tags tags, LogConfig log, WatchdogConfig watchdog,
            AwsConfig aws, CtlConfig ctl) {
        this(scope, namespace, name, restapi, etcd, bootstrap, postgresql, tags, log, watchdog, aws, ctl, null);
    }

    /**
     * How a new replica gets its data directory, in order: {@code postgresql.create_replica_methods}
     * when given, else {@code [backup, basebackup]} with a backup repository and
     * {@code [basebackup]} without one.
     */
    public java.util.List<PostgresConfig.ReplicaMethod> replicaMethods() {
        if (postgresql != null && !postgresql.createReplicaMethods().isEmpty()) {
            return postgresql.createReplicaMethods();
        }
        return backup != null
                ? java.util.List.of(PostgresConfig.ReplicaMethod.BACKUP, PostgresConfig.ReplicaMethod.BASEBACKUP)
                : java.util.List.of(PostgresConfig.ReplicaMethod.BASEBACKUP);
    }

    /** With no {@code ctl} section. */
    public BatonConfig(String scope, String namespace, String name, RestApiConfig restapi, EtcdConfig etcd,
            BootstrapConfig bootstrap, PostgresConfig postgresql, Tags tags, LogConfig log, WatchdogConfig watchdog,
            AwsConfig aws) {
        this(scope, namespace, name, restapi, etcd, bootstrap, postgresql, tags, log, watchdog, aws, CtlConfig.NONE);
    }

    /**
     * How this node's REST clients call the REST API (the CLI, and agents calling each other):
     * {@code ctl}'s values, each falling back to {@code restapi}'s, as in patronictl.
     */
    public CtlConfig client() {
        return CtlConfig.effective(ctl, restapi);
    }

    /** "service" and "/service" become "/service/"; repeated slashes collapse; blank is the default. */
    public static String normalizeNamespace(String namespace) {
        if (namespace == null || namespace.isBlank()) {
            return DEFAULT_NAMESPACE;
        }
        return ("/" + namespace.trim() + "/").replaceAll("/{2,}", "/");
    }
}
