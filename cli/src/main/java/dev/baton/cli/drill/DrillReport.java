package dev.baton.cli.drill;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The drill's reports: the JSON document (every iteration's raw figures and events, and per fault
 * a summary with n / median / p95 / max / min / mean of each figure) and the text table.
 */
public final class DrillReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the run was, for the report's header. */
    public record Run(String version, List<String> args, String target, ObjectNode targetJson, int writers,
                      int iterations, List<Fault> faults, Map<Fault, Integer> durations, Instant started,
                      Instant finished, long acknowledged) {
    }

    private DrillReport() {
    }

    /** Why the drill exits 1: one line per failed iteration. */
    public static List<String> failures(List<IterationResult> results) {
        List<String> out = new ArrayList<>();
        for (IterationResult r : results) {
            if (r.failure() != null) {
                out.add(r.tag() + ": " + r.failure());
            }
        }
        return out;
    }

    /** The results per fault, in run order. */
    static Map<Fault, List<IterationResult>> byFault(List<IterationResult> results) {
        Map<Fault, List<IterationResult>> m = new LinkedHashMap<>();
        for (IterationResult r : results) {
            m.computeIfAbsent(r.fault(), f -> new ArrayList<>()).add(r);
        }
        return m;
    }

    /** The summary of one fault's iterations: per figure its {@link Stats}, and the counts. */
    public static ObjectNode summary(Fault fault, List<IterationResult> rs) {
        ObjectNode s = JSON.createObjectNode();
        int injected = 0;
        int healed = 0;
        int split = 0;
        int withLoss = 0;
        int changed = 0;
        long lostTotal = 0;
        int broken = 0;
        int reports = 0;
        int fencedAndDrained = 0;
        for (IterationResult r : rs) {
            if (r.figures() != null) {
                injected++;
                reports += r.figures().promotion() != null ? 1 : 0;
                fencedAndDrained += r.figures().fencedAndDrained() ? 1 : 0;
                lostTotal += r.figures().lostWrites();
                withLoss += r.figures().lostWrites() > 0 ? 1 : 0;
                changed += r.figures().primaryChanged() ? 1 : 0;
            }
            healed += r.healed() ? 1 : 0;
            split += r.splitBrain() ? 1 : 0;
            broken += r.brokenPromise() ? 1 : 0;
        }
        s.put("iterations", rs.size());
        s.put("injected", injected);
        s.put("healed", healed);
        s.put("primary_changed", changed);
        s.put("split_brain", split);
        s.put("lost_writes_total", lostTotal);
        s.put("iterations_with_loss", withLoss);
        s.put("broken_no_loss_promises", broken);
        s.put("promotion_reports", reports);
        s.put("fenced_and_drained", fencedAndDrained);
        for (Figure fig : Figure.values()) {
            s.set(fig.key(), JSON.valueToTree(stats(fig, rs)));
        }
        return s;
    }

    static Stats stats(Figure fig, List<IterationResult> rs) {
        List<Number> v = new ArrayList<>();
        for (IterationResult r : rs) {
            if (r.figures() != null) {
                v.add(fig.of(r.figures()));
            }
        }
        return Stats.of(v);
    }

    public static ObjectNode json(Run run, List<IterationResult> results, int exitCode) {
        ObjectNode root = header(run);
        ArrayNode figures = root.putArray("figures");
        for (Figure f : Figure.values()) {
            figures.addObject().put("key", f.key()).put("label", f.label());
        }
        ObjectNode summary = root.putObject("summary");
        byFault(results).forEach((f, rs) -> summary.set(f.flag(), summary(f, rs)));
        ArrayNode its = root.putArray("iterations");
        for (IterationResult r : results) {
            its.add(iteration(r));
        }
        ArrayNode fails = root.putArray("failures");
        failures(results).forEach(fails::add);
        root.put("exit_code", exitCode);
        return root;
    }

    /** What every report starts with: the tool, the arguments, the machine, the cluster, the plan. */
    private static ObjectNode header(Run run) {
        ObjectNode root = JSON.createObjectNode();
        root.put("tool", "baton drill");
        root.put("baton_version", run.version());
        ArrayNode args = root.putArray("arguments");
        run.args().forEach(args::add);
        root.put("started_at", run.started().toString());
        root.put("finished_at", run.finished().toString());
        ObjectNode machine = root.putObject("machine");
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        machine.put("cpus", Runtime.getRuntime().availableProcessors());
        machine.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        root.set("cluster", run.targetJson());
        root.put("writers", run.writers());
        root.put("iterations_per_fault", run.iterations());
        ArrayNode faults = root.putArray("faults");
        run.faults().forEach(f -> faults.add(f.flag()));
        ObjectNode durations = root.putObject("durations_s");
        run.durations().forEach((f, d) -> durations.put(f.flag(), d));
        root.put("acknowledged_writes", run.acknowledged());
        return root;
    }

    // ------------------------------------------------------------------ lose-cluster (LoseCluster)

    /** Why a lose-cluster drill exits 1: one line per failed iteration (the backup or the restore failed). */
    public static List<String> loseClusterFailures(List<LoseCluster.Result> results) {
        List<String> out = new ArrayList<>();
        for (LoseCluster.Result r : results) {
            if (r.problem() != null) {
                out.add(r.tag() + ": " + r.problem());
            }
        }
        return out;
    }

    /** The figures of lose-cluster over its iterations: restore time, backup time, lost writes, RPO reached. */
    public static ObjectNode loseClusterSummary(List<LoseCluster.Result> rs) {
        ObjectNode n = JSON.createObjectNode();
        n.put("iterations", rs.size());
        n.set("restore_s", JSON.valueToTree(Stats.of(rs.stream().map(LoseCluster.Result::restoreS).toList())));
        n.set("backup_s", JSON.valueToTree(Stats.of(rs.stream().map(LoseCluster.Result::backupS).toList())));
        n.set("rpo_s", JSON.valueToTree(Stats.of(rs.stream().map(LoseCluster.Result::lostWindowS).toList())));
        n.put("lost_writes_total", rs.stream().mapToLong(LoseCluster.Result::lost).sum());
        n.put("acknowledged_writes_total", rs.stream().mapToLong(LoseCluster.Result::acknowledged).sum());
        n.put("iterations_with_loss", rs.stream().filter(r -> r.lost() > 0).count());
        return n;
    }

    public static ObjectNode loseClusterJson(Run run, List<LoseCluster.Result> results, int exitCode) {
        ObjectNode root = header(run);
        root.putObject("summary").set(Fault.LOSE_CLUSTER.flag(), loseClusterSummary(results));
        ArrayNode its = root.putArray("iterations");
        results.forEach(r -> its.add(r.json()));
        ArrayNode fails = root.putArray("failures");
        loseClusterFailures(results).forEach(fails::add);
        root.put("exit_code", exitCode);
        return root;
    }

    /** The text report of lose-cluster: one row per iteration, then the medians and the total loss. */
    public static String loseClusterTable(Run run, List<LoseCluster.Result> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("baton drill on ").append(run.target()).append(", ").append(run.writers())
                .append(" writer(s); ").append(results.size()).append(" iteration(s) in ")
                .append(human(Duration.between(run.started(), run.finished()))).append('\n');
        List<String[]> rows = new ArrayList<>();
        for (LoseCluster.Result r : results) {
            rows.add(new String[] {r.tag(), r.backupLabel() == null ? "-" : r.backupLabel(), num(r.backupS(), false),
                    num(r.restoreS(), false), Integer.toString(r.acknowledged()), Integer.toString(r.lost()),
                    num(r.lostWindowS(), false)});
        }
        sb.append('\n').append(render(" lose-cluster ", new String[] {"Iteration", "Backup", "backup s", "restore s",
                "acknowledged", "lost", "RPO s"}, rows));
        ObjectNode s = loseClusterSummary(results);
        sb.append("restore (wipe to a writable primary): median ").append(num(s.path("restore_s").path("median")
                .isNumber() ? s.path("restore_s").path("median").asDouble() : null, false)).append(" s; lost writes: ")
                .append(s.get("lost_writes_total").asLong()).append(" of ").append(s.get("acknowledged_writes_total")
                .asLong()).append(" acknowledged in ").append(s.get("iterations_with_loss").asLong())
                .append(" iteration(s) (a restore to latest keeps what was archived: archive_timeout bounds the loss)\n");
        for (LoseCluster.Result r : results) {
            if (r.problem() != null) {
                sb.append("FAILED ").append(r.tag()).append(": ").append(r.problem()).append('\n');
            }
        }
        return sb.toString();
    }

    static ObjectNode iteration(IterationResult r) {
        ObjectNode n = JSON.createObjectNode();
        n.put("fault", r.fault().flag());
        n.put("iteration", r.iteration());
        n.put("of", r.iterations());
        n.put("method", r.method());
        n.put("old_primary", r.oldPrimary());
        n.put("new_primary", r.newPrimary());
        n.put("fault_at", r.faultWallClock() == null ? null : r.faultWallClock().toString());
        n.put("healed", r.healed());
        n.put("problem", r.problem());
        n.put("failure", r.failure());
        DrillAnalysis.Figures f = r.figures();
        if (f == null) {
            return n;
        }
        n.put("primary_changed", f.primaryChanged());
        n.put("no_loss_promised", f.noLossPromised());
        for (Figure fig : Figure.values()) {
            Number v = fig.of(f);
            if (v == null) {
                n.putNull(fig.key());
            } else if (v instanceof Integer || v instanceof Long) {
                n.put(fig.key(), v.longValue());
            } else {
                n.put(fig.key(), v.doubleValue());
            }
        }
        n.put("promotion_source", r.promotionSource());
        if (f.promotion() != null) {
            ObjectNode p = n.putObject("promotion");
            f.promotion().writeTo(p);
            p.put("fenced_and_drained", f.fencedAndDrained());
        } else {
            n.putNull("promotion");
        }
        n.put("acknowledged_writes", f.acks());
        if (f.splitBrain().isPresent()) {
            DrillAnalysis.SplitBrain b = f.splitBrain().get();
            ObjectNode sb = n.putObject("split_brain");
            sb.put("earlier_primary", b.earlier());
            sb.put("later_primary", b.later());
            sb.put("later_first_write_s", DrillAnalysis.seconds(b.laterFirstAck() - r.faultAt()));
            sb.put("first_overlapping_write_sent_s", DrillAnalysis.seconds(b.firstOverlapSent() - r.faultAt()));
            sb.put("last_overlapping_write_acked_s", DrillAnalysis.seconds(b.lastOverlapAck() - r.faultAt()));
            sb.put("overlapping_writes", b.overlappingAcks());
            sb.put("overlap_s", b.overlapSeconds());
            sb.put("example_id", b.exampleId());
        } else {
            n.putNull("split_brain");
        }
        ArrayNode lost = n.putArray("lost_ids");
        r.lostIds().stream().limit(100).forEach(lost::add);
        ArrayNode events = n.putArray("events");
        for (IterationResult.Event e : r.events()) {
            events.addObject().put("t_s", DrillAnalysis.seconds(e.at() - r.faultAt())).put("kind", e.kind())
                    .put("text", e.text());
        }
        ObjectNode w = n.putObject("writes_per_100ms");
        w.put("from_s", DrillAnalysis.seconds(r.chartFrom() - r.faultAt()));
        w.put("bucket_s", r.bucketNanos() / 1e9);
        ObjectNode series = w.putObject("series");
        r.perBucket().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            ArrayNode a = series.putArray(e.getKey());
            for (int c : e.getValue()) {
                a.add(c);
            }
        });
        return n;
    }

    /** The text report: a header, then per fault the table of figures and a line of verdicts. */
    public static String table(Run run, List<IterationResult> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("baton drill on ").append(run.target()).append(", ").append(run.writers())
                .append(" writer(s); ").append(results.size()).append(" iteration(s) in ")
                .append(human(Duration.between(run.started(), run.finished()))).append(", ")
                .append(run.acknowledged()).append(" writes acknowledged\n");
        byFault(results).forEach((fault, rs) -> {
            sb.append('\n');
            List<String[]> rows = new ArrayList<>();
            boolean reports = rs.stream().anyMatch(r -> r.figures() != null && r.figures().promotion() != null);
            for (Figure fig : Figure.values()) {
                if (fig.fenceFigure() && !reports && !fault.trustsPromotionReport()) {
                    continue;
                }
                Stats s = stats(fig, rs);
                boolean count = fig.whole();
                rows.add(new String[] {fig.label(), Integer.toString(s.n()), num(s.median(), count), num(s.p95(), count),
                    num(s.max(), count)});
            }
            String title = " " + fault.flag() + " (" + rs.size() + (rs.size() == 1 ? " iteration" : " iterations") + ") ";
            sb.append(render(title, new String[] {"Figure", "n", "median", "p95", "max"}, rows));
            ObjectNode s = summary(fault, rs);
            sb.append("split brain: ").append(s.get("split_brain").asInt()).append(" of ").append(rs.size())
                    .append(" iteration(s); lost writes: ").append(s.get("lost_writes_total").asLong()).append(" in ")
                    .append(s.get("iterations_with_loss").asInt()).append(" iteration(s); ")
                    .append(run.targetJson() != null && run.targetJson().path("quorum").asBoolean(false)
                            ? "synchronous_mode quorum promises no lost acknowledged write"
                            : promise(fault, run.targetJson() != null
                            && run.targetJson().path("synchronous_mode").asBoolean(false))).append('\n');
            if (fault.needsLocal() && fault == Fault.PARTITION_PRIMARY && !rs.isEmpty() && rs.get(0).method() != null) {
                sb.append("partition method: ").append(rs.get(0).method()).append('\n');
            }
            if (reports || fault.trustsPromotionReport()) {
                for (IterationResult r : rs) {
                    sb.append(promotionLine(r)).append('\n');
                }
            }
            for (IterationResult r : rs) {
                if (r.failure() != null) {
                    sb.append("FAILED ").append(r.tag()).append(": ").append(r.failure()).append('\n');
                }
            }
        });
        return sb.toString();
    }

    /**
     * One iteration's fence, drain and promotion as its new primary reported them, with its lost
     * writes and split brain: "stop-agent-tree 1/5: node1 -> node2, fence fenced via sql 120 ms,
     * drain complete 30 ms, promote 400 ms; lost 0; split brain 0.00 s".
     */
    static String promotionLine(IterationResult r) {
        StringBuilder sb = new StringBuilder(r.tag()).append(": ");
        DrillAnalysis.Figures f = r.figures();
        if (f == null) {
            return sb.append("not injected").toString();
        }
        sb.append(r.oldPrimary()).append(" -> ").append(r.newPrimary() == null ? "?" : r.newPrimary()).append(", ");
        if (f.promotion() != null) {
            sb.append("fence ").append(f.promotion().fence()).append(" via ").append(f.promotion().channel()).append(' ')
                    .append(f.promotion().fenceMs()).append(" ms, drain ").append(f.promotion().drain()).append(' ')
                    .append(f.promotion().drainMs()).append(" ms, promote ").append(f.promotion().promoteMs())
                    .append(" ms");
        } else {
            sb.append(f.primaryChanged() ? "no promotion report" : "no promotion");
        }
        return sb.append("; lost ").append(f.lostWrites()).append("; split brain ")
                .append(String.format(Locale.ROOT, "%.2f s", f.splitBrainS())).toString();
    }

    static String promise(Fault f, boolean synchronousMode) {
        if (synchronousMode) {
            return "synchronous_mode promises no lost acknowledged write";
        }
        if (f.trustsPromotionReport()) {
            return "no loss is promised when the primary stays, or when the new primary reports the old one fenced "
                    + "and drained";
        }
        return switch (f) {
            case SWITCHOVER -> "a switchover promises no lost acknowledged write";
            case KILL_NODE, PARTITION_PRIMARY -> "a failover may lose the last writes (asynchronous replication); "
                    + "no loss is promised only when the primary stays";
            default -> "no loss is promised when the primary stays; a failover may lose the last writes "
                    + "(asynchronous replication)";
        };
    }

    private static String num(Double v, boolean count) {
        if (v == null) {
            return "-";
        }
        return count ? String.format(Locale.ROOT, v == Math.rint(v) ? "%.0f" : "%.1f", v)
                : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String human(Duration d) {
        long s = d.toSeconds();
        return s >= 60 ? (s / 60) + " min " + (s % 60) + " s" : s + " s";
    }

    /** A table in the style of 'baton list': a rule with the title, the header, the rows; numbers right-aligned. */
    static String render(String title, String[] head, List<String[]> rows) {
        int[] w = new int[head.length];
        for (int i = 0; i < head.length; i++) {
            w[i] = head[i].length();
            for (String[] r : rows) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        StringBuilder rule = new StringBuilder("+");
        for (int x : w) {
            rule.append("-".repeat(x + 2)).append('+');
        }
        StringBuilder top = new StringBuilder(rule);
        if (title.length() + 2 < top.length()) {
            top.replace(1, 1 + title.length(), title);
        }
        StringBuilder sb = new StringBuilder();
        sb.append(top).append('\n').append(line(w, head, false)).append('\n').append(rule).append('\n');
        for (String[] r : rows) {
            sb.append(line(w, r, true)).append('\n');
        }
        sb.append(rule).append('\n');
        return sb.toString();
    }

    private static String line(int[] w, String[] cells, boolean numbersRight) {
        StringBuilder sb = new StringBuilder("|");
        for (int i = 0; i < w.length; i++) {
            String c = cells[i];
            String pad = " ".repeat(w[i] - c.length());
            sb.append(' ').append(numbersRight && i > 0 ? pad + c : c + pad).append(" |");
        }
        return sb.toString();
    }
}
