package dev.baton.leader;

/** The {@code leader} key: the holder's member name and the lease it is bound to. */
public record LeaderKey(String name, long leaseId, long createRevision, long modRevision) {
}
