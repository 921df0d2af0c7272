package dev.baton.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code edit-config} without changes on the command line opens an editor on the current
 * dynamic configuration, as patronictl does: the command in {@code EDITOR} (words split on
 * white space, so {@code EDITOR="code --wait"} works), else {@code editor} or {@code vi} found on
 * the {@code PATH}. The text goes through a temporary file readable only by its owner, removed
 * afterwards; a non-zero exit of the editor changes nothing.
 */
final class EditorSession {
    /** Runs the editor attached to this terminal; returns its exit status. */
    interface Launcher {
        int run(List<String> command) throws IOException, InterruptedException;
    }

    private static final List<String> FALLBACKS = List.of("editor", "vi");

    private final Map<String, String> env;
    private final Function<String, Optional<Path>> which;
    private final Launcher launcher;

    EditorSession(Map<String, String> env, Function<String, Optional<Path>> which, Launcher launcher) {
        this.env = env;
        this.which = which;
        this.launcher = launcher;
    }

    /** The session of this process: its environment, its PATH, the editor inheriting the terminal. */
    static EditorSession system() {
        Map<String, String> env = System.getenv();
        return new EditorSession(env, name -> dev.baton.agent.process.Executables.onPath(name, env.get("PATH")),
                command -> new ProcessBuilder(command).inheritIO().start().waitFor());
    }

    /** Whether {@code EDITOR} names the editor (so a session needs no terminal check of ours). */
    boolean editorGiven() {
        String e = env.get("EDITOR");
        return e != null && !e.isBlank();
    }

    /** The editor command line, without the file; exit 2 when none can be found. */
    List<String> command() {
        if (editorGiven()) {
            return List.of(env.get("EDITOR").trim().split("\\s+"));
        }
        for (String name : FALLBACKS) {
            Optional<Path> p = which.apply(name);
            if (p.isPresent()) {
                return List.of(p.get().toString());
            }
        }
        throw ExitException.badInput("EDITOR is not set and neither editor nor vi is on the PATH: set EDITOR, or give "
                + "the changes with --set, --pg, --apply or --replace");
    }

    /** Opens the editor on {@code before} and returns the text as saved. */
    String edit(String before, String cluster) {
        List<String> command = new ArrayList<>(command());
        Path file = null;
        try {
            file = Files.createTempFile(safePrefix(cluster) + "-config-", ".yaml",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, before, StandardCharsets.UTF_8);
            command.add(file.toString());
            int status;
            try {
                status = launcher.run(command);
            } catch (IOException e) {
                throw ExitException.failed("cannot start the editor " + command.get(0) + ": " + e.getMessage()
                        + "; nothing was written");
            }
            if (status != 0) {
                throw ExitException.failed("the editor " + command.get(0) + " exited with " + status
                        + "; nothing was written");
            }
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw ExitException.failed("cannot use a temporary file for the editor: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ExitException.failed("interrupted while the editor ran; nothing was written");
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a temp file left behind holds no secret: the dynamic config carries none
                }
            }
        }
    }

    /** A cluster name reduced to file-name characters (it comes from the command line or etcd). */
    static String safePrefix(String cluster) {
        String s = cluster == null ? "" : cluster.replaceAll("[^A-Za-z0-9_.-]", "_");
        s = s.length() > 40 ? s.substring(0, 40) : s;
        return s.isEmpty() || s.startsWith(".") ? "baton" + s : s;
    }
}
