package dev.baton.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The agent JVM's options: {@code deploy/baton-agent.jvmopts}, the one place they are written
 * down, read from its copy on the class path (the build puts it there). The shell launchers pass
 * the file itself to java ({@code java @baton-agent.jvmopts}); Java code that starts an agent
 * (the local clusters of {@code baton demo} and the integration tests) uses {@link #options()}.
 */
public final class AgentJvmOptions {

    /** The file's name, in deploy/, next to the installed jar, and on the class path next to this class. */
    public static final String FILE_NAME = "baton-agent.jvmopts";

    /**
     * The environment the launchers give the agent JVM: two glibc malloc arenas instead of up to
     * eight per core (harmless for its children too, and no secret).
     */
    public static final Map<String, String> ENVIRONMENT = Map.of("MALLOC_ARENA_MAX", "2");

    private AgentJvmOptions() {
    }

    /** The options in the file's order. */
    public static List<String> options() {
        try (InputStream in = AgentJvmOptions.class.getResourceAsStream(FILE_NAME)) {
            if (in == null) {
                throw new IllegalStateException(FILE_NAME + " is not on the class path next to "
                        + AgentJvmOptions.class.getName() + " (the build copies it from deploy/)");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + FILE_NAME, e);
        }
    }

    /**
     * The options of a java argument file without quoting: words separated by white space, a
     * word starting with {@code #} starts a comment to the end of the line.
     *
     * @throws IllegalArgumentException on a quote or backslash, which java would interpret and this does not
     */
    static List<String> parse(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            for (String word : line.strip().split("\\s+")) {
                if (word.startsWith("#")) {
                    break;
                }
                if (word.isEmpty()) {
                    continue;
                }
                if (word.indexOf('"') >= 0 || word.indexOf('\'') >= 0 || word.indexOf('\\') >= 0) {
                    throw new IllegalArgumentException(FILE_NAME + ": quoting is not supported: " + word);
                }
                out.add(word);
            }
        }
        return List.copyOf(out);
    }
}
