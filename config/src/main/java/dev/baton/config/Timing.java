package dev.baton.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The three values that decide how fast a lost primary is replaced, in seconds: the lease
 * {@code ttl}, the sleep between HA cycles {@code loop_wait}, and the deadline of each etcd
 * request {@code retry_timeout}.
 *
 * <p>Bounds: {@code ttl} 2..3600 (2 is etcd's shortest lease; beyond an hour a dead primary
 * blocks failover for longer than any operator waits), {@code loop_wait} 1..300,
 * {@code retry_timeout} 1..600. The rule {@code loop_wait + 2*retry_timeout <= ttl} makes a
 * primary that cannot reach etcd (one sleep, then two timed-out requests) demote before its key
 * can expire and be taken. {@link #adjusted()} enforces bounds and rule as Patroni's
 * {@code config.py::_validate_and_adjust_timeouts} does: it lowers {@code loop_wait} first, and
 * {@code retry_timeout} only once {@code loop_wait} is at its minimum; Baton's smaller minimums
 * add one step Patroni does not need, raising {@code ttl} 2 to 3.
 */
public record Timing(int ttl, int loopWait, int retryTimeout) {

    /** etcd does not grant leases shorter than this. */
    public static final int MIN_TTL = 2;
    public static final int MAX_TTL = 3600;
    public static final int MIN_LOOP_WAIT = 1;
    public static final int MAX_LOOP_WAIT = 300;
    public static final int MIN_RETRY_TIMEOUT = 1;
    public static final int MAX_RETRY_TIMEOUT = 600;

    /** One value the adjustment changed, and why (the key is Patroni's name, e.g. "loop_wait"). */
    public record Change(String key, int from, int to, String why) {
        /** {@code loop_wait lowered from 25 to 20}. */
        public String summary() {
            return key + (to < from ? " lowered" : " raised") + " from " + from + " to " + to;
        }

        /** As a log or warning line: the summary and why. */
        public String message() {
            return summary() + ": " + why;
        }
    }

    /** The values in force after {@link #adjusted()}, and each change made to get there. */
    public record Adjusted(Timing timing, List<Change> changes) {
        public Adjusted {
            changes = List.copyOf(changes);
        }
    }

    /** Whether {@code loop_wait + 2*retry_timeout <= ttl} holds. */
    public boolean safe() {
        return worstCase() <= ttl;
    }

    /** One sleep and two timed-out requests: how long a primary may go without confirming its lease. */
    public long worstCase() {
        return (long) loopWait + 2L * retryTimeout;
    }

    /** Every value out of its bounds, with paths below {@code prefix} (e.g. "bootstrap.dcs."). */
    public List<ConfigError> boundErrors(String prefix) {
        List<ConfigError> errors = new ArrayList<>();
        bound(errors, prefix + "ttl", ttl, MIN_TTL, MAX_TTL, " (etcd's minimum lease TTL)");
        bound(errors, prefix + "loop_wait", loopWait, MIN_LOOP_WAIT, MAX_LOOP_WAIT, "");
        bound(errors, prefix + "retry_timeout", retryTimeout, MIN_RETRY_TIMEOUT, MAX_RETRY_TIMEOUT, "");
        return errors;
    }

    /** The rule, as an error message (null when it holds). */
    public String ruleViolation() {
        return safe() ? null : String.format("loop_wait + 2*retry_timeout must be <= ttl (%d + 2*%d = %d > %d)",
                loopWait, retryTimeout, worstCase(), ttl);
    }

    /**
     * The values an agent runs with: each clamped into its bounds, then the rule enforced by
     * lowering {@code loop_wait}, then {@code retry_timeout} (and raising {@code ttl} 2 to 3, the
     * least that fits both minimums). A pure function: the same values give the same changes.
     */
    public Adjusted adjusted() {
        List<Change> changes = new ArrayList<>();
        int t = clamp(changes, "ttl", ttl, MIN_TTL, MAX_TTL);
        int l = clamp(changes, "loop_wait", loopWait, MIN_LOOP_WAIT, MAX_LOOP_WAIT);
        int r = clamp(changes, "retry_timeout", retryTimeout, MIN_RETRY_TIMEOUT, MAX_RETRY_TIMEOUT);
        String rule = String.format("loop_wait + 2*retry_timeout <= ttl did not hold (%d + 2*%d > %d)", l, r, t);
        if (MIN_LOOP_WAIT + 2L * r > t) {
            int fitting = Math.max(MIN_RETRY_TIMEOUT, (t - MIN_LOOP_WAIT) / 2);
            if (l != MIN_LOOP_WAIT) {
                changes.add(new Change("loop_wait", l, MIN_LOOP_WAIT, rule));
                l = MIN_LOOP_WAIT;
            }
            if (r != fitting) {
                changes.add(new Change("retry_timeout", r, fitting, rule));
                r = fitting;
            }
            int least = MIN_LOOP_WAIT + 2 * r;
            if (t < least) {
                changes.add(new Change("ttl", t, least, rule + "; no loop_wait and retry_timeout fit a shorter ttl"));
                t = least;
            }
        } else if (l + 2L * r > t) {
            changes.add(new Change("loop_wait", l, t - 2 * r, rule));
            l = t - 2 * r;
        }
        return new Adjusted(new Timing(t, l, r), changes);
    }

    private static int clamp(List<Change> changes, String key, int value, int min, int max) {
        if (value < min) {
            changes.add(new Change(key, value, min, "must be >= " + min));
            return min;
        }
        if (value > max) {
            changes.add(new Change(key, value, max, "must be <= " + max));
            return max;
        }
        return value;
    }

    private static void bound(List<ConfigError> errors, String path, int value, int min, int max, String why) {
        if (value < min) {
            errors.add(new ConfigError(path, "must be >= " + min + why + ", got " + value));
        } else if (value > max) {
            errors.add(new ConfigError(path, "must be <= " + max + ", got " + value));
        }
    }
}
