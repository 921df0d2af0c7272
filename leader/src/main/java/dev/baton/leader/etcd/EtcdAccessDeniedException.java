package dev.baton.leader.etcd;

import dev.baton.leader.StoreUnavailableException;

/**
 * etcd refused this client's identity: a wrong user or password, or a user without permission on
 * the cluster's keys. Still a {@link StoreUnavailableException} for the HA loop (a member that can
 * no longer write its keys must act as one that cannot reach etcd), but retrying does not help:
 * the agent refuses to start on it ({@link EtcdClusterStore#verifyAccess()}). The message names the
 * configuration key to fix, never the password.
 */
public final class EtcdAccessDeniedException extends StoreUnavailableException {
    public EtcdAccessDeniedException(String message, Throwable cause) {
        super(message, cause);
    }
}
