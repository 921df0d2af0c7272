package dev.baton.agent;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgentJvmOptionsTest {

    @Test
    void parsesWordsAndSkipsComments() {
        assertEquals(List.of("-Xmx64m", "-XX:+UseSerialGC", "-Da=b#c"),
                AgentJvmOptions.parse("# heap\n-Xmx64m   # trailing comment\n\n  -XX:+UseSerialGC\t-Da=b#c\n#-Xss1m\n"));
        assertEquals(List.of(), AgentJvmOptions.parse("# only a comment, with a quote: don't\n"));
    }

    @Test
    void refusesQuoting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AgentJvmOptions.parse("-Dx=\"a b\"\n"));
        assertTrue(e.getMessage().contains("quoting"), e.getMessage());
    }

    /** The class path copy is the build's copy of deploy/baton-agent.jvmopts, not a second source. */
    @Test
    void classPathCopyIsTheDeployFile() throws Exception {
        List<String> options = AgentJvmOptions.options();
        assertEquals(AgentJvmOptions.parse(Files.readString(deployFile())), options);
        assertTrue(options.contains("-XX:+UseSerialGC"), options.toString());
        assertTrue(options.stream().anyMatch(o -> o.startsWith("-Xmx")), options.toString());
        assertTrue(options.stream().allMatch(o -> o.startsWith("-")), options.toString());
    }

    /** Every option is one this JVM knows: a typo would stop every agent from starting. */
    @Test
    void javaAcceptsTheFile() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "@" + deployFile().toAbsolutePath(), "-version"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "java -version did not finish");
        assertEquals(0, p.exitValue(), output);
    }

    private static Path deployFile() {
        return Path.of("..", "deploy", AgentJvmOptions.FILE_NAME);
    }
}
