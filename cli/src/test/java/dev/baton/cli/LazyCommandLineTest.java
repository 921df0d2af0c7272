package dev.baton.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The command line main builds (issue 19): only the command run is built in full, and what it
 * prints is what the full command line prints.
 */
class LazyCommandLineTest {

    record Run(int code, String out, String err) {
    }

    static Run run(boolean lazy, String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        PrintWriter out = new PrintWriter(o, true);
        PrintWriter err = new PrintWriter(e, true);
        CommandLine cl = lazy ? Baton.commandLine(args, out, err) : Baton.commandLine(out, err);
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return new Run(code, o.toString(), e.toString());
    }

    static Stream<Arguments> arguments() {
        return Stream.<String[]>of(new String[] {}, new String[] {"--help"}, new String[] {"-h"}, new String[] {"--version"},
                new String[] {"help"}, new String[] {"help", "list"}, new String[] {"help", "nosuch"},
                new String[] {"list", "--help"}, new String[] {"lisst"}, new String[] {"--bogus", "list"},
                new String[] {"certs"}, new String[] {"certs", "ca", "--help"}, new String[] {"backup", "list", "--help"},
                new String[] {"-c", "/nonexistent/baton.yml", "list", "--help"},
                new String[] {"-k", "certs", "--help"}, new String[] {"--dcs-url", "etcd3://127.0.0.1:1", "demo"},
                new String[] {"list", "--format", "xml", "--etcd", "127.0.0.1:1", "--scope", "demo"},
                new String[] {"list", "--etcd", "127.0.0.1:1", "--scope", "demo"},
                new String[] {"show-config", "--etcd", "127.0.0.1:1", "--scope", "demo"},
                new String[] {"topology", "--bogus"}, new String[] {"-c", "list", "list"}).map(a -> Arguments.of((Object) a));
    }

    @ParameterizedTest
    @MethodSource("arguments")
    void printsWhatTheFullCommandLinePrints(String[] args) {
        Run full = run(false, args);
        Run lazy = run(true, args);
        assertEquals(full, lazy, String.join(" ", args));
    }

    @Test
    void findsTheCommandAsPicocliParsesIt() {
        assertEquals(Set.of("list"), Baton.commandsRun(new String[] {"list", "--etcd", "127.0.0.1:2379", "-e"}));
        assertEquals(Set.of("list"), Baton.commandsRun(new String[] {"-c", "f.yml", "list", "--help"}));
        assertEquals(Set.of("list"), Baton.commandsRun(new String[] {"-kc", "f.yml", "list"}));
        assertEquals(Set.of("list"), Baton.commandsRun(new String[] {"--dcs-url=etcd3://h:1", "list", "demo"}));
        assertEquals(Set.of("help", "topology"), Baton.commandsRun(new String[] {"help", "topology"}));
        assertEquals(Set.of("certs"), Baton.commandsRun(new String[] {"certs", "node", "--dir", "x"}));
        assertEquals(Set.of(), Baton.commandsRun(new String[] {}));
        assertEquals(Set.of(), Baton.commandsRun(new String[] {"--version"}));
        assertEquals(Baton.COMMANDS.size(), Baton.commandsRun(new String[] {"-c"}).size());
    }

    @Test
    void buildsOnlyTheCommandRun() {
        String[] args = {"list", "--etcd", "127.0.0.1:2379", "--scope", "demo"};
        CommandLine cl = Baton.commandLine(args, new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        assertInstanceOf(ListCommand.class, cl.getSubcommands().get("list").getCommand());
        assertFalse(cl.getSubcommands().get("drill").getCommand() instanceof DrillCommand);
        assertEquals(Baton.COMMANDS.size(), cl.getSubcommands().size());
        assertTrue(cl.getSubcommands().keySet().containsAll(Baton.commandLine(new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter())).getSubcommands().keySet()));
    }
}
