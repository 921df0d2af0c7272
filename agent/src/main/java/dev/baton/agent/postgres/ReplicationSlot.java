package dev.baton.agent.postgres;

/**
 * A replication slot as {@code pg_replication_slots} shows it: {@code type} is "physical" or
 * "logical"; {@code database} and {@code plugin} are null for a physical slot.
 */
public record ReplicationSlot(String name, String type, String database, String plugin) {

    public static ReplicationSlot physical(String name) {
        return new ReplicationSlot(name, "physical", null, null);
    }

    public static ReplicationSlot logical(String name, String database, String plugin) {
        return new ReplicationSlot(name, "logical", database, plugin);
    }

    public boolean isPhysical() {
        return "physical".equals(type);
    }
}
