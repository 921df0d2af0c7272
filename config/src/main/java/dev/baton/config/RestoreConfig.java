package dev.baton.config;

import java.time.Instant;

/**
 * {@code bootstrap.restore}: how a new cluster is made from a backup repository
 * ({@code bootstrap.method: restore}). Exactly one target: {@code targetTime}, {@code targetLsn},
 * or neither (recover to the end of the archive, {@code target: latest}).
 *
 * @param fromScope  whose backups (the pgBackRest stanza); the node's own scope when not given
 * @param targetTime recover to this instant (inclusive), or null
 * @param targetLsn  recover to this WAL position ({@code X/Y}, inclusive), or null
 */
public record RestoreConfig(String fromScope, Instant targetTime, String targetLsn) {

    /** {@code target: latest}. */
    public boolean latest() {
        return targetTime == null && targetLsn == null;
    }

    /** The target in words, for logs and the API: "latest", "time 2026-…Z" or "lsn 0/3000060". */
    public String describeTarget() {
        if (targetTime != null) {
            return "time " + targetTime;
        }
        return targetLsn != null ? "lsn " + targetLsn : "latest";
    }
}
