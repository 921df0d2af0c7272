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
    /** The thread running the action (null between actions, or with a runner that runs in place). */
    private volatile Thread worker;
    private volatile boolean cancelled;

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
        cancelled = false;
        runner.execute(() -> {
            worker = Thread.currentThread();
            try {
                action.run();
                LOG.info(what.description() + " finished");
            } catch (RuntimeException e) {
                if (cancelled) {
                    LOG.warning(what.description() + " cancelled: " + e.getMessage());
                } else if (stopping.getAsBoolean()) {
                    LOG.info(what.description() + " stopped: the agent is shutting down");
                } else {
                    LOG.severe(what.description() + " failed: " + e.getMessage());
                }
            } finally {
                worker = null;
                Thread.interrupted(); // a cancel that came as the action ended does not reach the next one
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

    /**
     * Cancels the running action (Patroni's {@code AsyncExecutor.cancel}, for a forced
     * reinitialize): interrupts its thread, which kills the process it waits for, and waits up to
     * {@code wait} for the slot to be free. Whether it is free. The caller decides which actions
     * may be cancelled ({@link OperatorPolicy#cancellableByForce}).
     */
    boolean cancel(java.time.Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        LongAction.Running was = running;
        if (was == null) {
            return true;
        }
        cancelled = true;
        Thread t = worker;
        if (t != null) {
            LOG.warning("cancelling " + was.description());
            t.interrupt();
        }
        while (running != null && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return running == null;
            }
        }
        return running == null;
    }

    @Override
    public void close() {
        runner.close();
    }
}
