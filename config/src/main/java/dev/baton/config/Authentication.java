package dev.baton.config;

/**
 * {@code postgresql.authentication}: the superuser, the replication role and, optionally, the
 * role pg_rewind connects as ({@code rewind}, null when not configured: pg_rewind then connects as
 * the superuser, as in Patroni).
 */
public record Authentication(Credentials superuser, Credentials replication, Credentials rewind) {
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

    /** Without a rewind user. */
    public Authentication(Credentials superuser, Credentials replication) {
        this(superuser, replication, null);
    }

    /** The role pg_rewind connects to its source as: the rewind user, else the superuser. */
    public Credentials rewindUser() {
        return rewind != null ? rewind : superuser;
    }
}
