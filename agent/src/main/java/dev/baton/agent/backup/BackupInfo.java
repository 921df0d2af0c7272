package dev.baton.agent.backup;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One backup in the repository, as {@code pgbackrest info --output=json} describes it and as
 * {@code GET /backups} and {@code baton backup list} show it.
 *
 * @param label     pgBackRest's label, e.g. {@code 20261203-150000F}
 * @param start     when the backup started (UTC)
 * @param stop      when it stopped (UTC)
 * @param walStart  the first WAL segment it needs, e.g. {@code 000000010000000000000003}
 * @param walStop   the last
 * @param sizeBytes the database size it copied ({@code info.size})
 * @param repoSizeBytes what it takes in the repository ({@code info.repository.size}; 0 when unknown)
 * @param lsnStart  the WAL position it started at ({@code X/Y}), or null
 * @param lsnStop   the WAL position it stopped at, or null
 */
public record BackupInfo(String label, BackupType type, Instant start, Instant stop, String walStart, String walStop,
        long sizeBytes, long repoSizeBytes, String lsnStart, String lsnStop) {

    /** The JSON object of the REST API and {@code baton backup list --format json} (ISO 8601 UTC times). */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("label", label);
        m.put("type", type.key());
        m.put("start", start == null ? null : start.toString());
        m.put("stop", stop == null ? null : stop.toString());
        m.put("wal_start", walStart);
        m.put("wal_stop", walStop);
        m.put("size_bytes", sizeBytes);
        m.put("repo_size_bytes", repoSizeBytes);
        m.put("lsn_start", lsnStart);
        m.put("lsn_stop", lsnStop);
        return m;
    }
}
