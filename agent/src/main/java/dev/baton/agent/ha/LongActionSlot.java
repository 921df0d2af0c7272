package dev.baton.agent.ha;

import dev.baton.agent.postgres.PostgresException;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

/**
 * The one slot for long actions (Patroni's AsyncExecutor): at most one runs at a time, on its
 * own thread, while the HA loop keeps renewing its lease and reports "... in progress". When an
 * action ends, {@code onDone} runs (it invalidates what the action may have changed and wakes
 * the loop).
 */
final class LongActionSlot implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LongActionSlot.class.getName());

    /** Runs a submitted action; production uses one daemon thread, tests may run it in place. */
    interface Runner extends AutoCloseable {
        void execute(Runnable action);

        @Override
        void close();

        static Runner thread(String name) {
            ExecutorService exec = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                return t;
            });
            return new Runner() {
                @Override
                public void execute(Runnable action) {
                    exec.execute(action);
                }

                @Override
                public void close() {
                    exec.shutdownNow();
                }
            };
        }
    }

    private final Runner runner;
    private final BooleanSupplier stopping;
    private final Runnable onDone;
    private volatile LongAction.Running running;

    LongActionSlot(Runner runner, BooleanSupplier stopping, Runnable onDone) {
        this.runner = runner;
        this.stopping = stopping;
        this.onDone = onDone;
    }

    /** The action in progress, or null. */
    LongAction.Running running() {
        return running;
    }

    /**
     * The running action moved to another phase (a fence to its next channel, then the drain, then
     * the promotion): what "... in progress" says from now on. Called from the action itself.
     */
    void progress(LongAction.Running now) {
        if (running != null) {
            running = now;
        }
    }

    /** Starts {@code action}; the caller has made sure the slot is free (under the loop's cycle lock). */
    void submit(LongAction.Running what, Runnable action) {
        if (running != null) {
            throw new IllegalStateException(running.description() + " is in progress; cannot start " + what.description());
        }
        running = what;
        runner.execute(() -> {
            try {
                action.run();
                LOG.info(what.description() + " finished");
            } catch (RuntimeException e) {
                if (stopping.getAsBoolean()) {
                    LOG.info(what.description() + " stopped: the agent is shutting down");
                } else {
                    LOG.severe(what.description() + " failed: " + e.getMessage());
                }
            } finally {
                running = null;
                onDone.run();
            }
        });
    }

    /** Starts {@code action} and returns its outcome (the message it returns, or its failure). */
    CompletableFuture<String> submitForResult(LongAction.Running what, Callable<String> action) {
        CompletableFuture<String> done = new CompletableFuture<>();
        submit(what, () -> {
            try {
                done.complete(action.call());
            } catch (Exception e) {
                done.completeExceptionally(e);
                throw e instanceof RuntimeException re ? re : new PostgresException(e.getMessage(), e);
            }
        });
        return done;
    }

    @Override
    public void close() {
        runner.close();
    }
}
