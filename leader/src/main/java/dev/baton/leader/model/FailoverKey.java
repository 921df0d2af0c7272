package dev.baton.leader.model;

import java.time.OffsetDateTime;
import java.util.Optional;

/**
 * The {@code failover} key as read: a {@link FailoverRequest} to carry out, or a value that is
 * none ({@link Invalid}, with the reason). An invalid key is never executed: the leader removes
 * it (compare-and-delete) and says why, other members ignore it.
 *
 * <p>The forms Patroni accepts ({@code Failover.from_node}): a JSON object
 * {@code {"leader": ..., "member": ..., "scheduled_at": ...}}, and, when the value is not JSON, the
 * legacy plain text {@code leader:candidate} ({@code leader}, {@code :candidate}). A JSON object
 * naming neither a leader nor a member (Patroni's cleanup writes {@code {}}) is no request.
 * {@code scheduled_at} is read as Patroni's {@code dateutil} reads ISO times: {@code T}, {@code t}
 * or a space between date and time, optional seconds and fraction, and an offset {@code Z},
 * {@code UTC}, {@code GMT}, {@code +HH}, {@code +HHMM} or {@code +HH:MM}. A time without an offset is
 * invalid: Patroni cannot compare it with the current time either and cleans such a key up.
 */
public sealed interface FailoverKey permits FailoverRequest, FailoverKey.Invalid {

    /** The key's revision, for a compare-and-delete. */
    long modRevision();

    /** A failover key that is no request: {@code reason} says what is wrong with {@code value}. */
    record Invalid(String value, String reason, long modRevision) implements FailoverKey {
    }

    /**
     * Reads the key's value (null or blank: no key). Never throws.
     *
     * @return empty when there is no request (no key, or one that names no one), else the request or why it is invalid
     */
    static Optional<FailoverKey> parse(String value, long modRevision) {
        return FailoverKeyParser.parse(value, modRevision);
    }

    /**
     * A {@code scheduled_at} value as Patroni reads it (see the class comment).
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static OffsetDateTime scheduledAt(String text) {
        return FailoverKeyParser.time(text);
    }
}
