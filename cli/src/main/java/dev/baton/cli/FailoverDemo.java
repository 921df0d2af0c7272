package dev.baton.cli;

import dev.baton.cli.drill.DrillAnalysis;
import dev.baton.cli.drill.DrillRunner;
import dev.baton.cli.drill.Fault;
import dev.baton.cli.drill.IterationResult;
import dev.baton.cli.drill.LocalTarget;
import dev.baton.cli.drill.Observation;
import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.support.Poll;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The failover scenario of the Spilo talk, as one narrated drill iteration: a writer through
 * HAProxy, the fault into the primary (SIGKILL of agent and postgres by default), a timeline of
 * what the cluster does about it until the old primary streams again, and the count of
 * acknowledged writes lost. The drill's engine ({@link DrillRunner}) does the work; this class
 * only tells it as it happens.
 */
final class FailoverDemo implements DrillRunner.Listener {
    private static final int WRITERS = 2;

    private final DemoCommand demo;
    private final LocalCluster cluster;
    private final LocalCluster.Options options;
    private final Path base;
    private final DemoCommand.DemoFault fault;
    private final Set<String> stoppedStreaming = new HashSet<>();
    private String old;
    private long t0;
    private long injected;
    private boolean promoted;

    FailoverDemo(DemoCommand demo, LocalCluster cluster, LocalCluster.Options options, Path base,
                 DemoCommand.DemoFault fault) {
        this.demo = demo;
        this.cluster = cluster;
        this.options = options;
        this.base = base;
        this.fault = fault;
    }

    void run() throws InterruptedException {
        demo.say("");
        demo.say("Failover demo: " + String.format(fault.text, "the primary") + " while a client writes through HAProxy.");
        LocalTarget target = LocalTarget.over(cluster, options);
        try {
            DrillRunner runner = new DrillRunner(target, new DrillRunner.Settings(List.of(fault.drill), 1, WRITERS,
                    options.ttl(), options.loopWait(), Map.of()), this);
            IterationResult r;
            try {
                r = runner.run(x -> { }).get(0);
            } catch (IllegalStateException e) {
                throw fail("the writer could not start: " + e.getMessage());
            }
            if (r.figures() == null) {
                throw fail(r.problem());
            }
            report(r, runner, target);
        } finally {
            target.close();
        }
    }

    private void report(IterationResult r, DrillRunner runner, LocalTarget target) throws InterruptedException {
        String lost = r.newPrimary() == null ? "unknown (the cluster did not heal)"
                : r.figures().lostWrites() + lostDetail(Set.copyOf(r.lostIds()), runner.acks());
        demo.say("acknowledged writes: " + runner.acknowledged() + ", lost: " + lost);
        String problem = r.problem();
        String primary = r.newPrimary();
        int timeline = 0;
        if (problem == null) {
            // Healed: one primary, every other member running and streaming from it, and every
            // member key in etcd on the new timeline (they are refreshed once per loop).
            Poll.system().until(Duration.ofSeconds(30), Duration.ofMillis(200), () -> unsettled(target) == null);
            Optional<LocalCluster.Node> now = cluster.primary();
            if (now.isPresent() && !now.get().name().equals(primary)) {
                line(System.nanoTime(), "primary is now " + now.get().name());
                primary = now.get().name();
            }
            problem = unsettled(target);
            timeline = timeline(cluster.node(primary));
        }
        demo.say("");
        demo.out().print(DemoCommand.table(cluster));
        Double unavailable = r.figures().unavailableS();
        demo.say("");
        demo.say("Summary: writes unavailable for " + (unavailable == null ? "not restored"
                : String.format("%.1f s", unavailable)) + " (fault -> first write on the new primary); "
                + (problem != null ? "the cluster did NOT heal."
                : old.equals(primary) ? "cluster healed: postgres was restarted in place on " + old
                        + ", still the primary on timeline " + timeline + "."
                : "cluster healed: " + primary + " is the primary, " + old + " streams from it, all members running "
                        + "on timeline " + timeline + "."));
        if (problem != null) {
            throw fail(problem);
        }
    }

    // ------------------------------------------------------------------ narration

    @Override
    public void say(String line) {
        // the drill's own progress lines: the demo tells the story in its own words
    }

    @Override
    public void injecting(Fault f, String primary, long at, int acknowledged) {
        old = primary;
        t0 = at;
        demo.say("writer:  " + WRITERS + " threads inserting into baton_writes through HAProxy; " + acknowledged
                + " writes acknowledged so far by " + primary);
        demo.say("");
    }

    @Override
    public void injected(long at) {
        injected = at;
    }

    /** Until a replica is promoted, the demo tells which replicas lost their WAL stream. */
    @Override
    public boolean wantsReplicas() {
        return !promoted;
    }

    @Override
    public void observed(Observation o) {
        for (String m : o.members()) {
            if (!promoted && !m.equals(old) && o.replica(m) != 200 && stoppedStreaming.add(m)) {
                line(o.at(), m + " lost its WAL stream from " + old);
            }
        }
    }

    @Override
    public void event(long faultAt, IterationResult.Event e, String member) {
        switch (e.kind()) {
            case "fault" -> line(e.at(), "fault: " + String.format(fault.text, old));
            case "leader-gone" -> line(e.at(), e.text());
            case "primary" -> {
                promoted = true;
                line(e.at(), member.equals(old) ? "postgres restarted in place on " + old
                        + " (within primary_start_timeout)" : "promoted: " + member + timelineNote(member));
            }
            case "first-write-seen" -> line(e.at(), "first write through HAProxy on the new primary " + member);
            case "heal" -> line(e.at(), "restarted " + old + "'s agent");
            case "rejoined" -> line(e.at(), old + " streams again from " + member);
            default -> {
                // old-down, whole: the drill's bookkeeping
            }
        }
    }

    private String timelineNote(String member) {
        int tl = timeline(cluster.node(member));
        return tl > 0 ? " (timeline " + tl + ")" : "";
    }

    private int timeline(LocalCluster.Node n) {
        return cluster.get(n, "/patroni").map(r -> r.body().path("timeline").asInt(0)).orElse(0);
    }

    private void line(long nanos, String what) {
        demo.say(String.format("  +%6.2f s  %s", (nanos - t0) / 1e9, what));
    }

    /** Null when the cluster is healed, else what is still wrong. */
    private String unsettled(LocalTarget target) {
        Optional<LocalCluster.Node> p = cluster.primary();
        if (p.isEmpty()) {
            return "there is no single primary";
        }
        int timeline = timeline(p.get());
        List<String> wrong = new ArrayList<>();
        for (LocalCluster.Node n : cluster.nodes()) {
            if (n != p.get() && !(n.isAgentAlive()
                    && cluster.get(n, "/replica").map(r -> r.status() == 200).orElse(false))) {
                wrong.add(n.name() + " is not a running replica streaming from " + p.get().name());
            }
        }
        try {
            ClusterView v = target.view();
            for (MemberStatus m : v.members().values()) {
                if (m.timeline() != timeline) {
                    wrong.add(m.name() + " shows timeline " + m.timeline() + " in etcd, not " + timeline);
                }
            }
        } catch (RuntimeException e) {
            wrong.add("cannot read the member keys: " + e.getMessage());
        }
        return wrong.isEmpty() ? null : String.join("; ", wrong);
    }

    /** Which writes were lost and when they had been acknowledged, relative to the fault. */
    private String lostDetail(Set<Long> lost, List<DrillAnalysis.Ack> acks) {
        if (lost.isEmpty()) {
            return "";
        }
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (DrillAnalysis.Ack a : acks) {
            if (lost.contains(a.id())) {
                first = Math.min(first, a.ackNanos() - t0);
                last = Math.max(last, a.ackNanos() - t0);
            }
        }
        return String.format(" (ids %s, acknowledged between %+.2f s and %+.2f s; the SIGKILLs took %.2f s;"
                + " asynchronous replication)", abbreviate(lost), first / 1e9, last / 1e9, (injected - t0) / 1e9);
    }

    private static String abbreviate(Set<Long> ids) {
        List<Long> l = new ArrayList<>(ids);
        String s = l.subList(0, Math.min(10, l.size())).toString();
        return l.size() > 10 ? s.substring(0, s.length() - 1) + ", ...]" : s;
    }

    private ExitException fail(String why) {
        cluster.keepFiles();
        return ExitException.failed("failover demo: " + why + "; files kept in " + base
                + " (agent logs: " + base.resolve("node*").resolve("agent.log") + ")");
    }
}
