package dev.baton.agent.postgres;

/**
 * What an attempt to fence a former primary found and did (fence before promote): a candidate
 * that won the leader key after the old leader's lease expired makes the old primary stop
 * acknowledging commits before it promotes itself, whenever it can reach it.
 *
 * @param outcome  what happened
 * @param flushLsn the old primary's WAL flush position read once it was fenced (the position the
 *                 candidate drains to before it promotes); 0 when unknown
 * @param detail   what the old primary or the channel said, for logs and the history key (never a
 *                 password)
 */
public record FenceResult(Outcome outcome, long flushLsn, String detail) {

    /** The outcomes; {@link #fenced()} tells which ones leave no writable old primary behind. */
    public enum Outcome {
        /** Reached and fenced: commits are no longer acknowledged, confirmed. */
        FENCED("fenced"),
        /** Its postgres refused the connection or is shutting down: it acknowledges nothing. */
        NOT_RUNNING("not running"),
        /** Its postgres runs in recovery: it accepts no writes. */
        NOT_PRIMARY("not a primary"),
        /** No answer within the budget (host down, partitioned): the lease and watchdog reasoning applies. */
        UNREACHABLE("unreachable"),
        /** It answered but refused (authentication, privileges, a fence it could not confirm). */
        REFUSED("refused");

        private final String words;

        Outcome(String words) {
            this.words = words;
        }

        /** "fenced", "not running", ...: as logs and the history key say it. */
        public String words() {
            return words;
        }

        /** True when the old primary cannot be acknowledging commits any more. */
        public boolean fenced() {
            return this == FENCED || this == NOT_RUNNING || this == NOT_PRIMARY;
        }
    }

    public static FenceResult of(Outcome outcome, String detail) {
        return new FenceResult(outcome, 0, detail);
    }
}
