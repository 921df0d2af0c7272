package dev.baton.agent.ha;

import dev.baton.leader.model.SyncState;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Quorum commit's part of "am I the healthiest node?", as a pure function (Patroni 4's
 * {@code Ha._is_healthiest_node} with {@code quorum_commit_mode}).
 *
 * <p>A commit was acknowledged once {@code k} standbys of synchronous_standby_names held it, and
 * the leader keeps {@code |voters| <= quorum + k} ({@link QuorumPlanner}). So a voter that compared
 * itself with {@code quorum} other voters and found none of them ahead has seen {@code quorum + 1}
 * voters, at least one of which holds every acknowledged commit, and it is not behind that one:
 * it holds them too. A voter ahead of it vetoes ({@link Candidacy}); unreachable voters do not count
 * as votes.
 *
 * <p>Only the key's leader (the former primary) or a voter may promote; with no voters only the
 * former primary may.
 */
public final class QuorumFailover {

    private QuorumFailover() {
    }

    /**
     * @param me     this member
     * @param myWal  my WAL position (received or replayed, the larger)
     * @param key    the {@code sync} key
     * @param peers  what the other members reported now (unreachable ones as last published)
     */
    public static Candidacy.Verdict check(String me, long myWal, SyncState key, List<Candidacy.Peer> peers) {
        if (key.leader() == null) {
            return new Candidacy.Verdict(false, "the sync key names no leader and no voter (quorum commit)");
        }
        if (me.equals(key.leader())) {
            return new Candidacy.Verdict(true, "I am the leader named in the sync key");
        }
        if (!key.standbys().contains(me)) {
            return new Candidacy.Verdict(false, "I am not a voter in the sync key (quorum commit: "
                    + (key.standbys().isEmpty() ? "no voters" : String.join(", ", key.standbys())) + ")");
        }
        Set<String> votes = new TreeSet<>();
        for (Candidacy.Peer p : peers) {
            if (p.reachable() && !p.name().equals(me) && key.standbys().contains(p.name()) && p.walPosition() <= myWal) {
                votes.add(p.name());
            }
        }
        if (votes.size() < key.quorum()) {
            return new Candidacy.Verdict(false, "quorum commit: I see " + votes.size() + " of the " + key.quorum()
                    + " other voters I need" + (votes.isEmpty() ? "" : " (" + String.join(", ", votes) + ")")
                    + " to prove I hold every acknowledged commit");
        }
        return new Candidacy.Verdict(true, "quorum commit: " + votes.size() + " other voter(s) are not ahead of me"
                + " (quorum " + key.quorum() + ")");
    }
}
