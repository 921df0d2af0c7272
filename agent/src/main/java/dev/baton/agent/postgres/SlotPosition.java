package dev.baton.agent.postgres;

/**
 * A replication slot with its position, as {@code pg_replication_slots} shows it: {@code lsn} is
 * the {@code confirmed_flush_lsn} of a logical slot and the {@code restart_lsn} of a physical one
 * (0 when the server has none yet); {@code active} whether a walsender or decoding session uses it.
 */
public record SlotPosition(ReplicationSlot slot, long lsn, boolean active) {

    public String name() {
        return slot.name();
    }

    public boolean isLogical() {
        return "logical".equals(slot.type());
    }
}
