package dev.baton.agent.watchdog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The watchdog process's command line and exit statuses (the fence runs on an empty data directory). */
class WatchdogMainTest {
    @TempDir
    Path tmp;

    static Stream<Arguments> commandLines() {
        return Stream.of(
                Arguments.of(List.of("--data-dir", "/d"), new WatchdogMain.Options(Path.of("/d"), null, null, false)),
                Arguments.of(List.of("--data-dir=/d", "--name=node1"),
                        new WatchdogMain.Options(Path.of("/d"), "node1", null, false)),
                Arguments.of(List.of("--device-required", "--device", "/dev/watchdog", "--name", "n 1", "--data-dir", "/d"),
                        new WatchdogMain.Options(Path.of("/d"), "n 1", Path.of("/dev/watchdog"), true)),
                Arguments.of(List.of("--data-dir", "/d", "--listen", "/run/baton/watchdog.sock"),
                        new WatchdogMain.Options(Path.of("/d"), null, null, false, Path.of("/run/baton/watchdog.sock"))));
    }

    @ParameterizedTest
    @MethodSource("commandLines")
    void parse(List<String> args, WatchdogMain.Options expected) {
        assertEquals(expected, WatchdogMain.Options.parse(args));
        assertEquals(expected, WatchdogMain.Options.parse(expected.toArgs()), "toArgs reads back");
    }

    static Stream<Arguments> badCommandLines() {
        return Stream.of(
                Arguments.of(List.of(), "--data-dir is required"),
                Arguments.of(List.of("--name", "n"), "--data-dir is required"),
                Arguments.of(List.of("--data-dir"), "--data-dir needs a value"),
                Arguments.of(List.of("--data-dir", "/d", "--verbose", "x"), "unknown option --verbose"),
                Arguments.of(List.of("watchdog", "--data-dir", "/d"), "unexpected argument \"watchdog\""),
                Arguments.of(List.of("--data-dir", "/d", "--device-required=yes"), "--device-required takes no value"));
    }

    @ParameterizedTest
    @MethodSource("badCommandLines")
    void aBadCommandLineExitsTwoWithTheUsage(List<String> args, String problem) throws Exception {
        assertEquals(problem, assertThrows(IllegalArgumentException.class, () -> WatchdogMain.Options.parse(args))
                .getMessage());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(2, WatchdogMain.run(args, new ByteArrayInputStream(new byte[0]),
                new PrintStream(err, true, StandardCharsets.UTF_8)));
        String printed = err.toString(StandardCharsets.UTF_8);
        assertTrue(printed.startsWith("watchdog: " + problem + "\nusage: dev.baton.agent.watchdog.WatchdogMain --data-dir"),
                printed);
    }

    private int run(String input) throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        return WatchdogMain.run(List.of("--data-dir", data.toString(), "--name", "node1"),
                new ByteArrayInputStream(input.getBytes(StandardCharsets.US_ASCII)), System.err);
    }

    @Test
    void exitStatuses() throws Exception {
        assertEquals(0, run("arm 60000\nexit\n"), "asked to exit");
        assertEquals(0, run("arm 60000\ndisarm\n"), "input ended while disarmed");
        assertEquals(1, run("arm 60000\n"), "input ended while armed: fenced");
    }
}
