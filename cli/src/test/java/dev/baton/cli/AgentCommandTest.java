package dev.baton.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code baton agent --validate-config} runs the agent's own start-time checks (in-process, nothing
 * started): a file it calls valid is one the agent starts with.
 */
class AgentCommandTest {

    @TempDir
    Path dir;

    private Path binDir;

    private record Result(int code, String out, String err) {
    }

    /** A bin_dir with an executable pg_ctl: the agent's binaries check passes on any machine. */
    @BeforeEach
    void fakeBinaries() throws IOException {
        binDir = Files.createDirectory(dir.resolve("bin"));
        Files.createFile(binDir.resolve("pg_ctl"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
    }

    private Path file(String superuser, String callbacks) throws IOException {
        String yaml = """
                scope: demo
                name: node1
                restapi: {listen: 127.0.0.1:8008}
                etcd3: {host: 127.0.0.1:2379}
                postgresql:
                  listen: 127.0.0.1:5432
                  data_dir: %s
                  bin_dir: %s
                  authentication:
                    superuser: %s
                %s""".formatted(dir.resolve("data"), binDir, superuser, callbacks);
        return Files.writeString(dir.resolve("node1.yml"), yaml);
    }

    private static Result validate(Path file) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Baton.commandLine(new PrintWriter(o, true), new PrintWriter(e, true))
                .execute("agent", "-c", file.toString(), "--validate-config");
        return new Result(code, o.toString(), e.toString());
    }

    @Test
    void aFileTheAgentStartsWithIsValid() throws IOException {
        Result r = validate(file("{username: postgres, password: secret}", ""));
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.out().contains("is valid: the agent would start with it"), r::toString);
        assertTrue(r.out().contains("not checked (only starting shows): whether restapi.listen's port is free"),
                r::toString);
    }

    @Test
    void noSuperuserPasswordIsRefusedAsTheAgentRefusesIt() throws IOException {
        Result r = validate(file("{username: postgres}", ""));
        assertEquals(2, r.code(), r::toString);
        assertTrue(r.err().contains("the agent would not start with ")
                && r.err().contains("(1 problem):\n  postgresql.authentication.superuser.password: is required"),
                r::toString);
        assertEquals("", r.out());
    }

    @Test
    void anUnbalancedQuoteInACallbackIsRefusedAsTheAgentRefusesIt() throws IOException {
        Result r = validate(file("{username: postgres, password: secret}",
                "  callbacks: {on_role_change: \"/usr/local/bin/route.sh 'primary\"}\n"));
        assertEquals(2, r.code(), r::toString);
        assertTrue(r.err().contains("postgresql.callbacks.on_role_change: no closing single quote in: "
                + "/usr/local/bin/route.sh 'primary"), r::toString);
    }

    @Test
    void everyProblemIsListedAndThoseOfThisMachineAreMarked() throws IOException {
        Files.delete(binDir.resolve("pg_ctl"));
        Result r = validate(file("{username: postgres}", "  callbacks: {on_stop: \"echo \\\"x\"}\n"));
        assertEquals(2, r.code(), r::toString);
        assertTrue(r.err().contains("(3 problems):"), r::toString);
        assertTrue(r.err().contains("postgresql.bin_dir: no executable pg_ctl in " + binDir + " (on this machine)"),
                r::toString);
    }
}
