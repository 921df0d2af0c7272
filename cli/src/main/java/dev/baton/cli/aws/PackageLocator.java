package dev.baton.cli.aws;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds this build's Debian package for {@code create-cluster} when no {@code --package} is given:
 * a {@code baton_VERSION_all.deb} near the running jar (or classes directory), in its folder or
 * up to three folders above it, at most four levels down from each (so {@code target/},
 * {@code cli/target/}, {@code target/deb/} ... of a source tree all count). The newest one wins.
 */
final class PackageLocator {
    static final int UP = 3;
    static final int DOWN = 4;

    private PackageLocator() {
    }

    /** Where the running code is (a jar, or a classes directory), or empty when it cannot be told. */
    static Optional<Path> running() {
        try {
            var source = PackageLocator.class.getProtectionDomain().getCodeSource();
            return source == null ? Optional.empty() : Optional.of(Path.of(source.getLocation().toURI()));
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The folders searched from {@code start} (the jar's folder first), for messages too. */
    static List<Path> roots(Path start) {
        List<Path> out = new ArrayList<>();
        Path dir = Files.isDirectory(start) ? start : start.toAbsolutePath().getParent();
        for (int i = 0; dir != null && i <= UP; i++, dir = dir.getParent()) {
            out.add(dir);
        }
        return out;
    }

    /** The newest {@code baton_*_all.deb} under the roots of {@code start}, or empty. */
    static Optional<Path> find(Path start) {
        Path best = null;
        long bestTime = Long.MIN_VALUE;
        for (Path root : roots(start)) {
            try (Stream<Path> files = Files.find(root, DOWN, (p, a) -> a.isRegularFile()
                    && p.getFileName().toString().matches("baton_[^/]+_all\\.deb"))) {
                for (Path p : files.toList()) {
                    long t = Files.getLastModifiedTime(p).toMillis();
                    if (t > bestTime) {
                        best = p;
                        bestTime = t;
                    }
                }
            } catch (IOException | UncheckedIOException e) {
                // an unreadable folder is skipped
            }
            if (best != null) {
                return Optional.of(best);
            }
        }
        return Optional.ofNullable(best);
    }

    /** The roots as text for an error message. */
    static String describe(Path start) {
        return String.join(", ", roots(start).stream().map(Path::toString).sorted(Comparator.naturalOrder()).toList());
    }
}
