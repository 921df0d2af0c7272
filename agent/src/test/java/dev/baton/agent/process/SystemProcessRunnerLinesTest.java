package dev.baton.agent.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The line-by-line variant of SystemProcessRunner.run: lines arrive while the program runs, the result is unchanged. */
class SystemProcessRunnerLinesTest {

    @Test
    void linesArriveWhileTheProgramRunsAndTheLastOneWithoutABreakToo(@TempDir Path dir) {
        // The program goes on only once the consumer saw its first line: it would time out otherwise.
        Path seen = dir.resolve("seen");
        List<String> lines = new CopyOnWriteArrayList<>();
        ProcessRunner.ProcessResult r = new SystemProcessRunner().run(List.of("sh", "-c",
                "echo 'one (8KB, 1.00%)'; while [ ! -f \"$1\" ]; do sleep 0.1; done; echo two; printf three", "sh",
                seen.toString()), Map.of(), null, Duration.ofSeconds(60), line -> {
                    lines.add(line);
                    if (line.startsWith("one")) {
                        try {
                            Files.createFile(seen);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                });
        assertTrue(r.ok(), r.output());
        assertEquals(List.of("one (8KB, 1.00%)", "two", "three"), lines);
        assertEquals("one (8KB, 1.00%)\ntwo\nthree", r.output());
    }

    @Test
    void aConsumerThatThrowsDoesNotStopTheProgramAndATimeoutStillKills() {
        ProcessRunner.ProcessResult r = new SystemProcessRunner().run(List.of("sh", "-c", "echo x; sleep 30"),
                Map.of(), null, Duration.ofMillis(700), line -> {
                    throw new IllegalStateException("bad consumer");
                });
        assertTrue(r.timedOut());
        assertEquals("x\n", r.output());
    }

    @Test
    void theDefaultMethodHandsTheLinesOverAtTheEnd() {
        FakeProcessRunner fake = new FakeProcessRunner().answer(c -> FakeProcessRunner.ok("a\nb\n"));
        List<String> lines = new CopyOnWriteArrayList<>();
        fake.run(List.of("x"), Map.of(), null, Duration.ofSeconds(1), lines::add);
        assertEquals(List.of("a", "b"), lines);
    }
}
