package dev.baton.agent.backup;

import dev.baton.agent.process.ProcessRunner.ProcessResult;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Keeps pgBackRest's TLS server ({@code pgbackrest server}, {@code backup.server}) running on this
 * member, on its own thread {@code baton-pgbackrest-server}, for as long as the agent runs: on
 * every member, so that whichever is the primary can be reached by a replica's backup. A server
 * that stops is started again after {@code restartDelay}; {@link #close} kills it (the process
 * runner kills a program whose thread is interrupted). Never touches the HA loop.
 */
public final class PgBackRestServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PgBackRestServer.class.getName());

    private final Function<Consumer<String>, ProcessResult> serve;
    private final Runnable beforeStart;
    private final Duration restartDelay;
    private final Thread thread;
    private volatile boolean closed;
    private volatile int starts;

    /**
     * @param serve       runs the server until it stops (or the thread is interrupted), giving it a
     *                    consumer of its output lines
     * @param beforeStart runs before each start (kills a server an earlier agent left behind)
     */
    PgBackRestServer(Function<Consumer<String>, ProcessResult> serve, Runnable beforeStart, Duration restartDelay) {
        this.serve = serve;
        this.beforeStart = beforeStart;
        this.restartDelay = restartDelay;
        this.thread = new Thread(this::loop, "baton-pgbackrest-server");
        this.thread.setDaemon(true);
    }

    /** Starts {@code repository}'s server now, and again 5 s after each stop. */
    public static PgBackRestServer start(PgBackRest repository) {
        PgBackRestServer s = new PgBackRestServer(repository::serve, repository::killStaleServers,
                Duration.ofSeconds(5));
        s.thread.start();
        return s;
    }

    /** Starts the thread (tests). */
    PgBackRestServer started() {
        thread.start();
        return this;
    }

    /** How many times the server was started. */
    public int starts() {
        return starts;
    }

    private void loop() {
        while (!closed) {
            String outcome;
            try {
                beforeStart.run();
                starts++;
                if (starts == 1) {
                    LOG.info("starting pgBackRest's TLS server (backup.server)");
                }
                ProcessResult r = serve.apply(line -> LOG.info("pgbackrest server: " + line));
                outcome = r.timedOut() ? "stopped" : "exited with code " + r.exitCode();
                if (!r.output().isBlank()) {
                    outcome += ": " + PgBackRest.lastLines(r.output());
                }
            } catch (RuntimeException e) {
                outcome = "could not run: " + e.getMessage();
            }
            if (closed || Thread.currentThread().isInterrupted()) {
                return;
            }
            LOG.warning("pgBackRest's TLS server " + outcome + "; starting it again in " + restartDelay.toSeconds()
                    + " s (backups from a replica cannot reach this member meanwhile)");
            try {
                Thread.sleep(restartDelay.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Stops the server (kills it) and waits up to 10 s for its thread. */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
