package dev.baton.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.cli.support.Poll;
import dev.baton.config.ConfigError;
import dev.baton.config.ConfigException;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What {@code promote-cluster} and {@code demote-cluster} share (Patroni 4.1's
 * {@code change_cluster_role}): the cluster must have a leader that is not yet in the wanted role;
 * after a confirmation, {@code standby_cluster} is set or removed in the config key (compare-and-set,
 * checked as the agents check it), then the command waits until the leader's member key shows the
 * new role ({@code primary} or {@code standby_leader}).
 */
abstract class ClusterRoleChange extends BaseCommand {

    @Mixin
    ClusterOptions cluster;

    @Mixin
    ForceOption force;

    @Option(names = "--timeout", defaultValue = "120", paramLabel = "SECONDS",
            description = "How long to wait for the leader to take its new role (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    /** The standby_cluster to set (null: remove it, promoting the cluster). */
    abstract ObjectNode standbyCluster();

    /** Checks the options before anything is read; exit 2 on bad input. */
    void checkOptions() {
    }

    @Override
    protected int execute() throws InterruptedException {
        checkOptions();
        if (timeoutSeconds < 1) {
            throw ExitException.badInput("--timeout: must be at least 1 second, got " + timeoutSeconds);
        }
        ObjectNode standby = standbyCluster();
        boolean demote = standby != null;
        Role wanted = demote ? Role.STANDBY_LEADER : Role.PRIMARY;
        String verb = demote ? "demote" : "promote";
        PrintWriter out = out();
        try (ClusterSession s = cluster.connect(err())) {
            ClusterView view = s.view();
            Optional<MemberStatus> leader = view.leaderMember();
            if (!view.hasLeader() || leader.isEmpty()) {
                throw ExitException.failed("cluster " + s.scope() + " has no leader, "
                        + (demote ? "demotion" : "promotion") + " is not possible");
            }
            if (leader.get().role() == wanted) {
                throw ExitException.failed("cluster " + s.scope() + " is already in the required state (its leader "
                        + leader.get().name() + " is the " + (demote ? "standby leader" : "primary") + ")");
            }
            confirm("Are you sure you want to " + verb + " " + s.scope() + " cluster?", force.force);
            boolean written = false;
            for (int attempt = 0; attempt < ConfigKey.MAX_ATTEMPTS && !written; attempt++) {
                ConfigKey k = ConfigKey.read(s);
                ObjectNode updated = k.json().deepCopy();
                if (demote) {
                    updated.set("standby_cluster", standby);
                } else {
                    updated.remove("standby_cluster");
                }
                check(updated);
                written = k.write(s, updated);
            }
            if (!written) {
                throw ExitException.failed("the config key of cluster " + s.scope() + " kept changing: gave up after "
                        + ConfigKey.MAX_ATTEMPTS + " attempts");
            }
            out.print("Waiting for " + leader.get().name() + " to become the " + (demote ? "standby leader" : "primary")
                    + "...");
            out.flush();
            Optional<String> done = Poll.system().until(Duration.ofSeconds(timeoutSeconds), Duration.ofMillis(500),
                    () -> inRole(s.view(), wanted), Optional::isPresent);
            out.println();
            if (done.isEmpty()) {
                throw ExitException.failed("the config key was changed, but after " + timeoutSeconds + " s the leader "
                        + "of cluster " + s.scope() + " is not yet the " + wanted.wire() + "; see 'baton list'");
            }
            out.println("Success: cluster " + s.scope() + " was " + verb + "d (" + done.get() + " is the "
                    + (demote ? "standby leader" : "primary") + ")");
            return BaseCommand.EXIT_OK;
        }
    }

    /** The leader's name once its member key shows {@code wanted}. */
    private static Optional<String> inRole(ClusterView v, Role wanted) {
        return v.leaderMember().filter(m -> m.role() == wanted && m.isRunning()).map(MemberStatus::name);
    }

    /** The new config key as the agents will read it: exit 2 naming what is wrong, nothing written. */
    private static void check(ObjectNode updated) {
        try {
            DynamicConfig d = DynamicConfig.fromJson(updated.toString());
            var errors = d.validate("config");
            if (!errors.isEmpty()) {
                throw ExitException.badInput(String.join("; ", errors.stream().map(ConfigError::toString).toList()));
            }
        } catch (ConfigException e) {
            throw ExitException.badInput(e.getMessage());
        }
    }
}
