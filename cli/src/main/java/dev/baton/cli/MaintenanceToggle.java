package dev.baton.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.cli.support.Poll;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What {@code pause} and {@code resume} share: they set or remove {@code "pause"} in the config
 * key by compare-and-set, and with {@code --wait} wait until every member key shows it.
 */
abstract class MaintenanceToggle extends BaseCommand {

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--wait", description = "Wait until every member shows the change in its member key.")
    boolean await;

    @Option(names = "--timeout", defaultValue = "120", paramLabel = "SECONDS",
            description = "With --wait, how long to wait (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    /** True for pause, false for resume. */
    abstract boolean pause();

    @Override
    protected int execute() throws InterruptedException {
        boolean pause = pause();
        if (timeoutSeconds < 1) {
            throw ExitException.badInput("--timeout: must be at least 1 second, got " + timeoutSeconds);
        }
        PrintWriter out = out();
        try (ClusterSession s = cluster.connect(err())) {
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
                List<String> behind = Poll.system().until(Duration.ofSeconds(timeoutSeconds), Duration.ofMillis(500),
                        () -> behind(s.view(), pause), List::isEmpty);
                if (!behind.isEmpty()) {
                    out.println();
                    throw ExitException.failed("after " + timeoutSeconds + " s these members still do not show it: "
                            + String.join(", ", behind));
                }
                out.println(" done");
            }
            return BaseCommand.EXIT_OK;
        }
    }

    private static List<String> behind(ClusterView v, boolean pause) {
        return v.members().values().stream().filter(m -> m.paused() != pause).map(MemberStatus::name).toList();
    }
}
