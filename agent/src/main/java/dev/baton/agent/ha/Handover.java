package dev.baton.agent.ha;

import dev.baton.agent.postgres.Lsn;
import dev.baton.agent.postgres.PostgresController;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.StoreUnavailableException;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * The end of a planned handover (a switchover, or a graceful shutdown of the primary): once
 * postgres stopped cleanly, wait a bounded time until a replica that may take over has received
 * the shutdown checkpoint, so that releasing the leader key loses no acknowledged write. Runs on
 * the long-action slot or on the shutdown thread, never on the HA loop's thread.
 */
record Handover(String me, ClusterStore store, ClusterReader reader, PostgresController pg, PeerClient peers,
                LongSupplier ticker, Pause pause) {
    private static final Logger LOG = Logger.getLogger(Handover.class.getName());

    /** Waits between polling rounds (production: sleeps; tests: advance a fake clock). */
    interface Pause {
        void pause(Duration d) throws InterruptedException;

        Pause SLEEP = d -> Thread.sleep(d.toMillis());
    }

    /** The replicas that count: {@code candidate} only, or (null) any that may take over. */
    static List<MemberStatus> witnesses(ClusterView view, String me, String candidate) {
        List<MemberStatus> out = new ArrayList<>();
        for (MemberStatus m : view.members().values()) {
            if (!m.name().equals(me) && !m.nofailover() && view.mayPromote(m.name())
                    && (candidate == null || m.name().equals(candidate))) {
                out.add(m);
            }
        }
        return out;
    }

    /**
     * Waits (at most ttl/2, at least 2 s) until {@code candidate} (null: any replica that may take
     * over) has received this stopped primary's shutdown checkpoint. Returns whether one did.
     */
    boolean awaitShutdownCheckpoint(String candidate) {
        long checkpoint = pg.inspectDataDir().checkpointLsn();
        ClusterView view;
        try {
            view = reader.read(store.read());
        } catch (StoreUnavailableException e) {
            return false;
        }
        List<MemberStatus> replicas = witnesses(view, me, candidate);
        if (replicas.isEmpty() || checkpoint == 0) {
            return false;
        }
        long deadline = ticker.getAsLong() + TimeUnit.SECONDS.toNanos(Math.max(2, view.dynamic().ttl() / 2));
        while (ticker.getAsLong() - deadline < 0) {
            for (Candidacy.Peer p : peers.pollFresh(replicas, Duration.ofSeconds(1))) {
                if (p.reachable() && p.walPosition() > checkpoint) {
                    LOG.info(p.name() + " has received the shutdown checkpoint " + Lsn.format(checkpoint));
                    return true;
                }
            }
            try {
                pause.pause(Duration.ofMillis(20));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        LOG.warning("no replica confirmed the shutdown checkpoint " + Lsn.format(checkpoint)
                + " in time; releasing the leader key anyway");
        return false;
    }
}
