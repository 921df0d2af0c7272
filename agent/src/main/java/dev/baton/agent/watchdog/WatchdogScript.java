package dev.baton.agent.watchdog;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The fencing watchdog process: a small perl script ({@code baton-watchdog.pl}, a resource of this
 * package) that holds the rules, the fence and the device handling (see its header and
 * docs/failure-modes.md §12). It is the only implementation of them: the agent
 * ({@link ProcessWatchdog}) starts it as {@code perl SCRIPT --data-dir DIR ...} and feeds it
 * heartbeats; {@code baton watchdog} resolves the agent's configuration into its options.
 *
 * <p>perl rather than a second JVM: about 5 MB of RSS instead of about 45, and perl is on every
 * Debian machine with PostgreSQL (postgresql-common depends on it). The script uses core modules
 * only.
 *
 * <p>Where the script runs from: the package's copy beside the jar
 * ({@code /usr/share/baton/baton-watchdog}) when it is the same script as the jar's, else a copy
 * the agent writes into a private directory (mode 0700) of its own, written again whenever it is
 * missing or differs. No secrets are involved: the script is the same for everyone.
 */
public final class WatchdogScript {
    /** The resource, in this package. */
    static final String RESOURCE = "baton-watchdog.pl";
    /** The installed name, beside the jar (the .deb puts it in /usr/share/baton). */
    public static final String INSTALLED_NAME = "baton-watchdog";

    /** What the SEVERE line of a fence contains (tests and operators grep for it). */
    public static final String FENCING = "fencing postgres now";

    private WatchdogScript() {
    }

    /**
     * The script's command line.
     *
     * @param dataDir        the PostgreSQL data directory to fence
     * @param name           the member's name, for the log; may be null
     * @param device         the Linux watchdog device to keep alive while armed, or null
     * @param deviceRequired watchdog.mode is required: failing to open the device is SEVERE
     * @param listen         run as a service on this Unix socket, or null: read standard input
     */
    public record Options(Path dataDir, String name, Path device, boolean deviceRequired, Path listen) {

        public Options {
            if (dataDir == null) {
                throw new IllegalArgumentException("the data directory is required");
            }
        }

        /** A child watchdog, reading its standard input. */
        public Options(Path dataDir, String name, Path device, boolean deviceRequired) {
            this(dataDir, name, device, deviceRequired, null);
        }

        /** The script's arguments for these options. */
        public List<String> toArgs() {
            List<String> a = new ArrayList<>(List.of("--data-dir", dataDir.toString()));
            if (name != null) {
                a.addAll(List.of("--name", name));
            }
            if (device != null) {
                a.addAll(List.of("--device", device.toString()));
                if (deviceRequired) {
                    a.add("--device-required");
                }
            }
            if (listen != null) {
                a.addAll(List.of("--listen", listen.toString()));
            }
            return a;
        }

        /**
         * The arguments one per line, for the script's {@code --options-file} (the service unit's
         * ExecStartPre writes it).
         *
         * @throws IllegalArgumentException an argument holds a line break
         */
        public String toOptionsFile() {
            StringBuilder sb = new StringBuilder();
            for (String arg : toArgs()) {
                if (arg.indexOf('\n') >= 0 || arg.indexOf('\r') >= 0) {
                    throw new IllegalArgumentException("a watchdog option holds a line break: \""
                            + arg.replace("\n", "\\n").replace("\r", "\\r") + "\"");
                }
                sb.append(arg).append('\n');
            }
            return sb.toString();
        }
    }

    /** {@code perl SCRIPT <options>}. */
    public static List<String> command(Path perl, Path script, Options options) {
        List<String> c = new ArrayList<>(List.of(perl.toString(), script.toString()));
        c.addAll(options.toArgs());
        return c;
    }

    /** The script's text. */
    public static byte[] content() {
        try (InputStream in = WatchdogScript.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the watchdog script " + RESOURCE + " is missing from the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the watchdog script " + RESOURCE, e);
        }
    }

    /**
     * The script to run: the installed copy beside the jar if it is this script, else a private
     * copy in {@code privateDir} (see {@link #extract}).
     */
    public static Path locate(Path privateDir) throws IOException {
        byte[] mine = content();
        Optional<Path> installed = installedCopy();
        if (installed.isPresent() && sameContent(installed.get(), mine)) {
            return installed.get();
        }
        return extract(privateDir, mine);
    }

    /** {@code baton-watchdog} in the directory of the jar this class came from, if there is one. */
    static Optional<Path> installedCopy() {
        try {
            CodeSource source = WatchdogScript.class.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null) {
                return Optional.empty();
            }
            Path jar = Path.of(source.getLocation().toURI());
            if (!Files.isRegularFile(jar) || jar.getParent() == null) {
                return Optional.empty(); // classes from a directory (a build): no package beside it
            }
            Path p = jar.getParent().resolve(INSTALLED_NAME);
            return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
        } catch (URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Writes the script to {@code dir/baton-watchdog.pl} unless it is there already with the same
     * text. The directory is created mode 0700 and must belong to this process's user and not be
     * open to others: the file is run by the agent's user, so nobody else may be able to change it.
     *
     * @throws IOException the directory cannot be made, or is someone else's or open to others
     */
    public static Path extract(Path dir, byte[] content) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (!Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).equals(Files.getOwner(Path.of("/proc/self")))) {
            throw new IOException(dir + " belongs to " + Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName()
                    + ", not to this user: not running a watchdog script from it");
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Path script = dir.resolve(RESOURCE);
        if (Files.isRegularFile(script, LinkOption.NOFOLLOW_LINKS) && sameContent(script, content)) {
            return script;
        }
        Path tmp = Files.createTempFile(dir, RESOURCE, ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try {
            Files.write(tmp, content);
            try {
                Files.move(tmp, script, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, script, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return script;
    }

    private static boolean sameContent(Path file, byte[] content) {
        try {
            return Files.size(file) == content.length && Arrays.equals(Files.readAllBytes(file), content);
        } catch (IOException e) {
            return false;
        }
    }

}
