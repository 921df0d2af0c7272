package dev.baton.leader.etcd;

import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.WatchGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.MethodDescriptor;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Which calls get the request deadline: all but the long-lived streams. */
class DeadlineInterceptorTest {

    private final DeadlineInterceptor interceptor = new DeadlineInterceptor(Duration.ofSeconds(5));
    private final AtomicReference<CallOptions> seen = new AtomicReference<>();
    private final Channel channel = new Channel() {
        @Override
        public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
            seen.set(options);
            return null;
        }

        @Override
        public String authority() {
            return "test";
        }
    };

    @Test
    void anUnaryCallAndAStreamNotMarkedGetTheDeadline() {
        interceptor.interceptCall(LeaseGrpc.getLeaseGrantMethod(), CallOptions.DEFAULT, channel);
        assertNotNull(seen.get().getDeadline());
        interceptor.interceptCall(LeaseGrpc.getLeaseKeepAliveMethod(), CallOptions.DEFAULT, channel);
        assertNotNull(seen.get().getDeadline(), "jetcd's keepAliveOnce stream (the fallback)");
    }

    @Test
    void theWatchAndTheKeepAliveStreamGetNone() {
        interceptor.interceptCall(WatchGrpc.getWatchMethod(), CallOptions.DEFAULT, channel);
        assertNull(seen.get().getDeadline());
        interceptor.interceptCall(LeaseGrpc.getLeaseKeepAliveMethod(),
                CallOptions.DEFAULT.withOption(DeadlineInterceptor.LONG_LIVED, true), channel);
        assertNull(seen.get().getDeadline(), "each request on it is bounded by the caller's deadline");
    }
}
