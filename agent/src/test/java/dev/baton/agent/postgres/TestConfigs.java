package dev.baton.agent.postgres;

import dev.baton.config.Authentication;
import dev.baton.config.BatonConfig;
import dev.baton.config.BootstrapConfig;
import dev.baton.config.Credentials;
import dev.baton.config.DynamicConfig;
import dev.baton.config.PostgresConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Small node configurations for the tests of this package. */
final class TestConfigs {
    static final Credentials SUPERUSER = new Credentials("postgres", "su-pw");
    static final Credentials REPLICATION = new Credentials("replicator", "rep-pw");

    private TestConfigs() {
    }

    /** Node "node1" of scope "demo" on 127.0.0.1:5432, data in {@code dir}/data, pgpass {@code dir}/.pgpass_node1. */
    static BatonConfig node(Path dir) {
        return node(dir, Map.of("shared_buffers", "32MB"), List.of(), List.of());
    }

    static BatonConfig node(Path dir, Map<String, String> parameters, List<String> pgHba, List<String> initdbArgs) {
        return node(dir, SUPERUSER, REPLICATION, parameters, pgHba, initdbArgs);
    }

    static BatonConfig node(Path dir, Credentials superuser, Credentials replication, Map<String, String> parameters,
                            List<String> pgHba, List<String> initdbArgs) {
        PostgresConfig pg = new PostgresConfig("127.0.0.1:5432", null, dir.resolve("data"), null,
                dir.resolve(".pgpass_node1"), new Authentication(superuser, replication), parameters, pgHba, null,
                false, null);
        return new BatonConfig("demo", null, "node1", null, null,
                new BootstrapConfig(DynamicConfig.defaults(), initdbArgs, List.of()), pg, null, null, null, null);
    }

    /** {@code c} with a posix backup repository in /srv/backup (archive_timeout 60). */
    static BatonConfig withBackup(BatonConfig c) {
        return new BatonConfig(c.scope(), c.namespace(), c.name(), c.restapi(), c.etcd(), c.bootstrap(), c.postgresql(),
                c.tags(), c.log(), c.watchdog(), c.aws(), c.ctl(), new dev.baton.config.BackupConfig(
                        new dev.baton.config.BackupConfig.Repository(dev.baton.config.BackupConfig.RepositoryType.POSIX,
                                "/srv/backup", null, null, null, null, true), null, 2, 60, false, null));
    }

    static DynamicConfig dynamic(Map<String, String> parameters) {
        DynamicConfig d = DynamicConfig.defaults();
        return new DynamicConfig(d.ttl(), d.loopWait(), d.retryTimeout(), d.maximumLagOnFailover(),
                d.primaryStartTimeout(), d.usePgRewind(), d.useSlots(), parameters, d.pause(), d.synchronousMode());
    }
}
