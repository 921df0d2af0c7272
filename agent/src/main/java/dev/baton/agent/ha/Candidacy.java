package dev.baton.agent.ha;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * "Am I the healthiest node?" for the leader race, as a pure function.
 *
 * <p>Rules, in order: a replica whose WAL position is more than {@code maximum_lag_on_failover}
 * behind the last position the leader published in {@code status} may not run; a peer that is
 * still a running primary vetoes; a peer further ahead vetoes; on a tie, the lower
 * failover_priority or, at equal priority, the alphabetically later name gives way (so two equal
 * replicas do not both wait).
 *
 * <p>Unreachable peers: a peer whose REST API did not answer in time counts with the WAL position
 * it last published in its member key, if that key is still alive (its agent still renews its
 * lease, so it is alive but not reachable from here). Only peers whose member key has expired
 * are ignored. This keeps a partition between replicas from promoting the one that is behind.
 */
public final class Candidacy {

    private Candidacy() {
    }

    /** What a peer reported (or, if unreachable, last published). */
    public record Peer(String name, boolean reachable, boolean inRecovery, long walPosition, int timeline,
                       boolean nofailover, int failoverPriority) {
    }

    public record Verdict(boolean healthiest, String reason) {
    }

    /**
     * In synchronous mode only a listed standby may take over: the others neither compete nor
     * veto (counted as nofailover), though a running primary among them still vetoes.
     */
    public static List<Peer> limitToSynchronous(List<Peer> reports, Predicate<String> mayPromote) {
        List<Peer> out = new ArrayList<>(reports.size());
        for (Peer p : reports) {
            out.add(mayPromote.test(p.name()) ? p : new Peer(p.name(), p.reachable(), p.inRecovery(), p.walPosition(),
                    p.timeline(), true, p.failoverPriority()));
        }
        return out;
    }

    public static Verdict evaluate(String me, long myWal, int myTimeline, int myPriority, long maxLag,
                                   long lastLeaderLsn, List<Peer> peers) {
        if (lastLeaderLsn > 0 && lastLeaderLsn - myWal > maxLag) {
            return new Verdict(false, "my WAL position is " + (lastLeaderLsn - myWal)
                    + " bytes behind the last leader position, more than maximum_lag_on_failover (" + maxLag + ")");
        }
        for (Peer p : peers) {
            if (p.name().equals(me)) {
                continue;
            }
            if (p.reachable() && !p.inRecovery()) {
                return new Verdict(false, p.name() + " is still running as a primary");
            }
        }
        for (Peer p : peers) {
            if (p.name().equals(me) || p.nofailover()) {
                continue;
            }
            if (p.timeline() > myTimeline && p.timeline() > 0 && myTimeline > 0) {
                return new Verdict(false, p.name() + " is on a newer timeline (" + p.timeline() + " > " + myTimeline + ")");
            }
            if (p.walPosition() > myWal) {
                return new Verdict(false, p.name() + " is ahead of me (" + p.walPosition() + " > " + myWal + ")"
                        + (p.reachable() ? "" : " by its last published position"));
            }
            if (p.walPosition() == myWal) {
                if (p.failoverPriority() > myPriority
                        || (p.failoverPriority() == myPriority && p.name().compareTo(me) < 0)) {
                    return new Verdict(false, p.name() + " is as far as I am and goes first");
                }
            }
        }
        return new Verdict(true, "I am the healthiest candidate");
    }
}
