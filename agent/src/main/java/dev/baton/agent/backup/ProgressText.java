package dev.baton.agent.backup;

import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The progress line of a backup or restore: {@code 1.2 GiB of 3.4 GiB, 45.0 MiB/s, 49 s left}.
 * Pure: the caller measures the rate ({@link Meter}). Shared by {@code baton backup create} and the
 * agent's restores ({@link #logged}).
 */
public final class ProgressText {
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

    private ProgressText() {
    }

    /**
     * @param done          bytes copied so far
     * @param total         bytes to copy, 0 while unknown
     * @param bytesPerSecond the measured rate, 0 (or less) while unknown
     */
    public static String line(long done, long total, double bytesPerSecond) {
        StringBuilder sb = new StringBuilder(size(done));
        if (total > 0) {
            sb.append(" of ").append(size(total));
        }
        if (bytesPerSecond > 0) {
            sb.append(", ").append(size(bytesPerSecond)).append("/s");
            if (total > 0) {
                long left = (long) Math.ceil(Math.max(0, total - done) / bytesPerSecond);
                sb.append(", ").append(duration(left)).append(" left");
            }
        }
        return sb.toString();
    }

    /** Bytes in binary units with one decimal ({@code 512 B}, {@code 1.5 KiB}, {@code 3.4 GiB}). */
    public static String size(double bytes) {
        if (bytes < 1024) {
            return Math.round(bytes) + " B";
        }
        int u = 0;
        double v = bytes;
        while (v >= 1024 && u < UNITS.length - 1) {
            v /= 1024;
            u++;
        }
        if (Math.round(v * 10) >= 10240 && u < UNITS.length - 1) { // 1023.96 KiB would show as 1024.0 KiB
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, UNITS[u]);
    }

    /** Whole seconds as {@code 49 s}, {@code 3 min 5 s}, {@code 2 h 10 min}. */
    public static String duration(long seconds) {
        if (seconds < 60) {
            return seconds + " s";
        }
        if (seconds < 3600) {
            return seconds / 60 + " min " + seconds % 60 + " s";
        }
        return seconds / 3600 + " h " + seconds % 3600 / 60 + " min";
    }

    /** Measures the rate between the first sample and the latest one (monotonic nanoseconds). */
    public static final class Meter {
        private long firstNanos = -1;
        private long firstDone;

        /** The line for a sample at {@code nanos}. */
        public String sample(long nanos, long done, long total) {
            if (firstNanos < 0 || done < firstDone) {
                firstNanos = nanos;
                firstDone = done;
            }
            double seconds = (nanos - firstNanos) / 1e9;
            double rate = seconds >= 1 && done > firstDone ? (done - firstDone) / seconds : 0;
            return line(done, total, rate);
        }
    }

    /**
     * A {@link BackupProgress} that hands each sample's line (with the rate and time left measured
     * on {@code ticker}, monotonic nanoseconds) to {@code show}, and to {@code log} at most once per
     * {@code logEveryNanos} (and for the first sample).
     */
    public static BackupProgress logged(LongSupplier ticker, long logEveryNanos, Consumer<String> show,
                                        Consumer<String> log) {
        Meter meter = new Meter();
        long[] lastLog = {0};
        boolean[] logged = {false};
        return (done, total) -> {
            long now = ticker.getAsLong();
            String line;
            synchronized (meter) {
                line = meter.sample(now, done, total);
            }
            show.accept(line);
            synchronized (lastLog) {
                if (!logged[0] || now - lastLog[0] >= logEveryNanos) {
                    logged[0] = true;
                    lastLog[0] = now;
                    log.accept(line);
                }
            }
        };
    }
}
