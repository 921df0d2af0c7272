package dev.baton.cli;

import picocli.CommandLine.Option;

/** patronictl's {@code -W} (refresh every 2 s) and {@code -w/--watch SECONDS}, until interrupted. */
final class WatchOptions {
    @Option(names = "-W", description = "Refresh every 2 seconds, until interrupted.")
    boolean every2s;

    @Option(names = {"-w", "--watch"}, paramLabel = "SECONDS", description = "Refresh every SECONDS, until interrupted.")
    Double seconds;

    /** The pause between two refreshes in milliseconds, or 0 to print once; exit 2 for a value out of range. */
    long millis() {
        if (seconds != null) {
            if (seconds.isNaN() || seconds <= 0 || seconds > 86400) {
                throw ExitException.badInput("--watch: must be more than 0 and at most 86400 seconds, got " + seconds);
            }
            return Math.max(1, Math.round(seconds * 1000));
        }
        return every2s ? 2000 : 0;
    }
}
