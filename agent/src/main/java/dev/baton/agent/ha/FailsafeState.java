package dev.baton.agent.ha;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * What this agent knows of failsafe mode, shared by the HA loop and the REST API: the
 * {@code failsafe} key as this node last read it ({@code GET /failsafe}), the last
 * {@code POST /failsafe} it accepted from a primary (a replica must not race for the leader key
 * for {@code ttl} after it), and whether it runs as a primary kept by failsafe mode (the metric
 * and {@code failsafe_mode_is_active} of {@code /patroni}).
 */
public final class FailsafeState {

    /**
     * An accepted {@code POST /failsafe}.
     *
     * @param leader     the primary's name, as it sent it
     * @param apiUrl     its api_url (may be null)
     * @param connUrl    its conn_url (may be null)
     * @param slots      the slot positions it sent (Patroni's {@code slots}: name to LSN)
     * @param receivedAt monotonic nanoseconds when it arrived
     */
    public record Ack(String leader, String apiUrl, String connUrl, Map<String, Long> slots, long receivedAt) {
        public Ack {
            slots = slots == null ? Map.of() : Map.copyOf(slots);
        }

        /** Whether it still stops this node from racing at {@code now}: less than {@code ttl} old. */
        public boolean activeAt(long now, int ttlSeconds) {
            return now - (receivedAt + TimeUnit.SECONDS.toNanos(ttlSeconds)) < 0;
        }
    }

    private volatile SortedMap<String, String> topology;
    private volatile boolean mode;
    private volatile Ack ack;
    private volatile boolean activeAsLeader;

    /** The cycle read the store: failsafe_mode and the key (null: absent or unreadable). */
    public void observed(boolean failsafeMode, Map<String, String> key) {
        this.mode = failsafeMode;
        this.topology = key == null ? null : new TreeMap<>(key);
        this.activeAsLeader = false;
    }

    /** failsafe_mode as last read. */
    public boolean mode() {
        return mode;
    }

    /** The key as last read (or as this leader last wrote it); null if absent or unreadable. */
    public SortedMap<String, String> topology() {
        SortedMap<String, String> t = topology;
        return t == null ? null : new TreeMap<>(t);
    }

    /** A replica accepted a primary's {@code POST /failsafe}. */
    public void accepted(Ack a) {
        this.ack = a;
    }

    /** The last accepted {@code POST /failsafe}, or null. */
    public Ack ack() {
        return ack;
    }

    /** This primary keeps running through an outage by failsafe mode ({@code active}) or not. */
    public void activeAsLeader(boolean active) {
        this.activeAsLeader = active;
    }

    /** Patroni's {@code failsafe_mode_is_active}: a primary that runs on because every member accepted. */
    public boolean activeAsLeader() {
        return activeAsLeader;
    }
}
