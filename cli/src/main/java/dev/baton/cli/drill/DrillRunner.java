package dev.baton.cli.drill;

import dev.baton.agent.client.AgentClient;
import dev.baton.leader.model.HistoryEntry;
import dev.baton.leader.model.ClusterView;
import dev.baton.cli.local.Writer;
import java.io.PrintWriter;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Runs the drill's iterations against a {@link DrillTarget} while writers insert through its
 * load-balanced endpoint: for each, heal and wait until the cluster is whole, inject the fault
 * into the primary, observe (REST of every member every 100 ms, the leader key, the writers'
 * acknowledgements), heal, wait until the faulted member streams again, count the lost writes,
 * and hand the trace to {@link DrillAnalysis}.
 */
public final class DrillRunner {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000_000_000L;
    private static final long POLL_NANOS = 100 * MS;
    private static final long BUCKET_NANOS = 100 * MS;
    /** How long to wait for the cluster to be whole before a fault, and to heal after one (plus the fault's own time). */
    private static final long WHOLE_TIMEOUT_NANOS = 180 * S;
    /** Writes on the primary before the fault, so that the picture shows a baseline. */
    private static final long SETTLE_NANOS = 2 * S;
    private static final long PREROLL_NANOS = 3 * S;
    /**
     * The cluster counts as whole again only after it looked whole for this long without a break
     * (and a write sent after it first looked whole was acknowledged): an agent answers REST from
     * the state of its last cycle, so a primary whose postgres just died still answers /primary 200
     * for up to loop_wait. At least {@link #MIN_STABLE_NANOS}, and loop_wait + 1 s.
     */
    private static final long MIN_STABLE_NANOS = 2 * S;
    private static final Duration SWITCHOVER_TIMEOUT = Duration.ofSeconds(130);

    /**
     * @param faults     the faults, each run {@code iterations} times, in this order
     * @param writers    concurrent writer threads
     * @param ttl        the cluster's leader TTL (sizes the waits)
     * @param loopWait   the cluster's loop_wait: how stale an agent's REST answers can be
     * @param durations  --duration per fault that lasts, in seconds
     */
    public record Settings(List<Fault> faults, int iterations, int writers, int ttl, int loopWait,
                           Map<Fault, Integer> durations) {
        public int duration(Fault f) {
            return durations.getOrDefault(f, f.defaultDurationSeconds(ttl));
        }
    }

    private final DrillTarget target;
    private final Settings settings;
    private final PrintWriter progress;
    private final AgentClient agents = new AgentClient(Duration.ofSeconds(1));
    private final List<DrillAnalysis.Ack> acks = new ArrayList<>();
    private final Set<Long> lost = new HashSet<>();
    private Writer writer;
    private int pulled;

    public DrillRunner(DrillTarget target, Settings settings, PrintWriter progress) {
        this.target = target;
        this.settings = settings;
        this.progress = progress;
    }

    /**
     * Runs every iteration, handing each result to {@code done} as it finishes. Stops after an
     * iteration that did not heal (the cluster is not fit for another).
     *
     * @throws IllegalStateException if the writers cannot start
     */
    public List<IterationResult> run(Consumer<IterationResult> done) throws InterruptedException {
        List<IterationResult> results = new ArrayList<>();
        writer = new Writer(target.lbJdbcUrl(), target.user(), target.password(), settings.writers());
        try {
            say("starting " + settings.writers() + " writer(s) through the load balancer");
            writer.start();
            long windowStart = System.nanoTime();
            outer:
            for (Fault f : settings.faults()) {
                for (int i = 1; i <= settings.iterations(); i++) {
                    Iteration it = new Iteration(f, i, windowStart);
                    IterationResult r = it.run();
                    windowStart = it.end;
                    results.add(r);
                    done.accept(r);
                    if (!r.healed()) {
                        break outer;
                    }
                }
            }
        } finally {
            writer.stop();
        }
        return results;
    }

    /** How many writes the writers had acknowledged in all. */
    public int acknowledged() {
        return writer == null ? 0 : writer.acks().size();
    }

    // ------------------------------------------------------------------ one iteration

    private final class Iteration {
        private final Fault fault;
        private final int index;
        private final long windowStart;
        private final String tag;
        private final List<IterationResult.Event> events = new ArrayList<>();
        private final Map<String, Long> first200 = new LinkedHashMap<>();
        private final Set<String> firstWriteSeen = new HashSet<>();
        private long faultAt;
        private long end;
        private int ackIndex;

        Iteration(Fault fault, int index, long windowStart) {
            this.fault = fault;
            this.index = index;
            this.windowStart = windowStart;
            this.tag = "[" + fault + " " + index + "/" + settings.iterations() + "] ";
            this.end = windowStart;
            this.ackIndex = acks.size();
        }

        IterationResult run() throws InterruptedException {
            try {
                target.prepare();
            } catch (Exception e) {
                return notInjected("cannot undo the previous faults before this iteration: " + message(e));
            }
            say(tag + "waiting until the cluster is whole (one primary, every other member streaming)");
            long deadline = System.nanoTime() + WHOLE_TIMEOUT_NANOS;
            String old = null;
            while (System.nanoTime() - deadline < 0) {
                pull();
                old = whole(target.members(), poll(target.members(), "/primary"));
                if (old != null) {
                    break;
                }
                Thread.sleep(200);
            }
            if (old == null) {
                return notInjected("the cluster was not whole within " + WHOLE_TIMEOUT_NANOS / S + " s before the fault: "
                        + state());
            }
            long since = System.nanoTime();
            while (firstAck(since, old) == null) {
                if (System.nanoTime() - since > 60 * S) {
                    return notInjected("no write reached the primary " + old + " through the load balancer within 60 s "
                            + "(last writer error: " + writer.lastError() + ")");
                }
                Thread.sleep(100);
                pull();
            }
            Thread.sleep(SETTLE_NANOS / MS);
            pull();
            ackIndex = Math.max(0, acks.size() - 1);
            return inject(old);
        }

        private IterationResult inject(String old) throws InterruptedException {
            int historyBefore = target.history().size();
            int duration = settings.duration(fault);
            String method = target.method(fault, old, duration);
            Instant wall = Instant.now();
            faultAt = System.nanoTime();
            event(faultAt, "fault", method);
            CompletableFuture<AgentClient.Reply> switchover = null;
            String problem = null;
            try {
                if (fault == Fault.SWITCHOVER) {
                    switchover = postSwitchover(old);
                } else {
                    target.inject(fault, old);
                }
            } catch (Exception e) {
                problem = "could not inject " + fault + ": " + message(e);
            }
            boolean fatal = problem != null;
            boolean healDone = !needsHeal(fault) || fatal;
            long deadline = faultAt + (fault.usesDuration() ? duration * S : 0)
                    + (fault == Fault.KILL_NODE ? killNodeCap() : 0) + WHOLE_TIMEOUT_NANOS;
            boolean oldDown = false;
            boolean switchoverSeen = false;
            Long leaderGoneAt = null;
            Long healAt = null;
            Long rejoinedAt = null;
            Long wholeAt = null;
            String finalPrimary = null;
            String lastState = "";
            Long streak = null;
            String streakPrimary = null;
            long tick = faultAt;
            while (!fatal) {
                tick += POLL_NANOS;
                long wait = tick - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / MS, (int) (wait % MS));
                } else {
                    tick = System.nanoTime();
                }
                long now = System.nanoTime();
                pull();
                List<String> members = target.members();
                Map<String, Integer> primary = poll(members, "/primary");
                for (String m : members) {
                    int st = primary.getOrDefault(m, -1);
                    if (st == 200) {
                        if (!first200.containsKey(m) && (!m.equals(old) || oldDown)) {
                            first200.put(m, now);
                            event(now, "primary", m.equals(old) ? m + " answers /primary 200 again"
                                    : m + " answers /primary 200 (promoted)");
                        }
                    } else if (m.equals(old) && !oldDown) {
                        oldDown = true;
                        event(now, "old-down", old + " no longer answers /primary 200 ("
                                + (st < 0 ? "no answer" : "HTTP " + st) + ")");
                    }
                }
                if (leaderGoneAt == null && !target.etcdDown()) {
                    Optional<String> holder = target.leaderKey();
                    if (holder != null && !holder.equals(Optional.of(old))) {
                        leaderGoneAt = now;
                        event(now, "leader-gone", "leader key of " + old + " gone" + holder.map(h -> "; now held by " + h)
                                .orElse(""));
                    }
                }
                for (String m : first200.keySet()) {
                    if (!firstWriteSeen.contains(m)) {
                        long from = m.equals(old) ? Math.max(faultAt, first200.get(m) - S / 2) : faultAt;
                        Long t = firstAck(from, m);
                        if (t != null) {
                            firstWriteSeen.add(m);
                            say(tag + at(t) + "first write on " + m + " through the load balancer");
                        }
                    }
                }
                if (switchover != null && switchover.isDone() && !switchoverSeen) {
                    switchoverSeen = true;
                    AgentClient.Reply r = switchover.getNow(null);
                    String answer = r == null ? "no answer" : "HTTP " + r.status() + " " + r.body().strip();
                    event(now, "switchover", "switchover answered " + answer);
                    if (r == null || r.status() != 200) {
                        problem = "the switchover failed: " + answer;
                    }
                }
                if (!healDone && healDue(now, old, duration)) {
                    healAt = now;
                    event(now, "heal", healText(old));
                    try {
                        target.heal(fault, old);
                    } catch (Exception e) {
                        problem = "could not heal " + fault + ": " + message(e);
                        fatal = true;
                        break;
                    }
                    healDone = true;
                }
                boolean looksWhole = false;
                if (healDone) {
                    List<String> p = primaries(members, primary);
                    lastState = describe(members, primary, null);
                    if (p.size() == 1) {
                        String q = p.get(0);
                        List<String> others = new ArrayList<>(members);
                        others.remove(q);
                        Map<String, Integer> replica = poll(others, "/replica");
                        lastState = describe(members, primary, replica);
                        if (!q.equals(old) && rejoinedAt == null && replica.getOrDefault(old, -1) == 200) {
                            rejoinedAt = now;
                            event(now, "rejoined", old + " streams from " + q + " again");
                        }
                        boolean all = others.stream().allMatch(m -> replica.getOrDefault(m, -1) == 200);
                        if (all && (switchover == null || switchover.isDone())) {
                            looksWhole = true;
                            if (streak == null || !q.equals(streakPrimary)) {
                                streak = now;
                                streakPrimary = q;
                            }
                            if (now - streak >= stable() && firstSentAfter(streak, q)) {
                                wholeAt = streak;
                                finalPrimary = q;
                                event(streak, "whole", "cluster whole: " + q + " is the primary, " + others.size()
                                        + " member(s) streaming (and still " + (now - streak) / MS + " ms later)");
                                break;
                            }
                        }
                    }
                }
                if (!looksWhole) {
                    streak = null;
                }
                if (now - deadline > 0) {
                    problem = (problem == null ? "" : problem + "; ") + "the cluster was not whole again within "
                            + (deadline - faultAt) / S + " s after the fault: " + lastState;
                    break;
                }
            }
            pull();
            // The trace runs to now: past the start of the whole period, through its confirmation.
            end = System.nanoTime();
            return finish(old, wall, method, historyBefore, leaderGoneAt, healAt, rejoinedAt, wholeAt, finalPrimary,
                    problem);
        }

        private IterationResult finish(String old, Instant wall, String method, int historyBefore, Long leaderGoneAt,
                                       Long healAt, Long rejoinedAt, Long wholeAt, String finalPrimary, String problem)
                throws InterruptedException {
            List<Long> lostIds = new ArrayList<>();
            if (finalPrimary != null) {
                try {
                    Set<Long> missing = missingOn(finalPrimary);
                    missing.removeAll(lost);
                    lost.addAll(missing);
                    lostIds.addAll(missing);
                } catch (SQLException e) {
                    problem = (problem == null ? "" : problem + "; ") + "cannot count the lost writes on " + finalPrimary
                            + ": " + e.getMessage();
                }
            }
            Long promotedAt = null;
            String source = null;
            if (finalPrimary != null) {
                List<HistoryEntry> h = target.history();
                for (int k = historyBefore; k < h.size() && promotedAt == null; k++) {
                    HistoryEntry e = h.get(k);
                    Long d = finalPrimary.equals(e.newLeader()) ? sinceWall(e.timestamp(), wall) : null;
                    Long t = d == null ? null : faultAt + d;
                    if (t != null && t - faultAt > -S && t - end < S) {
                        promotedAt = t;
                        source = "history";
                    }
                }
                if (promotedAt == null && first200.containsKey(finalPrimary)) {
                    promotedAt = first200.get(finalPrimary);
                    source = "REST poll";
                }
            }
            List<DrillAnalysis.Ack> window = new ArrayList<>();
            for (DrillAnalysis.Ack a : acks) {
                if (a.ackNanos() - windowStart >= 0 && a.ackNanos() - end <= 0) {
                    window.add(a);
                }
            }
            DrillAnalysis.Figures fig = DrillAnalysis.analyze(new DrillAnalysis.Trace(fault, window, faultAt, old,
                    finalPrimary, leaderGoneAt, promotedAt, healAt, rejoinedAt, wholeAt, new HashSet<>(lostIds),
                    target.synchronousMode()));
            if (fig.promotionAt() != null && !fig.promotionAt().equals(promotedAt)) {
                source = "first write";
            }
            if (fig.promotionAt() != null) {
                record(fig.promotionAt(), "promotion", (fig.primaryChanged() ? finalPrimary + " promoted"
                        : finalPrimary + " the primary again") + " (" + source + ")");
            }
            if (fig.restoredAt() != null && fig.restoredAt() - faultAt > 0) {
                record(fig.restoredAt(), "first-write", "first write on " + finalPrimary + " through the load balancer");
            }
            events.sort(Comparator.comparingLong(IterationResult.Event::at));
            long chartFrom = Math.max(windowStart, faultAt - PREROLL_NANOS);
            long chartTo = end + 500 * MS;
            IterationResult r = new IterationResult(fault, index, settings.iterations(), method, old, finalPrimary, wall,
                    faultAt, fig, events, chartFrom, BUCKET_NANOS,
                    DrillAnalysis.perBucket(window, chartFrom, chartTo, BUCKET_NANOS), lostIds, source, problem);
            say(tag + summary(r));
            return r;
        }

        private IterationResult notInjected(String problem) {
            end = System.nanoTime();
            say(tag + "FAILED: " + problem);
            return new IterationResult(fault, index, settings.iterations(), null, null, null, null, 0, null, List.of(),
                    0, BUCKET_NANOS, Map.of(), List.of(), null, problem);
        }

        private boolean healDue(long now, String old, int duration) {
            if (fault != Fault.KILL_NODE) {
                return now - faultAt >= duration * S;
            }
            // Restart the killed node once writes flow on the new primary (or a while after the
            // promotion, so that a stalled writer does not keep it down; or if nothing happened).
            for (Map.Entry<String, Long> e : first200.entrySet()) {
                if (!e.getKey().equals(old) && (firstWriteSeen.contains(e.getKey()) || now - e.getValue() > 30 * S)) {
                    return true;
                }
            }
            return now - faultAt > killNodeCap();
        }

        private long killNodeCap() {
            return (3L * settings.ttl() + 30) * S;
        }

        private String healText(String old) {
            return switch (fault) {
                case KILL_NODE, KILL_AGENT -> "heal: restarting " + old + "'s agent";
                case STOP_AGENT -> "heal: SIGCONT to " + old + "'s agent";
                case PARTITION_PRIMARY -> "heal: " + old + "'s agent reaches etcd again";
                case ETCD_DOWN -> "heal: starting etcd";
                default -> "heal";
            };
        }

        private void event(long at, String kind, String text) {
            record(at, kind, text);
            say(tag + at(at) + text);
        }

        /** An event known only afterwards: recorded for the reports, not printed out of order. */
        private void record(long at, String kind, String text) {
            events.add(new IterationResult.Event(at, kind, text));
        }

        private String at(long t) {
            return String.format(Locale.ROOT, "%+7.2f s  ", (t - faultAt) / 1e9);
        }

        /** Whether {@code server} acknowledged a write that was sent after {@code after}. */
        private boolean firstSentAfter(long after, String server) {
            for (int k = acks.size() - 1; k >= ackIndex; k--) {
                DrillAnalysis.Ack a = acks.get(k);
                if (a.sentNanos() - after > 0 && a.server().equals(server)) {
                    return true;
                }
            }
            return false;
        }

        /** The first acknowledgement by {@code server} after {@code after} in this iteration, or null. */
        private Long firstAck(long after, String server) {
            Long best = null;
            for (int k = ackIndex; k < acks.size(); k++) {
                DrillAnalysis.Ack a = acks.get(k);
                if (a.ackNanos() - after > 0 && a.server().equals(server) && (best == null || a.ackNanos() - best < 0)) {
                    best = a.ackNanos();
                }
            }
            return best;
        }
    }

    private long stable() {
        return Math.max(MIN_STABLE_NANOS, (settings.loopWait() + 1L) * S);
    }

    private static boolean needsHeal(Fault f) {
        return f != Fault.KILL_POSTGRES && f != Fault.SWITCHOVER;
    }

    private static String summary(IterationResult r) {
        DrillAnalysis.Figures f = r.figures();
        StringBuilder sb = new StringBuilder(r.healed() && r.failure() == null ? "done: " : "FAILED: ");
        sb.append("writes unavailable ").append(secs(f.unavailableS()));
        if (f.promotionS() != null) {
            sb.append(f.primaryChanged() ? " (promotion " : " (primary back ").append(secs(f.promotionS()))
                    .append(" via ").append(r.promotionSource());
            if (f.lbS() != null) {
                sb.append(", load balancer +").append(secs(f.lbS()));
            }
            sb.append(')');
        }
        sb.append(", lost ").append(f.lostWrites()).append(" of ").append(f.acks()).append(" writes");
        sb.append(", split brain: ").append(f.splitBrain().isPresent() ? "YES" : "no");
        if (f.rejoinS() != null) {
            sb.append(", ").append(r.oldPrimary()).append(" streams again ").append(secs(f.rejoinS()))
                    .append(r.fault() == Fault.SWITCHOVER || r.fault() == Fault.KILL_POSTGRES ? " after the fault"
                            : " after the heal");
        }
        if (r.failure() != null) {
            sb.append("; ").append(r.failure());
        }
        return sb.toString();
    }

    private static String secs(Double s) {
        return s == null ? "n/a" : String.format(Locale.ROOT, "%.2f s", s);
    }

    // ------------------------------------------------------------------ observing

    private void pull() {
        List<Writer.Ack> fresh = writer.acksSince(pulled);
        pulled += fresh.size();
        for (Writer.Ack a : fresh) {
            acks.add(new DrillAnalysis.Ack(a.id(), a.sentNanos(), a.nanos(), target.serverName(a)));
        }
    }

    /** The acknowledged writes missing on the primary; tries for 30 s (directly, then through the load balancer). */
    private Set<Long> missingOn(String primary) throws SQLException, InterruptedException {
        List<Writer.Ack> all = writer.acks();
        long deadline = System.nanoTime() + 30 * S;
        while (true) {
            try {
                return writer.missingOn(target.memberJdbcUrl(primary), target.user(), target.password(), all);
            } catch (SQLException e) {
                try {
                    // The member may not be reachable from here directly; the load balancer routes to it.
                    return writer.missingOn(target.lbJdbcUrl(), target.user(), target.password(), all);
                } catch (SQLException again) {
                    if (System.nanoTime() - deadline > 0) {
                        throw e;
                    }
                    Thread.sleep(1000);
                }
            }
        }
    }

    /** GET {@code path} on every member at once; -1 for no answer (or a stopped agent, not asked). */
    private Map<String, Integer> poll(Collection<String> members, String path) {
        Map<String, CompletableFuture<Integer>> pending = new LinkedHashMap<>();
        for (String m : members) {
            String base = target.paused(m) ? null : target.restBase(m);
            if (base == null) {
                pending.put(m, CompletableFuture.completedFuture(-1));
                continue;
            }
            pending.put(m, agents.statusCode(base, path, Duration.ofSeconds(1)));
        }
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Map.Entry<String, CompletableFuture<Integer>> e : pending.entrySet()) {
            out.put(e.getKey(), e.getValue().join());
        }
        return out;
    }

    private CompletableFuture<AgentClient.Reply> postSwitchover(String leader) {
        String base = target.restBase(leader);
        if (base == null) {
            throw new IllegalStateException(leader + " publishes no api_url");
        }
        return agents.switchoverAsync(base, leader, SWITCHOVER_TIMEOUT);
    }

    private static List<String> primaries(List<String> members, Map<String, Integer> primary) {
        List<String> p = new ArrayList<>();
        for (String m : members) {
            if (primary.getOrDefault(m, -1) == 200) {
                p.add(m);
            }
        }
        return p;
    }

    /** The primary if the cluster is whole (exactly one member answers /primary 200, every other /replica 200), else null. */
    private String whole(List<String> members, Map<String, Integer> primary) {
        List<String> p = primaries(members, primary);
        if (p.size() != 1) {
            return null;
        }
        List<String> others = new ArrayList<>(members);
        others.remove(p.get(0));
        Map<String, Integer> replica = poll(others, "/replica");
        return others.stream().allMatch(m -> replica.getOrDefault(m, -1) == 200) ? p.get(0) : null;
    }

    private String state() {
        List<String> members = target.members();
        Map<String, Integer> primary = poll(members, "/primary");
        return describe(members, primary, poll(members, "/replica"));
    }

    private static String describe(List<String> members, Map<String, Integer> primary, Map<String, Integer> replica) {
        List<String> parts = new ArrayList<>();
        for (String m : members) {
            int p = primary.getOrDefault(m, -1);
            String s = m + " /primary " + (p < 0 ? "no answer" : p);
            if (replica != null && replica.containsKey(m)) {
                int r = replica.get(m);
                s += ", /replica " + (r < 0 ? "no answer" : r);
            }
            parts.add(s);
        }
        return String.join("; ", parts);
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

    private void say(String line) {
        progress.println(line);
        progress.flush();
    }
}
