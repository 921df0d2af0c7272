package dev.baton.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "pause", description = {"Maintenance mode: agents take no automatic action.",
        "Sets \"pause\": true in the config key. Agents keep their leases but take no automatic action",
        "(no failover, no fencing). 'baton resume' ends it."})
public final class PauseCommand extends BaseCommand {

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--wait", description = "Wait until every member shows the pause in its member key.")
    boolean await;

    @Option(names = "--timeout", defaultValue = "120", paramLabel = "SECONDS",
            description = "With --wait, how long to wait (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    protected int execute() throws InterruptedException {
        return toggle(this, cluster, true, await, timeoutSeconds);
    }

    /** Sets (pause) or removes (resume) "pause" in the config key by compare-and-set, then optionally waits. */
    static int toggle(BaseCommand c, ClusterOptions cluster, boolean pause, boolean await, int timeoutSeconds)
            throws InterruptedException {
        if (timeoutSeconds < 1) {
            throw ExitException.badInput("--timeout: must be at least 1 second, got " + timeoutSeconds);
        }
        PrintWriter out = c.out();
        try (ClusterSession s = cluster.connect(c.err())) {
            boolean written = false;
            for (int attempt = 0; attempt < ConfigKey.MAX_ATTEMPTS && !written; attempt++) {
                ConfigKey k = ConfigKey.read(s);
                boolean paused = k.json().path("pause").asBoolean(false);
                if (paused == pause) {
                    throw ExitException.failed("cluster " + s.scope() + " is " + (pause ? "already paused" : "not paused"));
                }
                ObjectNode updated = k.json().deepCopy();
                if (pause) {
                    updated.put("pause", true);
                } else {
                    updated.remove("pause");
                }
                written = k.write(s, updated);
            }
            if (!written) {
                throw ExitException.failed("the config key of cluster " + s.scope() + " kept changing: gave up after "
                        + ConfigKey.MAX_ATTEMPTS + " attempts");
            }
            out.println(pause ? "Success: cluster management is paused" : "Success: cluster management is resumed");
            if (await) {
                out.print("Waiting for every member to show " + (pause ? "the pause" : "the end of the pause") + "...");
                out.flush();
                long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
                while (true) {
                    ClusterView v = s.view();
                    List<String> behind = v.members().values().stream().filter(m -> m.paused() != pause)
                            .map(MemberStatus::name).toList();
                    if (behind.isEmpty()) {
                        out.println(" done");
                        break;
                    }
                    if (System.nanoTime() - deadline >= 0) {
                        out.println();
                        throw ExitException.failed("after " + timeoutSeconds + " s these members still do not show it: "
                                + String.join(", ", behind));
                    }
                    Thread.sleep(500);
                }
            }
            return BaseCommand.EXIT_OK;
        }
    }
}
