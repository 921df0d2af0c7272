package dev.baton.aws.routing;

import dev.baton.config.AwsConfig;
import java.time.Duration;

/**
 * How often {@link AwsRouter} checks, how it backs off, and how long it may take to leave.
 * {@link #of} derives them from the {@code aws} section: backoff starts at 200 ms (1 s when
 * throttled) and stops growing at the reconcile interval, between 1 and 10 s.
 *
 * @param reconcileInterval between checks while nothing changes (jittered by up to -20 %)
 * @param followUp          the next check after a change, to see it settle
 * @param backoffBase       first retry delay after an error
 * @param throttleBase      first retry delay after throttling
 * @param backoffCap        the longest retry delay
 * @param closeGrace        how long {@link AwsRouter#close()} waits for a last deregistration
 */
public record RoutingTiming(Duration reconcileInterval, Duration followUp, Duration backoffBase,
                            Duration throttleBase, Duration backoffCap, Duration closeGrace) {

    /** The timing for {@code aws.reconcile_interval} and {@code aws.call_timeout}. */
    public static RoutingTiming of(AwsConfig c) {
        Duration interval = c.reconcileInterval();
        Duration followUp = min(Duration.ofSeconds(2), interval);
        Duration cap = min(Duration.ofSeconds(10), max(Duration.ofSeconds(1), interval));
        Duration grace = min(Duration.ofSeconds(5), c.callTimeout().multipliedBy(2));
        return new RoutingTiming(interval, followUp, Duration.ofMillis(200), Duration.ofSeconds(1), cap, grace);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
