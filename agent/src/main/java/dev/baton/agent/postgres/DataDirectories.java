package dev.baton.agent.postgres;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Recursive deletion of directories: a data directory's contents (a failed clone, a re-clone) and
 * whole scratch trees (local clusters). Symbolic links are removed, never followed.
 */
public final class DataDirectories {
    private DataDirectories() {
    }

    /**
     * Deletes everything inside {@code dir} and keeps {@code dir} itself (with its owner and mode,
     * which PostgreSQL checks). Nothing happens if it does not exist.
     */
    public static void deleteContents(Path dir) throws IOException {
        delete(dir, true);
    }

    /** Deletes {@code dir} and everything inside it. Nothing happens if it does not exist. */
    public static void deleteTree(Path dir) throws IOException {
        delete(dir, false);
    }

    /**
     * {@link #deleteTree} for scratch directories, where a leftover is harmless: returns false
     * instead of throwing when something could not be deleted.
     */
    public static boolean deleteTreeQuietly(Path dir) {
        try {
            deleteTree(dir);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void delete(Path root, boolean keepRoot) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                if (!(keepRoot && dir.equals(root))) {
                    Files.deleteIfExists(dir);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
