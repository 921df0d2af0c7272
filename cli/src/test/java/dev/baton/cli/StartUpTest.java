package dev.baton.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** main's start-up work on a second thread (issue 19): waited for before the command is built, failures kept. */
class StartUpTest {

    /** Work that sets {@code done} after a pause. */
    private static Baton.StartUp slowly(AtomicBoolean done) {
        return Baton.StartUp.start(() -> {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            done.set(true);
        });
    }

    @Test
    void awaitWaitsForTheWork() {
        AtomicBoolean done = new AtomicBoolean();
        Baton.StartUp s = slowly(done);
        s.await();
        assertTrue(done.get());
    }

    @Test
    void awaitThrowsWhatTheWorkThrew() {
        IllegalStateException thrown = new IllegalStateException("no logging");
        Baton.StartUp s = Baton.StartUp.start(() -> {
            throw thrown;
        });
        assertSame(thrown, assertThrows(IllegalStateException.class, s::await));
    }

    @Test
    void theCommandIsBuiltOnlyOnceTheStartUpWorkIsDone() {
        AtomicBoolean done = new AtomicBoolean();
        Baton.StartUp s = slowly(done);
        StringWriter o = new StringWriter();
        String[] args = {"--version"};
        int code = Baton.commandLine(args, new PrintWriter(o, true), new PrintWriter(new StringWriter(), true), s)
                .execute(args);
        assertTrue(done.get());
        assertEquals(0, code);
        assertTrue(o.toString().startsWith("baton "), o.toString());
    }

    @Test
    void jacksonIsWarmedUpForCommandsNotForHelpOrTheVersion() {
        assertTrue(Baton.readsCluster(new String[] {"list"}));
        assertTrue(Baton.readsCluster(new String[] {"-c", "baton.yml", "topology"}));
        assertEquals(false, Baton.readsCluster(new String[] {}));
        assertEquals(false, Baton.readsCluster(new String[] {"--version"}));
        assertEquals(false, Baton.readsCluster(new String[] {"list", "--help"}));
        assertEquals(false, Baton.readsCluster(new String[] {"help", "list"}));
    }

    @Test
    void theJsonWarmUpNeverThrows() {
        Baton.warmJson();
    }
}
