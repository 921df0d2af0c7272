package dev.baton.agent.ha;

import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.util.Comparator;
import java.util.Optional;

/**
 * Which member a new replica copies its data directory from, as a pure function (Patroni's
 * {@code Cluster.get_clone_member}): a running member tagged {@code clonefrom} that publishes a
 * conn_url, other than this node and the leader, is preferred; without one, the leader.
 *
 * <p>Patroni picks among the clonefrom members at random. Baton picks the most advanced one (the
 * highest published WAL position, so the new replica has the least to catch up on), then the
 * alphabetically first name, so that the choice is the same on every run and in every test.
 */
public final class CloneSource {

    private static final Comparator<MemberStatus> BEST = Comparator.comparingLong(MemberStatus::xlogLocation).reversed()
            .thenComparing(MemberStatus::name);

    private CloneSource() {
    }

    /** The clonefrom member to clone from, or empty: then the leader is the source. */
    public static Optional<MemberStatus> clonefrom(String me, ClusterView view) {
        return view.members().values().stream()
                .filter(m -> m.clonefrom() && m.isRunning() && !m.name().equals(me) && !m.name().equals(view.leader()))
                .min(BEST);
    }
}
