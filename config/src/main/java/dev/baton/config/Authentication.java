package dev.baton.config;

/** {@code postgresql.authentication}: the superuser and the replication role. */
public record Authentication(Credentials superuser, Credentials replication) {
    public static final String DEFAULT_SUPERUSER = "postgres";
    public static final String DEFAULT_REPLICATION_USER = "replicator";

    public Authentication {
        if (superuser == null) {
            superuser = new Credentials(DEFAULT_SUPERUSER, null);
        }
        if (replication == null) {
            replication = new Credentials(DEFAULT_REPLICATION_USER, null);
        }
    }
}
