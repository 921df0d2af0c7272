package dev.baton.agent.ha;

import dev.baton.agent.postgres.DataDirInfo;
import dev.baton.agent.postgres.PostgresController;

/**
 * The data directory as pg_controldata last showed it. Reading it costs a process, so while
 * postgres runs on an initialized directory the last reading stands; anything that may change
 * the directory (a start, stop, clone, rewind, fence) invalidates it.
 */
final class DataDirCache {
    private final PostgresController pg;
    private volatile DataDirInfo cached;

    DataDirCache(PostgresController pg) {
        this.pg = pg;
    }

    DataDirInfo get(boolean postmasterAlive) {
        DataDirInfo c = cached;
        if (postmasterAlive && c != null && c.hasData()) {
            return c;
        }
        c = pg.inspectDataDir();
        cached = c;
        return c;
    }

    /** The last reading, or null. */
    DataDirInfo last() {
        return cached;
    }

    void invalidate() {
        cached = null;
    }
}
