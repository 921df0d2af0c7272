package dev.baton.leader;

/** A key's raw value with the revisions needed for compare-and-set. */
public record VersionedValue(String value, long createRevision, long modRevision, long leaseId) {
}
