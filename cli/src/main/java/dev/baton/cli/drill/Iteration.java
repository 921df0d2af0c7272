package dev.baton.cli.drill;

import static dev.baton.cli.drill.DrillRunner.MS;
import static dev.baton.cli.drill.DrillRunner.S;

import dev.baton.agent.client.AgentClient;
import dev.baton.agent.ha.PromotionReport;
import dev.baton.leader.model.HistoryEntry;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One iteration of the drill: wait until the cluster is whole and writes flow, inject the fault,
 * feed the {@link FailoverTracker} an {@link Observation} every 100 ms (healing when it says so)
 * until the cluster is whole again, then count the lost writes and analyze the trace.
 */
final class Iteration implements FailoverTracker.Sink {
    private static final long POLL_NANOS = 100 * MS;
    private static final long BUCKET_NANOS = 100 * MS;
    /** How long to wait for the cluster to be whole before a fault, and to heal after one (plus the fault's own time). */
    private static final long WHOLE_TIMEOUT_NANOS = 180 * S;
    /** Writes on the primary before the fault, so that the picture shows a baseline. */
    private static final long SETTLE_NANOS = 2 * S;
    private static final long PREROLL_NANOS = 3 * S;
    private static final Duration SWITCHOVER_TIMEOUT = Duration.ofSeconds(130);

    private final DrillRunner run;
    private final Fault fault;
    private final int index;
    private final long windowStart;
    private final String tag;
    private final List<IterationResult.Event> events = new ArrayList<>();
    private long faultAt;
    private long end;
    private int ackIndex;

    Iteration(DrillRunner run, Fault fault, int index, long windowStart) {
        this.run = run;
        this.fault = fault;
        this.index = index;
        this.windowStart = windowStart;
        this.tag = "[" + fault + " " + index + "/" + run.settings.iterations() + "] ";
        this.end = windowStart;
        this.ackIndex = run.acks.size();
    }

    /**
     * A random part of a {@code loop_wait} added to the settle time, so that a fault lands at a
     * random point of the leader's cycle. Baton's loop runs at a fixed rate and "whole" is often
     * first seen right after a leader's cycle: without it every fault fell at about the same phase
     * of the lease's renewal, and the detection (leader key gone) read up to a {@code loop_wait}
     * long, where a real crash comes at any moment.
     */
    static long phaseJitterNanos(int loopWaitSeconds) {
        return loopWaitSeconds <= 0 ? 0 : java.util.concurrent.ThreadLocalRandom.current().nextLong(loopWaitSeconds * S);
    }

    /** Where the iteration's trace ends (the next one's starts). */
    long end() {
        return end;
    }

    IterationResult run() throws InterruptedException {
        try {
            run.target.prepare();
        } catch (Exception e) {
            return notInjected("cannot undo the previous faults before this iteration: " + message(e));
        }
        String writers = run.writer.use(fault.writesToEveryMember());
        if (writers != null) {
            say(tag + writers);
        }
        say(tag + "waiting until the cluster is whole (one primary, every other member streaming)");
        Observation seen = run.poll.until(Duration.ofNanos(WHOLE_TIMEOUT_NANOS), Duration.ofMillis(200), () -> {
            run.pull();
            return run.sampler.sample(System.nanoTime(), false, true, List.of(), null);
        }, o -> o.wholePrimary() != null);
        String old = seen.wholePrimary();
        if (old == null) {
            return notInjected("the cluster was not whole within " + WHOLE_TIMEOUT_NANOS / S + " s before the fault: "
                    + seen.describe(true));
        }
        long since = System.nanoTime();
        boolean writes = run.poll.until(Duration.ofSeconds(60), Duration.ofMillis(100), () -> {
            run.pull();
            return firstAck(since, old) != null;
        });
        if (!writes) {
            return notInjected("no write reached the primary " + old + " " + run.writer.path() + " within 60 s "
                    + "(last writer error: " + run.writer.lastError() + ")");
        }
        Thread.sleep((SETTLE_NANOS + phaseJitterNanos(run.settings.loopWait())) / MS);
        run.pull();
        ackIndex = Math.max(0, run.acks.size() - 1);
        return inject(old);
    }

    private IterationResult inject(String old) throws InterruptedException {
        int historyBefore = run.target.history().size();
        int duration = run.settings.duration(fault);
        String method = run.target.method(fault, old, duration);
        Instant wall = Instant.now();
        faultAt = System.nanoTime();
        run.listener.injecting(fault, old, faultAt, run.writer.acknowledged());
        event(faultAt, "fault", old, method);
        CompletableFuture<AgentClient.Reply> switchover = null;
        long deadline = faultAt + (fault.usesDuration() ? duration * S : 0)
                + (fault.restartsOnceWritesFlow() ? killCap() : 0) + WHOLE_TIMEOUT_NANOS;
        FailoverTracker tracker = new FailoverTracker(fault, old, faultAt,
                new FailoverTracker.Limits(duration * S, killCap(), run.stable(), deadline),
                run.acks.subList(ackIndex, run.acks.size()), this);
        try {
            if (fault == Fault.SWITCHOVER) {
                switchover = run.sampler.requestSwitchover(old, SWITCHOVER_TIMEOUT);
            } else {
                run.target.inject(fault, old);
            }
            run.listener.injected(System.nanoTime());
        } catch (Exception e) {
            tracker.abort("could not inject " + fault + ": " + message(e));
        }
        observe(tracker, old, switchover);
        run.pull();
        // The trace runs to now: past the start of the whole period, through its confirmation.
        end = System.nanoTime();
        return finish(old, wall, method, historyBefore, tracker);
    }

    /** Observes every 100 ms (on a fixed beat; late ticks are not made up) until the tracker is done. */
    private void observe(FailoverTracker tracker, String old, CompletableFuture<AgentClient.Reply> switchover)
            throws InterruptedException {
        long tick = faultAt;
        boolean over = tracker.problem() != null;
        while (!over) {
            tick += POLL_NANOS;
            long wait = tick - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / MS, (int) (wait % MS));
            } else {
                tick = System.nanoTime();
            }
            long now = System.nanoTime();
            Observation o = run.sampler.sample(now, tracker.wantsLeaderKey(),
                    tracker.wantsReplicas() || run.listener.wantsReplicas(), run.pull(), switchover);
            run.listener.observed(o);
            over = tracker.step(o, () -> {
                try {
                    run.target.heal(fault, old);
                    return null;
                } catch (Exception e) {
                    return "could not heal " + fault + ": " + message(e);
                }
            });
        }
    }

    private IterationResult finish(String old, Instant wall, String method, int historyBefore, FailoverTracker t)
            throws InterruptedException {
        String problem = t.problem();
        String finalPrimary = t.finalPrimary();
        List<Long> lostIds = new ArrayList<>();
        if (finalPrimary != null) {
            try {
                Set<Long> missing = run.missingOn(finalPrimary);
                missing.removeAll(run.lost);
                run.lost.addAll(missing);
                lostIds.addAll(missing);
            } catch (SQLException e) {
                problem = (problem == null ? "" : problem + "; ") + "cannot count the lost writes on " + finalPrimary
                        + ": " + e.getMessage();
            }
        }
        Long promotedAt = null;
        String source = null;
        if (finalPrimary != null) {
            promotedAt = promotedInHistory(finalPrimary, historyBefore, wall);
            source = promotedAt == null ? null : "history";
            if (promotedAt == null && t.first200(finalPrimary) != null) {
                promotedAt = t.first200(finalPrimary);
                source = "REST poll";
            }
        }
        List<DrillAnalysis.Ack> window = new ArrayList<>();
        for (DrillAnalysis.Ack a : run.acks) {
            if (a.ackNanos() - windowStart >= 0 && a.ackNanos() - end <= 0) {
                window.add(a);
            }
        }
        PromotionReport promotion = null;
        if (finalPrimary != null && !finalPrimary.equals(old)) {
            promotion = DrillAnalysis.ofThisFailover(run.sampler.promotion(finalPrimary), wall, old);
            if (promotion != null) {
                record(end, "promotion-report", finalPrimary + " reports: " + describe(promotion));
            }
        }
        DrillAnalysis.Figures fig = DrillAnalysis.analyze(new DrillAnalysis.Trace(fault, window, faultAt, old,
                finalPrimary, t.leaderGoneAt(), promotedAt, t.healAt(), t.rejoinedAt(), t.wholeAt(),
                new HashSet<>(lostIds), run.target.synchronousMode(), promotion));
        if (fig.promotionAt() != null && !fig.promotionAt().equals(promotedAt)) {
            source = "first write";
        }
        if (fig.promotionAt() != null) {
            record(fig.promotionAt(), "promotion", (fig.primaryChanged() ? finalPrimary + " promoted"
                    : finalPrimary + " the primary again") + " (" + source + ")");
        }
        if (fig.restoredAt() != null && fig.restoredAt() - faultAt > 0) {
            record(fig.restoredAt(), "first-write", "first write on " + finalPrimary + " " + run.writer.path());
        }
        events.sort(Comparator.comparingLong(IterationResult.Event::at));
        long chartFrom = Math.max(windowStart, faultAt - PREROLL_NANOS);
        long chartTo = end + 500 * MS;
        IterationResult r = new IterationResult(fault, index, run.settings.iterations(), method, old, finalPrimary, wall,
                faultAt, fig, events, chartFrom, BUCKET_NANOS,
                DrillAnalysis.perBucket(window, chartFrom, chartTo, BUCKET_NANOS), lostIds, source, problem);
        say(tag + r.summary());
        return r;
    }

    /** "fence fenced via sql in 120 ms, drain complete in 30 ms (flushed 0/3000060), promoted in 400 ms". */
    static String describe(PromotionReport p) {
        return "fence " + p.fence() + " via " + p.channel() + " in " + p.fenceMs() + " ms, drain " + p.drain() + " in "
                + p.drainMs() + " ms" + (p.flushLsn() == null ? "" : " (old primary flushed " + p.flushLsn() + ")")
                + ", promoted in " + p.promoteMs() + " ms";
    }

    /** When the history key says {@code primary} was promoted by this iteration, or null. */
    private Long promotedInHistory(String primary, int historyBefore, Instant wall) {
        List<HistoryEntry> h = run.target.history();
        for (int k = historyBefore; k < h.size(); k++) {
            HistoryEntry e = h.get(k);
            Long d = primary.equals(e.newLeader()) ? sinceWall(e.timestamp(), wall) : null;
            Long t = d == null ? null : faultAt + d;
            if (t != null && t - faultAt > -S && t - end < S) {
                return t;
            }
        }
        return null;
    }

    private IterationResult notInjected(String problem) {
        end = System.nanoTime();
        say(tag + "FAILED: " + problem);
        return new IterationResult(fault, index, run.settings.iterations(), null, null, null, null, 0, null, List.of(),
                0, BUCKET_NANOS, Map.of(), List.of(), null, problem);
    }

    private long killCap() {
        return (3L * run.settings.ttl() + 30) * S;
    }

    @Override
    public void event(long at, String kind, String member, String text) {
        record(at, kind, text);
        say(tag + at(at) + text);
        run.listener.event(faultAt, new IterationResult.Event(at, kind, text), member);
    }

    @Override
    public void firstWrite(long at, String member) {
        String text = "first write on " + member + " " + run.writer.path();
        say(tag + at(at) + text);
        run.listener.event(faultAt, new IterationResult.Event(at, "first-write-seen", text), member);
    }

    /** An event known only afterwards: recorded for the reports, not printed out of order. */
    private void record(long at, String kind, String text) {
        events.add(new IterationResult.Event(at, kind, text));
    }

    private String at(long t) {
        return String.format(Locale.ROOT, "%+7.2f s  ", (t - faultAt) / 1e9);
    }

    /** The first acknowledgement by {@code server} after {@code after} in this iteration, or null. */
    private Long firstAck(long after, String server) {
        return DrillAnalysis.firstAck(run.acks.subList(ackIndex, run.acks.size()), server, after);
    }

    private void say(String line) {
        run.listener.say(line);
    }

    /** Nanoseconds from {@code wall} to the ISO-8601 {@code timestamp}, or null if it cannot be read. */
    private static Long sinceWall(String timestamp, Instant wall) {
        try {
            return Duration.between(wall, OffsetDateTime.parse(timestamp).toInstant()).toNanos();
        } catch (DateTimeParseException | ArithmeticException e) {
            return null;
        }
    }

    private static String message(Exception e) {
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
