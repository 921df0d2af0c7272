package dev.baton.leader;

import java.util.Objects;

/**
 * One key as the store returns it, before any interpretation: the full key, its value as text
 * and etcd's bookkeeping numbers. It is the common input of {@link SnapshotDecoder}, whether the
 * key came from jetcd or from etcd's JSON gateway.
 *
 * @param key            the full key, namespace and scope included
 * @param value          the value ("" for an empty value)
 * @param createRevision the revision that created the key
 * @param modRevision    the revision of its last change
 * @param lease          the lease it is bound to, 0 for none
 */
public record RawKeyValue(String key, String value, long createRevision, long modRevision, long lease) {

    public RawKeyValue {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }
}
