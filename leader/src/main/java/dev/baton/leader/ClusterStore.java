package dev.baton.leader;

import java.time.Duration;
import java.util.Optional;

/**
 * The cluster state store: everything an agent shares with its peers, kept under Patroni's v3
 * key layout {@code <namespace><scope>/...}.
 *
 * <p>Contract (the same as Patroni's AbstractDCS):
 * <ul>
 *   <li>Losing a race is a normal outcome and returns {@code false}.</li>
 *   <li>An unreachable or failing store throws {@link StoreUnavailableException}; callers must
 *       never mistake it for a lost race.</li>
 *   <li>Every call is bounded by the store's operation timeout; none blocks forever.</li>
 *   <li>The agent owns exactly one lease. The leader key and the member key are bound to it.
 *       The lease is renewed only by {@link #renewLease()}, which the HA loop calls once per
 *       cycle: there is no background keep-alive, so a hung loop loses its leadership.</li>
 * </ul>
 */
public interface ClusterStore extends AutoCloseable {

    /** The member name this store acts for (the value it writes into the leader key). */
    String memberName();

    /** Reads the whole cluster with one prefix read into an immutable snapshot. */
    ClusterSnapshot read();

    /**
     * Renews this agent's lease once (granting a new one if it does not exist or has expired).
     * The returned {@link LeaseRenewal#sentAtNanos()} is taken from the store's monotonic ticker
     * <em>before</em> the request was sent, so {@code sentAtNanos + ttl} is a safe lower bound of
     * when the lease can expire on the server.
     */
    LeaseRenewal renewLease();

    /**
     * Follows the cluster's timing (its {@code config} key): every call from now on is bounded by
     * {@code requestTimeout} ({@code retry_timeout}), and when {@code ttlSeconds} differs from
     * the TTL of the current lease, the lease is re-granted with it (Patroni's {@code set_ttl}): a
     * new lease, then this member's keys bound to the old one (the leader key if held, the
     * member key) are moved onto it, each by a transaction that moves it only if unchanged, and
     * the old lease is revoked. The leader key is bound to a live lease throughout.
     *
     * @return the new lease as a renewal ({@code sentAtNanos} taken before the grant), or empty
     *         when no lease was re-granted (none yet, or already of that TTL)
     */
    Optional<LeaseRenewal> retime(long ttlSeconds, Duration requestTimeout);

    /** The id of the lease this agent currently owns, or 0 if none was granted yet. */
    long leaseId();

    /**
     * Tries to take the leader key: a transaction that creates it only if its create revision is
     * 0, bound to this agent's lease (granted first if needed). {@code false} when another member
     * holds it.
     */
    boolean tryAcquireLeader();

    /**
     * Confirms that the leader key still holds this member's name on this agent's current lease
     * (a transaction comparing value and lease). Renew the lease first with {@link #renewLease()}.
     * {@code false} when the key is gone or belongs to someone else.
     */
    boolean confirmLeader();

    /**
     * Binds the leader key to this agent's current lease when it holds this member's name and is
     * still at {@code expectedModRevision} (a key left by this member's previous run, whose old
     * lease has not expired). {@code false} if it changed in between.
     */
    boolean rebindLeader(long expectedModRevision);

    /**
     * Writes this member's name, on this agent's lease, into the leader key when it is still at
     * {@code expectedModRevision}: the caller read it bound to this agent's current lease but
     * holding another value (someone overwrote the value and kept the lease), or without any lease
     * (an overwrite took the lease away) while the caller held the lock. No other agent can hold
     * such a key; the key is made to say who does. {@code false} if it changed in between.
     */
    boolean repairLeader(long expectedModRevision);

    /** Deletes the leader key if (and only if) it is ours. {@code false} if it was not ours. */
    boolean releaseLeader();

    /** Writes {@code members/<memberName>} bound to this agent's lease. */
    void publishMember(String json);

    /** Deletes this member's key (used by clean shutdown when asked to). */
    void deleteMember();

    /** Creates {@code initialize} with the value only if the key does not exist. */
    boolean createInitialize(String value);

    /** Replaces {@code initialize} only if it currently holds {@code expected}. */
    boolean replaceInitialize(String expected, String value);

    /** Deletes {@code initialize} only if it currently holds {@code expected} (a failed bootstrap). */
    boolean deleteInitialize(String expected);

    /**
     * Compare-and-set of the {@code config} key on its mod revision; {@code expectedModRevision}
     * 0 means "create only if absent".
     */
    boolean casConfig(String json, long expectedModRevision);

    /** Compare-and-set of the {@code failover} key (0 = create only if absent). */
    boolean casFailover(String json, long expectedModRevision);

    /** Deletes the {@code failover} key if its mod revision still matches (0 = unconditionally). */
    boolean deleteFailover(long expectedModRevision);

    /** Compare-and-set of the {@code sync} key (0 = create only if absent). */
    boolean casSync(String json, long expectedModRevision);

    /** Deletes the {@code sync} key if its mod revision still matches (synchronous mode turned off). */
    boolean deleteSync(long expectedModRevision);

    /**
     * Compare-and-set of Baton's {@code backup} key (the scheduled backup points claimed; 0 =
     * create only if absent): the leader claims a schedule point before it runs the backup, so a
     * point runs once even across a failover. {@code false} when someone else changed it first.
     */
    boolean casBackup(String json, long expectedModRevision);

    /** Puts {@code history} (a JSON list). */
    void putHistory(String json);

    /** Puts {@code status} (JSON with optime and slots), written by the leader each cycle. */
    void putStatus(String json);

    /**
     * Puts {@code failsafe} (JSON {@code {member: api_url}}), written by the leader in failsafe_mode
     * when the member list changed (Patroni's plain put).
     */
    void putFailsafe(String json);

    /** Deletes every key of this cluster (the operator's {@code remove}). */
    void deleteCluster();

    /**
     * Waits until a change under the cluster prefix is seen by the watch, or the timeout passes.
     * Returns {@code true} if woken by a change. Never throws on store outages (it just waits).
     */
    boolean awaitChange(Duration timeout);

    /** Wakes a thread blocked in {@link #awaitChange(Duration)} (e.g. for a REST request). */
    void wakeUp();

    /**
     * Sends, once when the agent starts, the kind of request only a leader race needs (a
     * transaction), with nothing to change: the race then runs on a warm client instead of
     * paying for the method's first use while the cluster has no primary. Never throws.
     */
    default void warmUp() {
    }

    /** Reads one key's raw value below the cluster prefix (for tools); empty if absent. */
    Optional<String> get(String relativeKey);

    /**
     * Re-reads the client's key material (rotated certificates) before the next call; the lease and
     * keys are unaffected. A store with no key material does nothing.
     */
    default void reconnect() {
    }

    /** Releases the client; does not revoke the lease (keys expire with it). */
    @Override
    void close();
}
