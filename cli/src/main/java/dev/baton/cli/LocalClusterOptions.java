package dev.baton.cli;

import dev.baton.cli.local.LocalCluster;
import picocli.CommandLine.Option;

/** The throwaway local cluster of {@code baton demo} and {@code baton drill}: its size, its ttl, keeping its files. */
final class LocalClusterOptions {
    static final int DEFAULT_NODES = 3;
    static final int DEFAULT_TTL = 10;

    @Option(names = "--nodes", paramLabel = "N", description = "Members of the local cluster (default: 3).")
    Integer nodes;

    @Option(names = "--ttl", paramLabel = "SECONDS",
            description = "Leader TTL of the local cluster (default: 10; loop_wait 1, retry_timeout min(3, (ttl-1)/2)).")
    Integer ttl;

    @Option(names = "--keep", description = "Keep the local cluster's directory (data, configs, logs) afterwards.")
    boolean keep;

    /** Whether any of them was given (they make no sense against an existing cluster). */
    boolean given() {
        return nodes != null || ttl != null || keep;
    }

    /** The number of members, at least {@code min} (2 where a failover needs a second member); else exit 2. */
    int nodes(int min) {
        int n = nodes == null ? DEFAULT_NODES : nodes;
        if (n < min || n > 9) {
            throw ExitException.badInput("--nodes: must be between " + min + " and 9"
                    + (min >= 2 ? " (a failover needs a second member)" : "") + ", got " + n);
        }
        return n;
    }

    /** The ttl in seconds, 3 to 120; else exit 2. */
    int ttl() {
        int t = ttl == null ? DEFAULT_TTL : ttl;
        if (t < 3 || t > 120) {
            throw ExitException.badInput("--ttl: must be between 3 and 120 seconds, got " + t);
        }
        return t;
    }

    /** The cluster's options: {@link #nodes(int)} members, the timings of {@link LocalCluster.Options#withTtl}. */
    LocalCluster.Options options(int minNodes) {
        return LocalCluster.Options.defaults().withNodes(nodes(minNodes)).withTtl(ttl());
    }
}
