package dev.baton.leader.etcd;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Gives every gRPC call except the long-lived streams (the watch, and the lease keep-alive stream
 * of {@link KeepAliveStream}, marked with {@link #LONG_LIVED}) a deadline.
 *
 * <p>jetcd 0.8.4 sets no deadlines of its own. Without one, a request sent to an etcd that hangs
 * (stopped process, dropped packets) stays open forever, and its retry executor can replay a
 * write long after the caller gave up. With the deadline, an abandoned attempt dies on the client
 * no later than {@code timeout} after it was sent.
 */
final class DeadlineInterceptor implements ClientInterceptor {

    private static final String WATCH_SERVICE = "etcdserverpb.Watch";

    /** Marks a call as a long-lived stream whose every message is bounded by its caller instead. */
    static final CallOptions.Key<Boolean> LONG_LIVED = CallOptions.Key.createWithDefault("baton-long-lived", false);

    private final long timeoutMillis;

    DeadlineInterceptor(Duration timeout) {
        this.timeoutMillis = Math.max(1, timeout.toMillis());
    }

    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
            MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
        CallOptions options = callOptions;
        if (options.getDeadline() == null && !WATCH_SERVICE.equals(method.getServiceName())
                && !options.getOption(LONG_LIVED)) {
            options = options.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS);
        }
        return next.newCall(method, options);
    }
}
