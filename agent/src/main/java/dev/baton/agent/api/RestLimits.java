package dev.baton.agent.api;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How much the REST server gives one client, so that slow or idle clients cannot starve the health
 * checks a load balancer routes by (four stalled connections used to block {@code /primary} for
 * more than 40 s: a fixed pool of 4 threads and no request timeout).
 *
 * <p>The JDK server reads request headers on the handler's executor, so a client that sends half
 * a request line holds a thread. The defences:
 * <ul>
 *   <li>{@code requestTimeout}: a connection that has started a request but not finished sending
 *       its headers and body within it is closed;</li>
 *   <li>{@code maxConnections}: connections beyond it are closed as soon as they are accepted;</li>
 *   <li>the executor has a thread for every connection the limit allows (twice, for handlers still
 *       finishing after their connection was closed), created on demand, so a request never waits
 *       for a thread held by another client;</li>
 *   <li>{@code idleTimeout}: a connection that sends nothing (newly accepted, or kept alive
 *       between requests) is closed after it;</li>
 *   <li>{@code responseTimeout}: a connection whose response is not written within it is closed.
 *       It must exceed the longest operator action's wait (restart, reinitialize: 120 s;
 *       switchover: max(30 s, 3 × ttl));</li>
 *   <li>{@code maxBodyBytes}: a larger request body is answered 413 without being read.</li>
 * </ul>
 *
 * <p>All but the body limit are system properties of the JDK's server ({@code sun.net.httpserver.*},
 * {@code jdk.httpserver.maxConnections}), which it reads <em>once per JVM</em>, when the first
 * server is created. {@link RestApi} sets them just before it creates its server; in the agent's
 * JVM it is the first and only one. Verified against JDK 17.0.15: a half-sent request line is
 * closed after {@code maxReqTime} (checked every {@code timerMillis}), a silent connection after
 * {@code idleInterval} (checked every {@code clockTick}), and connections beyond
 * {@code maxConnections} are closed at accept.
 */
public record RestLimits(int maxConnections, Duration requestTimeout, Duration responseTimeout,
                         Duration idleTimeout, int maxBodyBytes) {

    /** What the agent uses unless its actions wait longer (see {@link #forActionsWaiting}). */
    public static final RestLimits DEFAULTS = new RestLimits(64, Duration.ofSeconds(5), Duration.ofSeconds(150),
            Duration.ofSeconds(30), 64 * 1024);

    /** Request headers: at most this many, this large in all (the JDK's defaults are 200 and 380 KiB). */
    static final int MAX_HEADERS = 100;
    static final int MAX_HEADER_BYTES = 32 * 1024;

    public RestLimits {
        if (maxConnections < 1 || maxBodyBytes < 0) {
            throw new IllegalArgumentException("maxConnections must be >= 1 and maxBodyBytes >= 0");
        }
        for (Duration d : new Duration[] {requestTimeout, responseTimeout, idleTimeout}) {
            if (d.toSeconds() < 1) {
                throw new IllegalArgumentException("REST timeouts are whole seconds, at least 1: " + d);
            }
        }
    }

    /** The defaults, with a response timeout 30 s past the longest action's wait. */
    public static RestLimits forActionsWaiting(Duration longestWait) {
        Duration r = longestWait.plusSeconds(30);
        return new RestLimits(DEFAULTS.maxConnections, DEFAULTS.requestTimeout,
                r.compareTo(DEFAULTS.responseTimeout) > 0 ? r : DEFAULTS.responseTimeout, DEFAULTS.idleTimeout,
                DEFAULTS.maxBodyBytes);
    }

    /** Threads for the handlers: see the class comment. */
    int maxThreads() {
        return 2 * maxConnections;
    }

    /** The JDK server's system properties for these limits (times in seconds, the ticks in milliseconds). */
    Map<String, String> jdkProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("jdk.httpserver.maxConnections", Integer.toString(maxConnections));
        p.put("sun.net.httpserver.maxReqTime", Long.toString(requestTimeout.toSeconds()));
        p.put("sun.net.httpserver.maxRspTime", Long.toString(responseTimeout.toSeconds()));
        p.put("sun.net.httpserver.timerMillis", "1000");
        p.put("sun.net.httpserver.idleInterval", Long.toString(idleTimeout.toSeconds()));
        p.put("sun.net.httpserver.clockTick", "1000");
        p.put("sun.net.httpserver.maxIdleConnections", Integer.toString(maxConnections));
        p.put("sun.net.httpserver.maxReqHeaders", Integer.toString(MAX_HEADERS));
        p.put("sun.net.httpserver.maxReqHeaderSize", Integer.toString(MAX_HEADER_BYTES));
        // Without TCP_NODELAY the JDK server writes headers and body separately and the body waits
        // up to 40 ms for the client's delayed ACK: every health check and peer poll paid for it.
        p.put("sun.net.httpserver.nodelay", "true");
        return p;
    }
}
