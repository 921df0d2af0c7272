package dev.baton.agent.backup;

/**
 * Progress of a backup or restore, as pgBackRest reports it (bytes done of the total). Called on
 * the thread that runs the pgBackRest process; implementations must be quick and thread-safe.
 */
@FunctionalInterface
public interface BackupProgress {
    BackupProgress NONE = (done, total) -> { };

    /** @param totalBytes 0 while unknown */
    void update(long doneBytes, long totalBytes);
}
