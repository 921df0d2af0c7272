package dev.baton.config;

/**
 * The whole node configuration, immutable. Load it with {@link ConfigLoader}. The namespace is
 * normalised to start and end with "/" (null or blank becomes "/service/"). {@code aws} is null
 * when the file has no {@code aws} section (no load balancer routing).
 */
public record BatonConfig(String scope, String namespace, String name, RestApiConfig restapi, EtcdConfig etcd,
        BootstrapConfig bootstrap, PostgresConfig postgresql, Tags tags, LogConfig log, WatchdogConfig watchdog,
        AwsConfig aws) {

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
    }

    /** "service" and "/service" become "/service/"; repeated slashes collapse; blank is the default. */
    public static String normalizeNamespace(String namespace) {
        if (namespace == null || namespace.isBlank()) {
            return DEFAULT_NAMESPACE;
        }
        return ("/" + namespace.trim() + "/").replaceAll("/{2,}", "/");
    }
}
