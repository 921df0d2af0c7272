package dev.baton.agent.postgres;

/**
 * What is on disk in the data directory, read without a running server (pg_controldata).
 *
 * @param kind              absent, empty, a PostgreSQL data directory, or something else
 * @param systemId          "Database system identifier", or null
 * @param clusterState      "Database cluster state" (e.g. "in production", "shut down",
 *                          "shut down in recovery", "in archive recovery"), or null
 * @param checkpointTimeline "Latest checkpoint's TimeLineID", or 0
 * @param checkpointLsn     "Latest checkpoint location" as a byte offset, or 0
 * @param standbySignal     whether standby.signal exists
 * @param problem           why kind is INVALID
 */
public record DataDirInfo(Kind kind, String systemId, String clusterState, int checkpointTimeline,
                          long checkpointLsn, boolean standbySignal, String problem) {

    public enum Kind { ABSENT, EMPTY, INITIALIZED, INVALID }

    public static DataDirInfo of(Kind kind) {
        return new DataDirInfo(kind, null, null, 0, 0, false, null);
    }

    public static DataDirInfo invalid(String problem) {
        return new DataDirInfo(Kind.INVALID, null, null, 0, 0, false, problem);
    }

    public boolean hasData() {
        return kind == Kind.INITIALIZED;
    }

    public boolean isEmpty() {
        return kind == Kind.ABSENT || kind == Kind.EMPTY;
    }

    /** True if the last shutdown left this directory as a primary (not a standby). */
    public boolean wasPrimary() {
        return hasData() && !standbySignal;
    }

    /** True if the server was not shut down cleanly (crash recovery will run at start). */
    public boolean uncleanShutdown() {
        return clusterState != null && !clusterState.startsWith("shut down");
    }
}
