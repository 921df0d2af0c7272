package dev.baton.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code baton watchdog}: what it refuses before it listens or reads anything (exit 2). */
class WatchdogCommandTest {
    @TempDir
    Path dir;

    private record Result(int code, String err) {
    }

    private static Result run(String... args) {
        StringWriter e = new StringWriter();
        int code = Baton.commandLine(new PrintWriter(new StringWriter(), true), new PrintWriter(e, true)).execute(args);
        return new Result(code, e.toString());
    }

    private Path file(String watchdogYaml) throws Exception {
        return Files.writeString(dir.resolve("node1.yml"), """
                scope: demo
                name: node1
                restapi: {listen: 127.0.0.1:8008}
                etcd3: {host: 127.0.0.1:2379}
                postgresql:
                  listen: 127.0.0.1:5432
                  data_dir: %s
                  authentication:
                    superuser: {username: postgres, password: x}
                watchdog: %s
                """.formatted(dir.resolve("data"), watchdogYaml));
    }

    @Test
    void neitherADataDirectoryNorAFile() {
        Result r = run("watchdog");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--data-dir or -c is required"), r.err());
    }

    @Test
    void asAServiceItNeedsTheSocket() throws Exception {
        Result r = run("watchdog", "-c", file("{mode: off}").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("watchdog.service_socket is not set (and no --listen given)"), r.err());
    }

    @Test
    void withAFileTheOtherOptionsComeFromIt() throws Exception {
        Result r = run("watchdog", "-c", file("{mode: off, service_socket: /run/baton/wd.sock}").toString(),
                "--data-dir", "/elsewhere");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("with -c, the data directory, name and device come from the file"), r.err());
    }

    @Test
    void aRequiredDeviceThatIsMissingIsRefused() throws Exception {
        Path absent = dir.resolve("no-watchdog");
        Result r = run("watchdog", "-c", file("{mode: required, device: " + absent + ", service_socket: "
                + dir.resolve("wd.sock") + "}").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("watchdog.device " + absent + " does not exist"), r.err());
    }

    /** The service unit's ExecStartPre: the options resolved into the script's options file, one per line. */
    @Test
    void writeOptionsResolvesTheFileIntoTheScriptsOptions() throws Exception {
        Path socket = dir.resolve("wd.sock");
        Path out = dir.resolve("watchdog.options");
        Result r = run("watchdog", "-c", file("{mode: off, service_socket: " + socket + "}").toString(),
                "--write-options", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("--data-dir\n" + dir.resolve("data") + "\n--name\nnode1\n--listen\n" + socket + "\n",
                Files.readString(out));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(out)));

        Result without = run("watchdog", "--data-dir", "/d", "--write-options", out.toString());
        assertEquals(2, without.code());
        assertTrue(without.err().contains("--write-options needs -c"), without.err());
    }
}
