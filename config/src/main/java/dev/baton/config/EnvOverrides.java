package dev.baton.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The environment variables that override the YAML file, as Patroni's {@code PATRONI_*} ones do:
 * {@code BATON_<suffix>} wins over {@code PATRONI_<suffix>}, and an empty value counts as unset.
 * They are written into the tree before it is read, so their values are validated like the file's,
 * and {@link Issues} names the variable in each message about such a value.
 */
final class EnvOverrides {

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
            // Security (issue 13): the REST API, the CLI's ctl section and etcd, with Patroni's names.
            new EnvOverride("RESTAPI_USERNAME", "restapi.authentication.username"),
            new EnvOverride("RESTAPI_PASSWORD", "restapi.authentication.password"),
            new EnvOverride("RESTAPI_CERTFILE", "restapi.certfile"),
            new EnvOverride("RESTAPI_KEYFILE", "restapi.keyfile"),
            new EnvOverride("RESTAPI_KEYFILE_PASSWORD", "restapi.keyfile_password"),
            new EnvOverride("RESTAPI_CAFILE", "restapi.cafile"),
            new EnvOverride("RESTAPI_CIPHERS", "restapi.ciphers"),
            new EnvOverride("RESTAPI_VERIFY_CLIENT", "restapi.verify_client"),
            new EnvOverride("RESTAPI_ALLOWLIST", "restapi.allowlist"),
            new EnvOverride("RESTAPI_ALLOWLIST_INCLUDE_MEMBERS", "restapi.allowlist_include_members"),
            new EnvOverride("RESTAPI_HTTP_EXTRA_HEADERS", "restapi.http_extra_headers"),
            new EnvOverride("RESTAPI_HTTPS_EXTRA_HEADERS", "restapi.https_extra_headers"),
            new EnvOverride("CTL_USERNAME", "ctl.authentication.username"),
            new EnvOverride("CTL_PASSWORD", "ctl.authentication.password"),
            new EnvOverride("CTL_INSECURE", "ctl.insecure"),
            new EnvOverride("CTL_CACERT", "ctl.cacert"),
            new EnvOverride("CTL_CERTFILE", "ctl.certfile"),
            new EnvOverride("CTL_KEYFILE", "ctl.keyfile"),
            new EnvOverride("CTL_KEYFILE_PASSWORD", "ctl.keyfile_password"),
            new EnvOverride("ETCD3_PROTOCOL", "{etcd}.protocol"),
            new EnvOverride("ETCD3_USERNAME", "{etcd}.username"),
            new EnvOverride("ETCD3_PASSWORD", "{etcd}.password"),
            new EnvOverride("ETCD3_CACERT", "{etcd}.cacert"),
            new EnvOverride("ETCD3_CERT", "{etcd}.cert"),
            new EnvOverride("ETCD3_KEY", "{etcd}.key"),
            new EnvOverride("ETCD3_KEY_PASSWORD", "{etcd}.key_password"),
            new EnvOverride("LOG_LEVEL", "log.level"),
            new EnvOverride("LOG_FORMAT", "log.format"));

    /**
     * Issue 13, PostgreSQL part: the rewind user and each user's libpq TLS options, as Patroni
     * names them ({@code PATRONI_REWIND_USERNAME}, {@code PATRONI_REPLICATION_SSLMODE}, ...).
     * {@code SSLNEGOTIATION} is listed so that setting it is refused like the key, not ignored.
     */
    private static final List<EnvOverride> POSTGRES_TLS_OVERRIDES = postgresTlsOverrides();

    private static List<EnvOverride> postgresTlsOverrides() {
        List<EnvOverride> out = new ArrayList<>();
        out.add(new EnvOverride("REWIND_USERNAME", "postgresql.authentication.rewind.username"));
        out.add(new EnvOverride("REWIND_PASSWORD", "postgresql.authentication.rewind.password"));
        for (String user : List.of("superuser", "replication", "rewind")) {
            for (String option : List.of("sslmode", "sslkey", "sslpassword", "sslcert", "sslrootcert", "sslcrl",
                    "sslcrldir", "sslnegotiation", "gssencmode", "channel_binding")) {
                out.add(new EnvOverride(user.toUpperCase(Locale.ROOT) + "_"
                        + option.toUpperCase(Locale.ROOT), "postgresql.authentication." + user + "." + option));
            }
        }
        return List.copyOf(out);
    }

    private EnvOverrides() {
    }

    /**
     * Writes every set variable into {@code tree} and records its origin in {@code issues}.
     *
     * @param etcdKey the etcd section in use ("etcd3", or "etcd" when only that alias is written)
     */
    static void apply(ObjectNode tree, String etcdKey, Map<String, String> env, Issues issues) {
        for (EnvOverride o : Stream.concat(ENV_OVERRIDES.stream(), POSTGRES_TLS_OVERRIDES.stream())
                .toList()) {
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
    static boolean set(ObjectNode tree, String path, String value) {
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
}
