package dev.baton.aws.routing;

import dev.baton.config.AwsConfig.Mode;
import java.util.ArrayList;
import java.util.List;

/**
 * What to change on one load balancer, from what it reports now and what this member should be.
 * Pure: no I/O, no clock, so every case is a table row in {@code RoutingPlanTest}.
 *
 * <p>The rules, by mode (docs/aws.md explains why):
 * <ul>
 *   <li>{@code health-check}: every member keeps itself registered, whatever its role; nobody is
 *       ever deregistered (a member shutting down stays registered too: its health check fails).</li>
 *   <li>{@code register}: the primary registers itself and deregisters every other target; any
 *       other member deregisters itself.</li>
 *   <li>{@code both}: the primary registers itself and, until the load balancer reports it
 *       healthy, deregisters every other target: as the only registered target it gets the
 *       traffic at once (an NLB fails open to it) and the old primary drains. Once healthy, it
 *       only deregisters other targets that are healthy too (nothing but the primary may pass
 *       {@code /primary}). A demoted member deregisters itself. A replica registers itself again
 *       as a stand-by target, never healthy, only while another target is healthy (so that it
 *       cannot receive fail-open traffic then), so that when it is promoted it needs no
 *       registration, which can take an NLB minutes. A replica that the load balancer reports
 *       healthy is deregistered: the health check is not on {@code /primary}.</li>
 * </ul>
 * A member that is leaving (agent shutdown) deregisters itself, except in {@code health-check}
 * mode. Before the first role is known nothing is changed, except in {@code health-check} mode.
 */
final class RoutingPlan {

    /** What this member should be. */
    enum Want { UNKNOWN, PRIMARY, NOT_PRIMARY, LEAVING }

    /**
     * The changes for one load balancer.
     *
     * @param registerSelf   register this member
     * @param standby        the registration is as a stand-by target (mode both, a replica)
     * @param deregister     targets to deregister (possibly this member's own)
     * @param selfRegistered this member is registered now (before the changes)
     * @param selfHealthy    the load balancer reports this member healthy now
     * @param replicaHealthy this member is not the primary, yet reported healthy: the health check
     *                       does not look at {@code /primary}
     */
    record Plan(boolean registerSelf, boolean standby, List<Target> deregister, boolean selfRegistered,
                boolean selfHealthy, boolean replicaHealthy) {
        Plan {
            deregister = List.copyOf(deregister);
        }

        boolean nothingToDo() {
            return !registerSelf && deregister.isEmpty();
        }
    }

    private RoutingPlan() {
    }

    /**
     * @param mode           aws.mode
     * @param want           what this member should be
     * @param self           this member's target id
     * @param targets        what the load balancer reports
     * @param demoted        this member stopped being the primary and has not been seen out of the
     *                       load balancer since
     * @param standbyAllowed mode both may register this replica as a stand-by target
     */
    static Plan plan(Mode mode, Want want, String self, List<Target> targets, boolean demoted, boolean standbyAllowed) {
        List<Target> mine = new ArrayList<>();
        List<Target> others = new ArrayList<>();
        for (Target t : targets) {
            if (t.registered()) {
                (t.id().equals(self) ? mine : others).add(t);
            }
        }
        boolean selfRegistered = !mine.isEmpty();
        boolean selfHealthy = mine.stream().anyMatch(Target::healthy);
        boolean otherHealthy = others.stream().anyMatch(Target::healthy);
        List<Target> none = List.of();
        boolean replicaHealthy = want == Want.NOT_PRIMARY && selfHealthy && !demoted;

        return switch (mode) {
            case HEALTH_CHECK -> new Plan(want != Want.LEAVING && !selfRegistered, false, none, selfRegistered,
                    selfHealthy, replicaHealthy);
            case REGISTER -> switch (want) {
                case PRIMARY -> new Plan(!selfRegistered, false, others, selfRegistered, selfHealthy, false);
                case NOT_PRIMARY, LEAVING -> new Plan(false, false, mine, selfRegistered, selfHealthy, false);
                case UNKNOWN -> new Plan(false, false, none, selfRegistered, selfHealthy, false);
            };
            case BOTH -> switch (want) {
                case PRIMARY -> new Plan(!selfRegistered, false,
                        selfHealthy ? others.stream().filter(Target::healthy).toList() : others,
                        selfRegistered, selfHealthy, false);
                case LEAVING -> new Plan(false, false, mine, selfRegistered, selfHealthy, false);
                case NOT_PRIMARY -> {
                    if (selfRegistered && (demoted || selfHealthy)) {
                        yield new Plan(false, false, mine, true, selfHealthy, replicaHealthy);
                    }
                    boolean standby = !selfRegistered && !demoted && standbyAllowed && otherHealthy;
                    yield new Plan(standby, standby, none, selfRegistered, selfHealthy, false);
                }
                case UNKNOWN -> new Plan(false, false, none, selfRegistered, selfHealthy, false);
            };
        };
    }
}
