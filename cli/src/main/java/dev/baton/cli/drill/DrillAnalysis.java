package dev.baton.cli.drill;

import dev.baton.agent.ha.PromotionReport;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The drill's measuring logic, pure: from a recorded trace of one iteration (every acknowledged
 * write with its send time, acknowledgement time and the server that acknowledged it, plus the
 * instants the drill observed) to the figures it reports. No I/O and no clock, so that it can be
 * tested on synthetic traces. All instants are {@link System#nanoTime()} values of one JVM.
 * docs/drill.md defines every figure.
 */
public final class DrillAnalysis {
    /**
     * When the same member is still the primary after the fault, an interval without acknowledged
     * writes counts as an outage only if it lasts at least this long (normal intervals are a few
     * milliseconds with a handful of writers).
     */
    public static final long GAP_THRESHOLD_NANOS = 500_000_000L;

    private DrillAnalysis() {
    }

    /**
     * One acknowledged write: the server committed it between {@code sentNanos} and {@code ackNanos}.
     *
     * @param server the member that acknowledged it (its name, or address:port when unknown)
     */
    public record Ack(long id, long sentNanos, long ackNanos, String server) {
    }

    /**
     * One iteration as the drill saw it. Instants that did not happen (or were not observed) are null.
     *
     * @param acks            the acknowledged writes of the iteration's window (any order)
     * @param faultAt         when the fault was injected
     * @param oldPrimary      the primary before the fault
     * @param newPrimary      the primary once the cluster was whole again (null if it never was)
     * @param leaderGoneAt    when the old primary's leader key was first seen gone (expired, released or taken)
     * @param promotedAt      when the new primary was promoted (the history key's timestamp, or first
     *                        seen answering /primary 200); for the same primary, when /primary answered
     *                        200 again after it had stopped
     * @param healAt          when the drill healed the fault (restart, SIGCONT, proxy healed, etcd
     *                        started); null for faults the drill does not heal (kill-postgres, switchover)
     * @param rejoinedAt      when the faulted member streamed from the new primary again (null if it
     *                        is the primary, or never did)
     * @param wholeAt         when the cluster was whole again: one primary, every other member streaming
     * @param lostIds         the acknowledged ids missing on the primary after the heal
     * @param promotion       the new primary's report of this failover's promotion (fence, drain,
     *                        promote: {@code baton.promotion} of its {@code GET /patroni}), or null
     *                        when it published none (or the primary did not change)
     */
    public record Trace(Fault fault, List<Ack> acks, long faultAt, String oldPrimary, String newPrimary,
                        Long leaderGoneAt, Long promotedAt, Long healAt, Long rejoinedAt, Long wholeAt,
                        Set<Long> lostIds, boolean synchronousMode, PromotionReport promotion) {
        public Trace {
            acks = List.copyOf(acks);
            lostIds = Set.copyOf(lostIds);
        }

        /** A trace without a promotion report. */
        public Trace(Fault fault, List<Ack> acks, long faultAt, String oldPrimary, String newPrimary,
                     Long leaderGoneAt, Long promotedAt, Long healAt, Long rejoinedAt, Long wholeAt,
                     Set<Long> lostIds, boolean synchronousMode) {
            this(fault, acks, faultAt, oldPrimary, newPrimary, leaderGoneAt, promotedAt, healAt, rejoinedAt, wholeAt,
                    lostIds, synchronousMode, null);
        }

        /** A trace of a cluster with asynchronous replication. */
        public Trace(Fault fault, List<Ack> acks, long faultAt, String oldPrimary, String newPrimary,
                     Long leaderGoneAt, Long promotedAt, Long healAt, Long rejoinedAt, Long wholeAt,
                     Set<Long> lostIds) {
            this(fault, acks, faultAt, oldPrimary, newPrimary, leaderGoneAt, promotedAt, healAt, rejoinedAt, wholeAt,
                    lostIds, false);
        }
    }

    /**
     * Two members accepted writes at the same time. {@code later} became primary after
     * {@code earlier} (its first acknowledged write came later), and yet {@code earlier} accepted
     * writes that were sent after {@code later} had acknowledged one.
     *
     * @param laterFirstAck     the first acknowledgement by {@code later}
     * @param firstOverlapSent  when the first of {@code earlier}'s overlapping writes was sent
     * @param lastOverlapAck    when the last of them was acknowledged
     * @param overlappingAcks   how many writes {@code earlier} accepted after {@code later}'s first
     * @param exampleId         the id of the first of them
     */
    public record SplitBrain(String earlier, String later, long laterFirstAck, long firstOverlapSent,
                             long lastOverlapAck, int overlappingAcks, long exampleId) {
        /** From the later primary's first acknowledged write to the last one the earlier primary acknowledged. */
        public double overlapSeconds() {
            return seconds(lastOverlapAck - laterFirstAck);
        }
    }

    /**
     * What one iteration measured. Durations are in seconds and null when they do not apply or
     * were not observed.
     *
     * @param unavailableS    fault → first write acknowledged by the new primary; when the same
     *                        member stayed primary, fault → first write after the outage (0 if writes
     *                        never stopped for {@link #GAP_THRESHOLD_NANOS})
     * @param writeGapS       the longest interval without any acknowledged write, between the
     *                        last write before the fault and the first on the new primary
     * @param oldLastWriteS   fault → the old primary's last acknowledged write (negative when it
     *                        accepted none after the fault); only when the primary changed
     * @param detectionS      fault → the old primary's leader key gone
     * @param promotionS      fault → the new primary promoted (the earlier of the reported
     *                        promotion and its first acknowledged write)
     * @param lbS             promotion → first write on the new primary through the load balancer
     * @param lostWrites      acknowledged writes missing on the primary after the heal
     * @param rejoinS         heal (or the fault, for faults the drill does not heal) → the faulted member streams again
     * @param wholeS          fault → the cluster whole again
     * @param primaryChanged  another member is the primary now
     * @param noLossPromised  this fault, with this outcome, promised no lost acknowledged write
     * @param splitBrain      the first evidence of two members accepting writes at once, if any
     * @param restoredAt      the instant of the first write on the new primary (null if none)
     * @param promotionAt     the promotion instant used for promotionS
     * @param acks            acknowledged writes in the trace
     * @param promotion       the new primary's promotion report of this failover, or null
     */
    public record Figures(Double unavailableS, Double writeGapS, Double oldLastWriteS, Double detectionS,
                          Double promotionS, Double lbS, int lostWrites, Double rejoinS, Double wholeS,
                          boolean primaryChanged, boolean noLossPromised, Optional<SplitBrain> splitBrain,
                          Long restoredAt, Long promotionAt, int acks, PromotionReport promotion) {
        /** Lost writes in a mode that promised none. */
        public boolean brokenPromise() {
            return noLossPromised && lostWrites > 0;
        }

        /** How long two members acknowledged writes at once (0 without split brain). */
        public double splitBrainS() {
            return splitBrain.map(SplitBrain::overlapSeconds).orElse(0.0);
        }

        /** The promotion report says the old primary was fenced and drained: it promised no lost write. */
        public boolean fencedAndDrained() {
            return promotion != null && promotion.fencedAndDrained();
        }

        /** The promotion report's fence time, ms (null without a report). */
        public Long fenceMs() {
            return promotion == null ? null : promotion.fenceMs();
        }

        /** The promotion report's drain time, ms (null without a report). */
        public Long drainMs() {
            return promotion == null ? null : promotion.drainMs();
        }

        /** The promotion report's promote time, ms (null without a report). */
        public Long promoteMs() {
            return promotion == null ? null : promotion.promoteMs();
        }
    }

    /** Computes the figures of one iteration. */
    public static Figures analyze(Trace t) {
        List<Ack> acks = sorted(t.acks());
        String next = t.newPrimary();
        boolean changed = next != null && !next.equals(t.oldPrimary());
        Long restoredAt = null;
        if (next != null) {
            restoredAt = changed ? firstAck(acks, next, t.faultAt()) : endOfOutage(acks, next, t.faultAt());
        }
        Double writeGap = restoredAt == null ? null : seconds(longestGap(acks, t.faultAt(), restoredAt));
        Double oldLast = null;
        if (changed) {
            Long last = lastAckBy(acks, t.oldPrimary());
            oldLast = last == null ? null : seconds(last - t.faultAt());
        }
        // A write the new primary acknowledged proves that it had been promoted by then: the
        // promotion is the earlier of the reported instant and that write.
        Long promotionAt = t.promotedAt();
        boolean outage = restoredAt != null && restoredAt - t.faultAt() > 0;
        if (outage && (promotionAt == null ? changed : restoredAt - promotionAt < 0)) {
            promotionAt = restoredAt;
        }
        Double lb = promotionAt != null && restoredAt != null ? seconds(restoredAt - promotionAt) : null;
        Long rejoinFrom = t.healAt() != null ? t.healAt() : Long.valueOf(t.faultAt());
        PromotionReport promotion = changed ? t.promotion() : null;
        // Fence before promote (issue 16): a promotion that says it fenced the old primary and
        // received all the WAL it flushed promises that nothing acknowledged is lost.
        boolean promised = t.fault().promisesNoLoss(changed || next == null, t.synchronousMode())
                || (t.fault().trustsPromotionReport() && promotion != null && promotion.fencedAndDrained());
        return new Figures(
                restoredAt == null ? null : seconds(restoredAt - t.faultAt()),
                writeGap,
                oldLast,
                since(t.faultAt(), t.leaderGoneAt()),
                since(t.faultAt(), promotionAt),
                lb,
                t.lostIds().size(),
                t.rejoinedAt() == null ? null : seconds(t.rejoinedAt() - rejoinFrom),
                since(t.faultAt(), t.wholeAt()),
                changed,
                promised,
                splitBrain(acks),
                restoredAt,
                promotionAt,
                acks.size(),
                promotion);
    }

    /**
     * The split-brain check. For two members A and B where B became primary after A (B's first
     * acknowledged write came after A's first), the trace shows split brain if A accepted a write
     * that was sent after B had acknowledged one: A certainly committed it after B certainly
     * committed a write, so both accepted writes at that moment. Writes whose order is uncertain
     * (sent to A before B's first acknowledgement, acknowledged by A after it) do not count. The
     * check assumes the primary role moved at most once in the trace, as in one drill iteration.
     */
    public static Optional<SplitBrain> splitBrain(List<Ack> trace) {
        List<Ack> acks = sorted(trace);
        Map<String, Long> first = new HashMap<>();
        for (Ack a : acks) {
            first.putIfAbsent(a.server(), a.ackNanos());
        }
        SplitBrain found = null;
        for (Map.Entry<String, Long> later : first.entrySet()) {
            for (Map.Entry<String, Long> earlier : first.entrySet()) {
                if (earlier.getKey().equals(later.getKey()) || earlier.getValue() - later.getValue() >= 0) {
                    continue;
                }
                long laterFirst = later.getValue();
                int count = 0;
                long firstSent = 0;
                long lastAck = 0;
                long example = 0;
                for (Ack a : acks) {
                    if (a.server().equals(earlier.getKey()) && a.sentNanos() - laterFirst > 0) {
                        if (count == 0 || a.sentNanos() - firstSent < 0) {
                            firstSent = a.sentNanos();
                            example = a.id();
                        }
                        lastAck = count == 0 ? a.ackNanos() : Math.max(lastAck, a.ackNanos());
                        count++;
                    }
                }
                if (count > 0 && (found == null || firstSent - found.firstOverlapSent() < 0)) {
                    found = new SplitBrain(earlier.getKey(), later.getKey(), laterFirst, firstSent, lastAck, count, example);
                }
            }
        }
        return Optional.ofNullable(found);
    }

    /**
     * {@code report} if it tells of the failover that began at {@code faultWall} from
     * {@code oldPrimary}: promoted no earlier than a second before the fault (clocks of one
     * machine), and after that old primary's lease (or an unknown one). Else null: a report of an
     * earlier promotion, which a member keeps showing, says nothing about this one.
     */
    public static PromotionReport ofThisFailover(PromotionReport report, Instant faultWall, String oldPrimary) {
        if (report == null || report.at() == null || faultWall == null) {
            return null;
        }
        Instant at;
        try {
            at = OffsetDateTime.parse(report.at()).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
        if (at.isBefore(faultWall.minus(Duration.ofSeconds(1)))) {
            return null;
        }
        return report.oldPrimary() == null || report.oldPrimary().equals(oldPrimary) ? report : null;
    }

    /** Acknowledged writes per bucket of {@code bucketNanos} from {@code from} to {@code to}, per server. */
    public static Map<String, int[]> perBucket(List<Ack> acks, long from, long to, long bucketNanos) {
        int n = (int) Math.max(1, (to - from + bucketNanos - 1) / bucketNanos);
        Map<String, int[]> out = new java.util.TreeMap<>();
        for (Ack a : acks) {
            long d = a.ackNanos() - from;
            if (d < 0 || a.ackNanos() - to > 0) {
                continue;
            }
            int i = (int) Math.min(n - 1, d / bucketNanos);
            out.computeIfAbsent(a.server(), k -> new int[n])[i]++;
        }
        return out;
    }

    // ------------------------------------------------------------------ helpers

    private static List<Ack> sorted(List<Ack> acks) {
        List<Ack> s = new ArrayList<>(acks);
        s.sort(Comparator.comparingLong(Ack::ackNanos));
        return s;
    }

    /** The earliest acknowledgement by {@code server} after {@code after} (acks in any order), or null. */
    static Long firstAck(List<Ack> acks, String server, long after) {
        Long best = null;
        for (Ack a : acks) {
            if (a.ackNanos() - after > 0 && a.server().equals(server) && (best == null || a.ackNanos() - best < 0)) {
                best = a.ackNanos();
            }
        }
        return best;
    }

    private static Long lastAckBy(List<Ack> acks, String server) {
        Long last = null;
        for (Ack a : acks) {
            if (a.server().equals(server)) {
                last = a.ackNanos();
            }
        }
        return last;
    }

    /**
     * The same member stayed primary: the end of the longest interval without its acknowledged
     * writes that ends after the fault (it may start before). The fault itself when no interval
     * reaches the threshold (no outage), null when it acknowledged nothing after the fault.
     */
    private static Long endOfOutage(List<Ack> acks, String server, long faultAt) {
        long prev = faultAt;
        long best = -1;
        Long bestEnd = null;
        for (Ack a : acks) {
            if (!a.server().equals(server)) {
                continue;
            }
            if (a.ackNanos() - faultAt > 0) {
                long gap = a.ackNanos() - prev;
                if (gap > best) {
                    best = gap;
                    bestEnd = a.ackNanos();
                }
            }
            prev = a.ackNanos();
        }
        if (bestEnd == null) {
            return null;
        }
        return best >= GAP_THRESHOLD_NANOS ? bestEnd : Long.valueOf(faultAt);
    }

    /** The longest interval between consecutive acknowledged writes (any server) that ends in (from, to]. */
    private static long longestGap(List<Ack> acks, long from, long to) {
        long best = 0;
        Long prev = null;
        for (Ack a : acks) {
            if (a.ackNanos() - to > 0) {
                break;
            }
            if (a.ackNanos() - from > 0) {
                long start = prev != null ? prev : from;
                best = Math.max(best, a.ackNanos() - start);
            }
            prev = a.ackNanos();
        }
        return best;
    }

    private static Double since(long from, Long to) {
        return to == null ? null : seconds(to - from);
    }

    static double seconds(long nanos) {
        return Math.round(nanos / 1e6) / 1e3;
    }
}
