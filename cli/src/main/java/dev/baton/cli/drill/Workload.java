package dev.baton.cli.drill;

import dev.baton.cli.local.Writer;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The drill's writers, with one id sequence: {@code writers} threads through the load balancer,
 * or, for a fault that needs it ({@link Fault#writesToEveryMember()}), {@code writers} threads
 * straight to each member's postgres (a standby refuses their INSERTs until it is promoted; an old
 * primary that still acknowledges them shows as split brain). Only one of the two runs at a time.
 */
final class Workload {
    private final DrillTarget target;
    private final int threads;
    private final AtomicLong ids = new AtomicLong(1);
    private final Writer lb;
    private final Map<String, Writer> direct = new LinkedHashMap<>();
    private final Map<Writer, Integer> pulled = new IdentityHashMap<>();
    private boolean straight;

    Workload(DrillTarget target, int threads) {
        this.target = target;
        this.threads = threads;
        this.lb = new Writer(target.lbJdbcUrl(), target.user(), target.password(), threads, ids, false);
        pulled.put(lb, 0);
    }

    /** Creates the table and starts the writers through the load balancer. */
    void start() throws InterruptedException {
        lb.start();
    }

    /**
     * Makes the writers of {@code straightToMembers} run (straight to every member, or through
     * the load balancer) and stops the others; returns a line for the progress, or null if
     * nothing changed.
     */
    String use(boolean straightToMembers) throws InterruptedException {
        if (straightToMembers == straight) {
            return null;
        }
        straight = straightToMembers;
        if (straightToMembers) {
            lb.stop();
            for (String m : target.members()) {
                Writer w = direct.computeIfAbsent(m, k -> {
                    Writer d = new Writer(target.memberJdbcUrl(k), target.user(), target.password(), threads, ids, true);
                    pulled.put(d, 0);
                    return d;
                });
                w.startOnExistingTable();
            }
            return "writers: " + threads + " thread(s) straight to each member's postgres (" + String.join(", ",
                    target.members()) + "), not through the load balancer";
        }
        for (Writer w : direct.values()) {
            w.stop();
        }
        lb.start();
        return "writers: " + threads + " thread(s) through the load balancer again";
    }

    /** Where the running writers write, for messages. */
    String path() {
        return straight ? "from the writers connected straight to it" : "through the load balancer";
    }

    /** The acknowledgements since the previous call, by acknowledgement time. */
    List<Writer.Ack> fresh() {
        List<Writer.Ack> out = new ArrayList<>();
        for (Writer w : all()) {
            List<Writer.Ack> f = w.acksSince(pulled.get(w));
            pulled.merge(w, f.size(), Integer::sum);
            out.addAll(f);
        }
        out.sort(Comparator.comparingLong(Writer.Ack::nanos));
        return out;
    }

    /** Every acknowledged write so far. */
    List<Writer.Ack> acks() {
        List<Writer.Ack> out = new ArrayList<>();
        for (Writer w : all()) {
            out.addAll(w.acks());
        }
        return out;
    }

    int acknowledged() {
        int n = 0;
        for (Writer w : all()) {
            n += w.acks().size();
        }
        return n;
    }

    /** The last error of a running writer, to explain a stalled workload. */
    String lastError() {
        if (!straight) {
            return lb.lastError();
        }
        List<String> e = new ArrayList<>();
        direct.forEach((m, w) -> {
            if (w.lastError() != null) {
                e.add(m + ": " + w.lastError());
            }
        });
        return e.isEmpty() ? null : String.join("; ", e);
    }

    /** The ids of {@code acknowledged} that are not in {@code baton_writes} at {@code jdbcUrl}. */
    Set<Long> missingOn(String jdbcUrl, Collection<Writer.Ack> acknowledged) throws SQLException {
        return lb.missingOn(jdbcUrl, target.user(), target.password(), acknowledged);
    }

    void stop() {
        lb.stop();
        for (Writer w : direct.values()) {
            w.stop();
        }
    }

    private List<Writer> all() {
        List<Writer> w = new ArrayList<>();
        w.add(lb);
        w.addAll(direct.values());
        return w;
    }
}
