package dev.baton.cli;

import dev.baton.agent.AgentJvmOptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent JVM's options are written down once, in deploy/baton-agent.jvmopts: every place that
 * starts an agent uses that file, and no launcher, unit, document or local cluster carries a copy
 * of them that could drift (docs/performance.md, Footprint).
 */
class AgentJvmOptionsFilesTest {

    /** The shell launchers: `baton agent` runs java with the file and two malloc arenas. */
    private static final List<String> LAUNCHERS = List.of("bin/baton", "packaging/deb/baton",
            "deploy/cloud-init/baton-user-data.yaml", "aws/src/main/resources/dev/baton/aws/provision/baton-user-data.yaml");

    /** Where copies of the options used to be. */
    private static final List<String> FORMER_COPIES = List.of("bin/baton", "packaging/deb/baton", "packaging/deb/baton.1",
            "deploy/systemd/baton.service", "aws/src/main/resources/dev/baton/aws/provision/baton.service",
            "deploy/cloud-init/baton-user-data.yaml", "aws/src/main/resources/dev/baton/aws/provision/baton-user-data.yaml",
            "deploy/README.md", "docs/install.md", "cli/src/main/java/dev/baton/cli/local/LocalCluster.java");

    private static final Pattern AGENT_BRANCH = Pattern.compile(
            "^( *)if \\[ \"\\$\\{1:-}\" = agent ]; then\\n(.*?)\\n\\1fi\\n", Pattern.DOTALL | Pattern.MULTILINE);

    @Test
    void everyLauncherStartsTheAgentWithTheFile() throws IOException {
        for (String file : LAUNCHERS) {
            String text = read(file);
            Matcher m = AGENT_BRANCH.matcher(text);
            assertTrue(m.find(), file + ": no `baton agent` branch");
            String branch = m.group(2);
            assertTrue(Pattern.compile("exec \"?\\$?java\"? \\$\\{BATON_JAVA_OPTS:-@[^}]*} -jar ").matcher(branch).find()
                    && branch.contains("/baton-agent.jvmopts"),
                    file + ": the agent branch does not run java @.../baton-agent.jvmopts:\n" + branch);
            assertTrue(branch.contains("MALLOC_ARENA_MAX=\"${MALLOC_ARENA_MAX:-2}\""),
                    file + ": the agent branch does not set MALLOC_ARENA_MAX:\n" + branch);
        }
    }

    @Test
    void theFileIsShippedWhereTheLaunchersLook() throws IOException {
        assertTrue(read("packaging/deb/build-deb.sh").contains(
                "\"$top/deploy/baton-agent.jvmopts\" \"$root/usr/share/baton/baton-agent.jvmopts\""), "build-deb.sh");
        assertTrue(read("deploy/README.md").contains(
                "deploy/baton-agent.jvmopts /usr/local/lib/baton/baton-agent.jvmopts"), "deploy/README.md");
        assertTrue(read("deploy/cloud-init/baton-user-data.yaml").contains(
                "- path: /usr/local/lib/baton/baton-agent.jvmopts"), "cloud-init");
    }

    /** Options that only the agent has must not appear anywhere else; BATON_JAVA_OPTS examples keep the file. */
    @Test
    void noCopyOfTheOptionsIsLeft() throws IOException {
        List<String> agentOnly = AgentJvmOptions.options().stream()
                .filter(o -> o.startsWith("-Xmn") || o.startsWith("-Dio.netty") || o.contains("ExitOnOutOfMemoryError")
                        || o.contains("MetaspaceReclaimPolicy"))
                .toList();
        assertFalse(agentOnly.isEmpty(), "the agent-only options this test looks for are gone from the file");
        for (String file : FORMER_COPIES) {
            String text = read(file);
            for (String option : agentOnly) {
                assertFalse(text.contains(option), file + " has a copy of the agent option " + option);
            }
            Matcher m = Pattern.compile("BATON_JAVA_OPTS=\"([^\"]*)\"").matcher(text);
            while (m.find()) {
                assertTrue(m.group(1).startsWith("@"), file + ": an agent's BATON_JAVA_OPTS without the file: " + m.group());
            }
        }
        String cluster = read("cli/src/main/java/dev/baton/cli/local/LocalCluster.java");
        assertTrue(cluster.contains("AgentJvmOptions.options()"), "LocalCluster does not start agents with the file's options");
        assertFalse(cluster.contains("\"-Xmx"), "LocalCluster has a heap option of its own");
    }

    private static String read(String file) throws IOException {
        return Files.readString(Path.of("..").resolve(file));
    }
}
