package dev.baton.aws.routing;

import dev.baton.agent.routing.RoutingMetrics;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * What the two load balancer APIs have in common: each call is counted by its outcome (ok,
 * throttled, error), SDK failures become {@link RoutingCallException}s, a deregistration of a
 * target that is already gone reaches the goal, and closing closes the client.
 */
abstract class ApiTargets<C extends SdkAutoCloseable> implements TargetSet {
    /** The API's client, closed by {@link #close()}. */
    final C client;
    private final RoutingMetrics metrics;

    ApiTargets(C client, RoutingMetrics metrics) {
        this.client = Objects.requireNonNull(client, "client");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /** Makes one API call, counted under {@code operation}. */
    final <T> T call(String operation, Supplier<T> call) throws RoutingCallException {
        T result;
        try {
            result = call.get();
        } catch (SdkException e) {
            throw failed(operation, e);
        }
        metrics.apiCall(operation, "ok");
        return result;
    }

    /**
     * Makes a deregistration call. An error whose code is in {@code alreadyGone} means the targets
     * are not registered (any more): someone else (the new primary, the old one leaving) was
     * quicker, and the goal is reached.
     */
    final void deregister(String operation, Set<String> alreadyGone, Runnable call) throws RoutingCallException {
        try {
            call(operation, () -> {
                call.run();
                return null;
            });
        } catch (RoutingCallException f) {
            if (!alreadyGone.contains(f.code())) {
                throw f;
            }
        }
    }

    private RoutingCallException failed(String operation, SdkException e) {
        RoutingCallException f = RoutingCallException.from(operation, e);
        metrics.apiCall(operation, f.throttled() ? "throttled" : "error");
        return f;
    }

    @Override
    public void close() {
        client.close();
    }
}
