package dev.baton.agent.ha;

/**
 * How long the local primary has been down while this node held the lock, and how long the
 * cluster has been without a leader, carried from cycle to cycle as an immutable value (monotonic
 * nanoseconds; -1: not the case).
 */
record CycleClock(long primaryDownSince, long leaderlessSince) {

    static CycleClock start() {
        return new CycleClock(-1, -1);
    }

    /** The clocks after a cycle at {@code now} that saw these facts. */
    CycleClock next(boolean lockIsMine, boolean postmasterAlive, boolean clusterHasLeader, long now) {
        long down = primaryDownSince;
        if (lockIsMine && !postmasterAlive) {
            down = down < 0 ? now : down;
        } else {
            down = -1;
        }
        long leaderless = clusterHasLeader ? -1 : (leaderlessSince < 0 ? now : leaderlessSince);
        return new CycleClock(down, leaderless);
    }

    double primaryDownSeconds(long now) {
        return primaryDownSince < 0 ? -1 : (now - primaryDownSince) / 1e9;
    }

    double leaderlessSeconds(long now) {
        return leaderlessSince < 0 ? -1 : (now - leaderlessSince) / 1e9;
    }
}
