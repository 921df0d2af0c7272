package dev.baton.leader;

/** One {@code members/<name>} key: raw JSON as published by that member. */
public record MemberKey(String name, String json, long leaseId, long modRevision) {
}
