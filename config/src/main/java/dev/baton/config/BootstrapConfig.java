package dev.baton.config;

import java.util.List;

/**
 * {@code bootstrap}: the dynamic config written to etcd by the node that initialises the cluster,
 * the initdb flags (already rendered, e.g. "--encoding=UTF8"), and extra pg_hba lines.
 */
public record BootstrapConfig(DynamicConfig dcs, List<String> initdbArgs, List<String> pgHba) {
    public BootstrapConfig {
        if (dcs == null) {
            dcs = DynamicConfig.defaults();
        }
        initdbArgs = Copies.list(initdbArgs);
        pgHba = Copies.list(pgHba);
    }
}
