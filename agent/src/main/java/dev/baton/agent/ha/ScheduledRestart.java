package dev.baton.agent.ha;

import dev.baton.agent.ha.OperatorPolicy.RestartRequest;
import dev.baton.agent.postgres.PgStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A restart scheduled with {@code POST /restart {"schedule": ...}}, kept in the agent's memory as
 * Patroni keeps its {@code scheduled_restart} (an agent restart forgets it), and when it is due
 * ({@link #evaluate}, pure, Patroni's {@code evaluate_scheduled_restart}).
 *
 * @param schedule            when
 * @param request             the conditions, checked again when it is due
 * @param postmasterStartTime postgres's start time when it was scheduled (null if unknown): if
 *                            postgres restarted meanwhile, the scheduled restart is dropped
 */
public record ScheduledRestart(OffsetDateTime schedule, RestartRequest request, String postmasterStartTime) {
    /** Python's isoformat: seconds always, the offset as +00:00. */
    private static final java.time.format.DateTimeFormatter ISO =
            java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ssxxx");

    /** What the HA loop does with it this cycle. */
    public sealed interface Verdict {
        /** Not yet (or paused): keep it. */
        record Wait(Duration left) implements Verdict {
        }

        /** Drop it without restarting, and why (for the log). */
        record Drop(String why) implements Verdict {
        }

        /** Restart now. */
        record Run() implements Verdict {
        }
    }

    /**
     * Patroni's rule: due at its time (Patroni runs it within one loop_wait ahead, sleeping first;
     * Baton's loop wakes up at the time instead); more than 1.5 x loop_wait late it is stale and
     * dropped; paused, it waits. When due, the conditions are checked again: not met, it is dropped.
     * A postmaster started after it was scheduled means the restart already happened: dropped.
     */
    public static Verdict evaluate(ScheduledRestart r, Instant now, int loopWaitSeconds, boolean paused, PgStatus st) {
        if (r.postmasterStartTime() != null && st.startedAt() != null
                && !r.postmasterStartTime().equals(st.startedAt())) {
            return new Verdict.Drop("postgres restart has already happened at " + st.startedAt());
        }
        Duration left = Duration.between(now, r.schedule().toInstant());
        if (paused || !left.isNegative() && !left.isZero()) {
            return new Verdict.Wait(left.isNegative() ? Duration.ZERO : left);
        }
        if (left.negated().toMillis() > loopWaitSeconds * 1500L) {
            return new Verdict.Drop("it is stale: it was due at " + r.schedule());
        }
        Optional<String> mismatch = OperatorPolicy.restartMismatch(st, r.request());
        if (mismatch.isPresent()) {
            return new Verdict.Drop("restart conditions are not satisfied: " + mismatch.get());
        }
        if (!st.running()) {
            return new Verdict.Drop("postgres is not running");
        }
        return new Verdict.Run();
    }

    /**
     * Patroni's {@code scheduled_restart} object: {@code schedule} (ISO 8601), then the
     * conditions given; {@code postmaster_start_time} only in the member key (as in Patroni).
     */
    public Map<String, Object> describe(boolean withStartTime) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schedule", schedule.format(ISO));
        if (request.pendingOnly()) {
            m.put("restart_pending", true);
        }
        if (request.role() != OperatorPolicy.RoleFilter.ANY) {
            m.put("role", request.role().name().toLowerCase(Locale.ROOT));
        }
        if (request.postgresVersion() != null) {
            m.put("postgres_version", request.postgresVersion());
        }
        if (request.timeoutSeconds() != null) {
            m.put("timeout", request.timeoutSeconds());
        }
        if (withStartTime && postmasterStartTime != null) {
            m.put("postmaster_start_time", postmasterStartTime);
        }
        return m;
    }
}
