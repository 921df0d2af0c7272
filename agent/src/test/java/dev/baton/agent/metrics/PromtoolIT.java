package dev.baton.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The shipped Prometheus files pass Prometheus's own checker: {@code promtool check rules},
 * {@code promtool test rules} (alerts_test.yml: each alert fires, or not, on synthetic series) and
 * {@code promtool check config}. Skipped only when promtool is not installed (Debian package
 * {@code prometheus}; scripts/test.sh installs it).
 */
class PromtoolIT {

    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("deploy/prometheus"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new AssertionError("deploy/prometheus not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    static Path promtool() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, "promtool");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        Path p = Path.of("/usr/bin/promtool");
        return Files.isExecutable(p) ? p : null;
    }

    private static void run(String... args) throws IOException, InterruptedException {
        Path promtool = promtool();
        Assumptions.assumeTrue(promtool != null, "promtool is not installed (Debian package prometheus)");
        List<String> cmd = new ArrayList<>();
        cmd.add(promtool.toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(repoRoot().resolve("deploy/prometheus").toFile())
                .redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool finished");
        String text = new String(out, StandardCharsets.UTF_8);
        System.out.println(String.join(" ", cmd) + "\n" + text);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + text);
    }

    @Test
    void alertRulesAreValid() throws Exception {
        run("check", "rules", "alerts.yml");
    }

    @Test
    void alertRulesFireAsTheirUnitTestsExpect() throws Exception {
        run("test", "rules", "alerts_test.yml");
    }

    @Test
    void theExampleScrapeConfigIsValid() throws Exception {
        run("check", "config", "prometheus.yml");
    }
}
