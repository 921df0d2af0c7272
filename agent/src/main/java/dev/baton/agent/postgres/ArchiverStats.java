package dev.baton.agent.postgres;

import java.time.Instant;

/**
 * {@code pg_stat_archiver} of the local server: WAL archiving's health for the metrics and alerts.
 * Times are null when nothing was archived (or failed) yet.
 */
public record ArchiverStats(long archivedCount, String lastArchivedWal, Instant lastArchivedTime, long failedCount,
        String lastFailedWal, Instant lastFailedTime) {
}
