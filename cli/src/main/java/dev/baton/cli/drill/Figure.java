package dev.baton.cli.drill;

import java.util.function.Function;

/** The figures of one iteration, in report order, with their JSON keys and table labels. */
public enum Figure {
    UNAVAILABLE("unavailable_s", "write unavailability (s)", DrillAnalysis.Figures::unavailableS),
    WRITE_GAP("write_gap_s", "longest gap between writes (s)", DrillAnalysis.Figures::writeGapS),
    OLD_LAST_WRITE("old_primary_last_write_s", "old primary's last write (s)", DrillAnalysis.Figures::oldLastWriteS),
    DETECTION("detection_s", "detection: leader key gone (s)", DrillAnalysis.Figures::detectionS),
    PROMOTION("promotion_s", "promotion / primary back (s)", DrillAnalysis.Figures::promotionS),
    LB("lb_s", "load balancer: promotion -> write (s)", DrillAnalysis.Figures::lbS),
    LOST("lost_writes", "lost acknowledged writes", f -> f.lostWrites()),
    REJOIN("rejoin_s", "faulted member streams again (s)", DrillAnalysis.Figures::rejoinS),
    WHOLE("whole_s", "cluster whole again (s)", DrillAnalysis.Figures::wholeS),
    /** From the new primary's promotion report (fence before promote, issue 16). */
    FENCE("fence_ms", "fence the old primary (ms)", DrillAnalysis.Figures::fenceMs),
    DRAIN("drain_ms", "drain its WAL (ms)", DrillAnalysis.Figures::drainMs),
    PROMOTE("promote_ms", "promote (ms)", DrillAnalysis.Figures::promoteMs),
    SPLIT_BRAIN("split_brain_s", "two members acknowledging (s)", f -> f.splitBrainS());

    private final String key;
    private final String label;
    private final Function<DrillAnalysis.Figures, Number> value;

    Figure(String key, String label, Function<DrillAnalysis.Figures, Number> value) {
        this.key = key;
        this.label = label;
        this.value = value;
    }

    /** The JSON key, e.g. {@code unavailable_s}: seconds unless it is a count or milliseconds. */
    public String key() {
        return key;
    }

    public String label() {
        return label;
    }

    /** The value in one iteration, or null when it does not apply. */
    public Number of(DrillAnalysis.Figures f) {
        return value.apply(f);
    }

    /** Shown as a whole number (a count, or milliseconds). */
    public boolean whole() {
        return this == LOST || this == FENCE || this == DRAIN || this == PROMOTE;
    }

    /**
     * One of the fence-before-promote figures: the text table shows them for stop-agent-tree, and
     * for other faults only when a promotion report came (so that their tables stay as they were).
     */
    public boolean fenceFigure() {
        return this == FENCE || this == DRAIN || this == PROMOTE || this == SPLIT_BRAIN;
    }
}
