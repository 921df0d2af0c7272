package dev.baton.config;

import java.util.Map;

/**
 * A custom bootstrap method ({@code bootstrap.method: <name>} with a section
 * {@code bootstrap.<name>}, as in Patroni): a command that makes the new cluster's data directory
 * (e.g. a clone of another cluster, or a restore of a backup), then, when {@code recoveryConf} is
 * given, a recovery with those settings that ends in a promotion.
 *
 * @param name                     the method's name (the section's key)
 * @param command                  the command, split into words like Patroni's {@code shlex.split}; no shell
 * @param noParams                 {@code no_params}: do not append {@code --scope=} and {@code --datadir=}
 * @param keepExistingRecoveryConf {@code keep_existing_recovery_conf}: keep the recovery.signal or
 *                                 standby.signal the command left (e.g. pgBackRest's restore)
 * @param recoveryConf             {@code recovery_conf}: recovery settings (restore_command,
 *                                 recovery_target_time, recovery_target_action, ...), rendered as
 *                                 PostgreSQL strings; empty when none
 * @param extraArgs                the section's other keys, passed as {@code --key=value} (Patroni does the same)
 */
public record CustomBootstrapMethod(String name, String command, boolean noParams, boolean keepExistingRecoveryConf,
        Map<String, String> recoveryConf, Map<String, String> extraArgs) {
    public CustomBootstrapMethod {
        recoveryConf = Copies.map(recoveryConf);
        extraArgs = Copies.map(extraArgs);
    }
}
