package dev.baton.agent.backup;

import dev.baton.leader.MemberKey;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import java.util.Optional;

/**
 * Backups from a replica, decided from one cluster view: pure (no I/O, no clock). Where the
 * leader's pgBackRest TLS server is ({@link #leaderServer}), and who takes the scheduled backups
 * ({@link #taker}): the leader unless its {@code backup.from_replica} is on and a replica can take
 * them, then the first such replica by name (stable, so one member claims the points; the claim's
 * compare-and-set settles a race between two views).
 */
public final class StandbyBackups {
    private StandbyBackups() {
    }

    /**
     * The leader's published pgBackRest facts; empty without a leader or when it publishes none.
     *
     * @throws IllegalArgumentException the leader's key has them, but unusable (the message says which)
     */
    public static Optional<PgBackRestPeer> leaderServer(ClusterView view) {
        if (view == null || !view.hasLeader()) {
            return Optional.empty();
        }
        MemberKey key = view.snapshot() == null ? null : view.snapshot().members().get(view.leader());
        return key == null ? Optional.empty() : Optional.ofNullable(PgBackRestPeer.parse(key.json()));
    }

    /**
     * Who takes the scheduled backups now: the leader's name, or a replica's when the leader
     * publishes {@code from_replica} and a replica that is running, not the leader, and publishes
     * a pgBackRest server of its own (so it has {@code backup.server}) exists; null without a leader.
     */
    public static String taker(ClusterView view) {
        if (view == null || !view.hasLeader()) {
            return null;
        }
        PgBackRestPeer leader;
        try {
            leader = leaderServer(view).orElse(null);
        } catch (IllegalArgumentException e) {
            leader = null;
        }
        if (leader == null || !leader.fromReplica()) {
            return view.leader();
        }
        return view.members().values().stream()
                .filter(m -> !m.name().equals(view.leader()))
                .filter(m -> m.isRunning() && m.role() == Role.REPLICA && !m.tag("nobackup"))
                .filter(m -> publishesServer(view, m))
                .map(MemberStatus::name)
                .sorted()
                .findFirst()
                .orElse(view.leader());
    }

    private static boolean publishesServer(ClusterView view, MemberStatus m) {
        MemberKey key = view.snapshot().members().get(m.name());
        try {
            return key != null && PgBackRestPeer.parse(key.json()) != null;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
