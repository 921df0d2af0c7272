package dev.baton.agent.watchdog;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Runs the fencing watchdog script ({@link WatchdogScript}) with the given arguments, as a child
 * with this process's standard input, output and error, and exits with its status. No rules here.
 *
 * <p>Two callers: {@code baton watchdog} (the service run by {@code -c FILE} without
 * {@code --write-options}, and the child form of older agents), and, by this class's name, an agent
 * of the previous version, which starts {@code java -cp <its jar> dev.baton.agent.watchdog.WatchdogMain
 * --data-dir …} itself: after an upgrade replaced the jar under a running agent, that agent still
 * gets its watchdog (a JVM in front of the script, until the agent is restarted on the new version).
 */
public final class WatchdogMain {
    private WatchdogMain() {
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(List.of(args)));
    }

    /**
     * Runs {@code perl SCRIPT args} and waits for it. SIGTERM to this JVM goes on to the script
     * (which disarms without fencing). Returns the script's exit status, or 2 when perl is missing.
     */
    public static int run(List<String> args) throws IOException, InterruptedException {
        Optional<Path> perl = dev.baton.agent.process.Executables.onPath("perl");
        if (perl.isEmpty()) {
            System.err.println("watchdog: perl is not on PATH: the fencing watchdog is a perl script");
            return 2;
        }
        Path dir = Files.createTempDirectory("baton-watchdog-"); // mode 0700
        dir.toFile().deleteOnExit();
        Path script = WatchdogScript.locate(dir);
        script.toFile().deleteOnExit(); // deleted before its directory (reverse order), also after SIGTERM
        try {
            List<String> command = new ArrayList<>(List.of(perl.get().toString(), script.toString()));
            command.addAll(args);
            Process p = new ProcessBuilder(command).inheritIO().start();
            Thread hook = new Thread(() -> {
                p.destroy();
                try {
                    p.waitFor();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "watchdog-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            int status = p.waitFor();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // shutting down already
            }
            return status;
        } finally {
            Files.deleteIfExists(dir.resolve(WatchdogScript.RESOURCE));
            Files.deleteIfExists(dir);
        }
    }
}
