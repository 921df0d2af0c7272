package dev.baton.config;

/**
 * How Baton drives its local PostgreSQL, beyond addresses and credentials: Patroni's
 * {@code postgresql.pre_promote}, {@code before_stop}, {@code pg_ctl_timeout},
 * {@code use_unix_socket} and {@code use_unix_socket_repl}.
 *
 * @param prePromote        the fencing hook run after winning the leader key and before promoting
 *                          (a non-zero exit, or no exit within {@code pgCtlTimeout}, cancels the
 *                          promotion), or null
 * @param beforeStop        run before a (non-emergency) stop of PostgreSQL; its failure does not
 *                          prevent the stop; or null
 * @param pgCtlTimeout      seconds pg_ctl start, stop and restart may take (Patroni's default 60);
 *                          also how long {@code prePromote} and {@code beforeStop} may run
 * @param useUnixSocket     the agent's own connections to its PostgreSQL go through the Unix socket
 * @param useUnixSocketRepl replication connections to the local PostgreSQL would go through the
 *                          Unix socket; Baton makes none, so nothing changes
 */
public record PostgresControl(String prePromote, String beforeStop, int pgCtlTimeout, boolean useUnixSocket,
        boolean useUnixSocketRepl) {
    /** Patroni's default {@code pg_ctl_timeout}. */
    public static final int DEFAULT_PG_CTL_TIMEOUT = 60;

    public PostgresControl {
        if (pgCtlTimeout < 1) {
            throw new IllegalArgumentException("pg_ctl_timeout must be at least 1 second: " + pgCtlTimeout);
        }
    }

    /** Nothing configured: no hooks, 60 s, TCP. */
    public static PostgresControl defaults() {
        return new PostgresControl(null, null, DEFAULT_PG_CTL_TIMEOUT, false, false);
    }

    /** {@link #pgCtlTimeout} as a duration. */
    public java.time.Duration pgCtlDuration() {
        return java.time.Duration.ofSeconds(pgCtlTimeout);
    }
}
