package dev.baton.agent.backup;

/** Placeholder: the pgBackRest implementation of {@link BackupRepository} (issue 15, being built). */
final class PgBackRest {
    private PgBackRest() {
    }
}
