package dev.baton.leader.model;

import java.time.OffsetDateTime;

/**
 * A valid {@code failover} key: a requested switchover ({@code leader} set) or failover, to
 * {@code candidate} (null: the best member), at {@code scheduledAt} (null: now). At least one of
 * {@code leader} and {@code candidate} is set when read from etcd ({@link FailoverKey#parse}).
 *
 * @param modRevision the key's revision, for a compare-and-delete
 */
public record FailoverRequest(String leader, String candidate, OffsetDateTime scheduledAt, long modRevision)
        implements FailoverKey {
}
