package dev.baton.cli.drill;

import java.util.ArrayList;
import java.util.List;

/** Synthetic traces: writes acknowledged by a server at a steady rate, times in seconds since the fault. */
final class Traces {
    static final long S = 1_000_000_000L;
    /** The fault's nanoTime in the traces: not 0, to catch arithmetic that assumes it is. */
    static final long FAULT = 5_000 * S;

    private final List<DrillAnalysis.Ack> acks = new ArrayList<>();
    private long nextId = 1;

    static long at(double seconds) {
        return FAULT + Math.round(seconds * 1e9);
    }

    /** One write every {@code everyMs} from {@code from} to {@code to} (exclusive), each taking 3 ms. */
    Traces writes(String server, double from, double to, int everyMs) {
        for (double t = from; t < to - 1e-9; t += everyMs / 1000.0) {
            ack(server, t - 0.003, t);
        }
        return this;
    }

    Traces ack(String server, double sent, double acked) {
        acks.add(new DrillAnalysis.Ack(nextId++, at(sent), at(acked), server));
        return this;
    }

    List<DrillAnalysis.Ack> acks() {
        return List.copyOf(acks);
    }
}
