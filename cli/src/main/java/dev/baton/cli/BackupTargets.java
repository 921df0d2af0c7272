package dev.baton.cli;

import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import java.util.ArrayList;
import java.util.List;

/** Which member a backup command asks: the leader, a streaming replica, or (to list) anyone who answers. */
final class BackupTargets {
    static final String NO_REPOSITORY = "no backup repository configured (backup.repository)";

    private BackupTargets() {
    }

    /** The leader's member key; exit 1 when the cluster has none. */
    static MemberStatus leader(ClusterView view, String scope) {
        return view.leaderMember().orElseThrow(() -> ExitException.failed("cluster " + scope
                + " has no leader: a backup is taken by the leader's agent (see baton list)"));
    }

    /** A streaming replica (not the leader), the first by name; exit 1 when there is none. */
    static MemberStatus replica(ClusterView view, String scope) {
        for (MemberStatus m : view.members().values()) {
            if (!m.name().equals(view.leader()) && m.state() == MemberState.STREAMING
                    || !m.name().equals(view.leader()) && m.role() == Role.REPLICA && m.isRunning()) {
                return m;
            }
        }
        throw ExitException.failed("cluster " + scope + " has no streaming replica to take the backup "
                + "(--from-replica); see baton list");
    }

    /** The leader first, then the other members by name (to list the repository, any member will do). */
    static List<MemberStatus> leaderFirst(ClusterView view) {
        List<MemberStatus> order = new ArrayList<>();
        view.leaderMember().ifPresent(order::add);
        for (MemberStatus m : view.members().values()) {
            if (!order.contains(m)) {
                order.add(m);
            }
        }
        return order;
    }
}
