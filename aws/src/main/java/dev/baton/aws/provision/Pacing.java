package dev.baton.aws.provision;

import java.time.Duration;
import java.util.Objects;
import software.amazon.awssdk.core.waiters.WaiterOverrideConfiguration;
import software.amazon.awssdk.retries.api.BackoffStrategy;

/**
 * How often provisioning polls and how long it waits: the waiters' delays and limits, and the
 * SDK's retry delay. {@link #DEFAULT} suits AWS; tests against the emulator use milliseconds.
 *
 * @param pollInterval        between two polls of a waiter (and of a retried delete)
 * @param instanceTimeout     limit on instances reaching running (or terminated)
 * @param loadBalancerTimeout limit on a load balancer becoming active (or deleted)
 * @param dependencyTimeout   limit on retrying deletes that AWS refuses while a dependency lingers
 *                            (a security group still attached, a target group still in use)
 * @param retryDelay          fixed delay between SDK retries, or null for the SDK's backoff
 */
public record Pacing(Duration pollInterval, Duration instanceTimeout, Duration loadBalancerTimeout,
                     Duration dependencyTimeout, Duration retryDelay) {

    /** For AWS: poll every 5 s, instances within 10 min, load balancers within 15 min. */
    public static final Pacing DEFAULT = new Pacing(Duration.ofSeconds(5), Duration.ofMinutes(10),
            Duration.ofMinutes(15), Duration.ofMinutes(5), null);

    public Pacing {
        Objects.requireNonNull(pollInterval, "pollInterval");
        Objects.requireNonNull(instanceTimeout, "instanceTimeout");
        Objects.requireNonNull(loadBalancerTimeout, "loadBalancerTimeout");
        Objects.requireNonNull(dependencyTimeout, "dependencyTimeout");
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("pollInterval must be positive: " + pollInterval);
        }
    }

    /** The same limits, polling every {@code interval} and retrying after it (tests: milliseconds). */
    public static Pacing polling(Duration interval, Duration timeout) {
        return new Pacing(interval, timeout, timeout, timeout, interval);
    }

    /** A waiter configuration polling every {@link #pollInterval} for at most {@code timeout}. */
    public WaiterOverrideConfiguration waiter(Duration timeout) {
        long attempts = Math.max(2, timeout.toMillis() / Math.max(1, pollInterval.toMillis()) + 1);
        return WaiterOverrideConfiguration.builder()
                .maxAttempts((int) Math.min(Integer.MAX_VALUE, attempts))
                .waitTimeout(timeout)
                .backoffStrategyV2(BackoffStrategy.fixedDelayWithoutJitter(pollInterval))
                .build();
    }
}
