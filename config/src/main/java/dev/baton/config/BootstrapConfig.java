package dev.baton.config;

import java.util.List;
import java.util.Map;

/**
 * {@code bootstrap}: the dynamic config written to etcd by the node that initialises the cluster,
 * the initdb flags (already rendered, e.g. "--encoding=UTF8"), extra pg_hba lines, and how the
 * first node makes its data directory ({@code method}: initdb, or a restore from the backup
 * repository with {@code restore}, never null when {@code method} is {@code RESTORE}, or a custom
 * command, {@code custom}, never null when {@code method} is {@code CUSTOM}), the users Patroni 3.x
 * creates after initialisation ({@code users}, by name), and the {@code post_bootstrap} (or
 * {@code post_init}) script run once the new cluster runs ({@code postBootstrap}, null for none).
 */
public record BootstrapConfig(DynamicConfig dcs, List<String> initdbArgs, List<String> pgHba, Method method,
        RestoreConfig restore, Map<String, BootstrapUser> users, String postBootstrap, CustomBootstrapMethod custom) {

    /** {@code bootstrap.method}: initdb, a restore from the backup repository, or a custom command. */
    public enum Method {
        INITDB, RESTORE, CUSTOM
    }

    public BootstrapConfig {
        if (dcs == null) {
            dcs = DynamicConfig.defaults();
        }
        initdbArgs = Copies.list(initdbArgs);
        pgHba = Copies.list(pgHba);
        if (method == null) {
            method = Method.INITDB;
        }
        if (method == Method.RESTORE && restore == null) {
            restore = new RestoreConfig(null, null, null);
        }
        users = Copies.map(users);
        if (method == Method.CUSTOM && custom == null) {
            throw new IllegalArgumentException("bootstrap.method CUSTOM needs its method");
        }
    }

    /** Without a post_bootstrap script or a custom method. */
    public BootstrapConfig(DynamicConfig dcs, List<String> initdbArgs, List<String> pgHba, Method method,
            RestoreConfig restore, Map<String, BootstrapUser> users) {
        this(dcs, initdbArgs, pgHba, method, restore, users, null, null);
    }

    /** Without bootstrap users. */
    public BootstrapConfig(DynamicConfig dcs, List<String> initdbArgs, List<String> pgHba, Method method,
            RestoreConfig restore) {
        this(dcs, initdbArgs, pgHba, method, restore, Map.of());
    }

    /** A bootstrap by initdb. */
    public BootstrapConfig(DynamicConfig dcs, List<String> initdbArgs, List<String> pgHba) {
        this(dcs, initdbArgs, pgHba, Method.INITDB, null);
    }
}
