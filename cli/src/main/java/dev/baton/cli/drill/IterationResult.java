package dev.baton.cli.drill;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One iteration of the drill: what was done, what was seen, and the figures.
 *
 * @param method           how the fault was injected (e.g. the partition method)
 * @param faultWallClock   the wall-clock time of the fault (null if it was never injected)
 * @param faultAt          {@link System#nanoTime()} of the fault; every other instant is relative to it
 * @param figures          the measurements (null if the fault was never injected)
 * @param events           what the drill observed, in order
 * @param chartFrom        the start of the picture's time axis ({@link System#nanoTime()})
 * @param bucketNanos      the width of one bar of {@code perBucket}
 * @param perBucket        acknowledged writes per bucket, per member
 * @param lostIds          the acknowledged ids the primary did not have afterwards (at most 100 shown)
 * @param promotionSource  "history" (the history key's timestamp), "REST poll" (first /primary 200 seen)
 *                         or "first write" (the new primary's first acknowledged write came earlier)
 * @param problem          why the iteration failed to heal (or to start), null when it healed
 */
public record IterationResult(Fault fault, int iteration, int iterations, String method, String oldPrimary,
                              String newPrimary, Instant faultWallClock, long faultAt, DrillAnalysis.Figures figures,
                              List<Event> events, long chartFrom, long bucketNanos, Map<String, int[]> perBucket,
                              List<Long> lostIds, String promotionSource, String problem) {

    /** Something the drill saw or did, at {@code at} ({@link System#nanoTime()}). */
    public record Event(long at, String kind, String text) {
    }

    public IterationResult {
        events = List.copyOf(events);
        lostIds = List.copyOf(lostIds);
        perBucket = Map.copyOf(perBucket);
    }

    public boolean healed() {
        return problem == null;
    }

    public boolean splitBrain() {
        return figures != null && figures.splitBrain().isPresent();
    }

    /** Lost acknowledged writes although this iteration promised none. */
    public boolean brokenPromise() {
        return figures != null && figures.brokenPromise();
    }

    /** Why this iteration makes the drill exit 1, or null. */
    public String failure() {
        if (splitBrain()) {
            DrillAnalysis.SplitBrain s = figures.splitBrain().get();
            return "split brain: " + s.earlier() + " acknowledged " + s.overlappingAcks() + " write(s) sent after "
                    + s.later() + " had acknowledged one (over " + s.overlapSeconds() + " s)";
        }
        if (brokenPromise() && fault.trustsPromotionReport() && figures.fencedAndDrained()) {
            return "lost " + figures.lostWrites() + " acknowledged write(s), and " + newPrimary + "'s promotion report "
                    + "says " + oldPrimary + " was fenced (" + figures.promotion().fence() + ") and drained ("
                    + figures.promotion().drain() + "), which promises none";
        }
        if (brokenPromise()) {
            return "lost " + figures.lostWrites() + " acknowledged write(s), and " + fault
                    + (fault == Fault.SWITCHOVER ? " promises"
                    : figures.primaryChanged() ? " in synchronous_mode promises"
                    : " without a change of primary promises") + " none";
        }
        return problem;
    }

    /** The progress line that ends the iteration: "done: writes unavailable 4.21 s (promotion ...), lost 0 of ...". */
    public String summary() {
        DrillAnalysis.Figures f = figures;
        StringBuilder sb = new StringBuilder(healed() && failure() == null ? "done: " : "FAILED: ");
        sb.append("writes unavailable ").append(secs(f.unavailableS()));
        if (f.promotionS() != null) {
            sb.append(f.primaryChanged() ? " (promotion " : " (primary back ").append(secs(f.promotionS()))
                    .append(" via ").append(promotionSource);
            if (f.lbS() != null) {
                sb.append(", load balancer +").append(secs(f.lbS()));
            }
            sb.append(')');
        }
        sb.append(", lost ").append(f.lostWrites()).append(" of ").append(f.acks()).append(" writes");
        sb.append(", split brain: ").append(f.splitBrain().isPresent() ? "YES (" + secs(f.splitBrainS()) + ")" : "no");
        if (f.promotion() != null) {
            sb.append(", fence ").append(f.promotion().fence()).append(" via ").append(f.promotion().channel())
                    .append(' ').append(f.promotion().fenceMs()).append(" ms, drain ").append(f.promotion().drain())
                    .append(' ').append(f.promotion().drainMs()).append(" ms, promote ").append(f.promotion().promoteMs())
                    .append(" ms");
        } else if (fault.trustsPromotionReport() && f.primaryChanged()) {
            sb.append(", no promotion report");
        }
        if (f.rejoinS() != null) {
            sb.append(", ").append(oldPrimary).append(" streams again ").append(secs(f.rejoinS()))
                    .append(fault == Fault.SWITCHOVER || fault == Fault.KILL_POSTGRES ? " after the fault"
                            : " after the heal");
        }
        if (failure() != null) {
            sb.append("; ").append(failure());
        }
        return sb.toString();
    }

    private static String secs(Double s) {
        return s == null ? "n/a" : String.format(Locale.ROOT, "%.2f s", s);
    }

    public String tag() {
        return fault + " " + iteration + "/" + iterations;
    }
}
