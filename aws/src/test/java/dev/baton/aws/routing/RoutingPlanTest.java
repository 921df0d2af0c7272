package dev.baton.aws.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.aws.routing.RoutingPlan.Plan;
import dev.baton.aws.routing.RoutingPlan.Want;
import dev.baton.aws.routing.Target.State;
import dev.baton.config.AwsConfig.Mode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The routing rules, one row per case. */
class RoutingPlanTest {
    private static final String ME = "i-me";

    private static Target t(String id, State state) {
        return new Target(id, 5432, state, state == State.UNUSED ? "Target.NotRegistered" : "");
    }

    /** "+" register self (standby: "+s"), "-ids" deregister, "" nothing. */
    private static String plan(Mode mode, Want want, boolean demoted, Target... targets) {
        Plan p = RoutingPlan.plan(mode, want, ME, List.of(targets), demoted, true);
        List<String> parts = new ArrayList<>();
        if (p.registerSelf()) {
            parts.add(p.standby() ? "+s" : "+");
        }
        if (!p.deregister().isEmpty()) {
            parts.add("-" + String.join(",", p.deregister().stream().map(Target::id).toList()));
        }
        return String.join(" ", parts);
    }

    @Test
    void healthCheckModeKeepsEveryoneRegisteredAndDeregistersNobody() {
        Target other = t("i-b", State.HEALTHY);
        assertEquals("+", plan(Mode.HEALTH_CHECK, Want.UNKNOWN, false, other));
        assertEquals("+", plan(Mode.HEALTH_CHECK, Want.PRIMARY, false, other));
        assertEquals("+", plan(Mode.HEALTH_CHECK, Want.NOT_PRIMARY, true, other));
        assertEquals("", plan(Mode.HEALTH_CHECK, Want.NOT_PRIMARY, true, t(ME, State.HEALTHY), other));
        assertEquals("", plan(Mode.HEALTH_CHECK, Want.PRIMARY, false, t(ME, State.UNHEALTHY), other));
        assertEquals("", plan(Mode.HEALTH_CHECK, Want.LEAVING, false), "stays registered on shutdown");
        assertEquals("+", plan(Mode.HEALTH_CHECK, Want.PRIMARY, false, t(ME, State.DRAINING)), "draining is on its way out");
    }

    @Test
    void registerModeKeepsOnlyThePrimary() {
        Target b = t("i-b", State.HEALTHY);
        Target c = t("i-c", State.UNHEALTHY);
        assertEquals("+ -i-b,i-c", plan(Mode.REGISTER, Want.PRIMARY, false, b, c));
        assertEquals("-i-b,i-c", plan(Mode.REGISTER, Want.PRIMARY, false, t(ME, State.HEALTHY), b, c));
        assertEquals("", plan(Mode.REGISTER, Want.PRIMARY, false, t(ME, State.INITIAL), t("i-b", State.DRAINING)));
        assertEquals("-i-me", plan(Mode.REGISTER, Want.NOT_PRIMARY, false, t(ME, State.UNHEALTHY), b));
        assertEquals("", plan(Mode.REGISTER, Want.NOT_PRIMARY, false, b), "a replica never registers");
        assertEquals("-i-me", plan(Mode.REGISTER, Want.LEAVING, false, t(ME, State.HEALTHY)));
        assertEquals("", plan(Mode.REGISTER, Want.UNKNOWN, false, t(ME, State.HEALTHY), b), "nothing before a role is known");
    }

    @Test
    void bothModeMakesANewPrimaryTheOnlyTargetUntilItIsHealthy() {
        Target oldPrimary = t("i-old", State.HEALTHY);
        Target standby = t("i-c", State.UNHEALTHY);
        // Promoted, already registered as a stand-by: no registration delay, and alone it gets the traffic.
        assertEquals("-i-old,i-c", plan(Mode.BOTH, Want.PRIMARY, false, t(ME, State.UNHEALTHY), oldPrimary, standby));
        assertEquals("+ -i-old,i-c", plan(Mode.BOTH, Want.PRIMARY, false, oldPrimary, standby));
        // Healthy: stand-bys may stay, another healthy target may not.
        assertEquals("", plan(Mode.BOTH, Want.PRIMARY, false, t(ME, State.HEALTHY), standby));
        assertEquals("-i-old", plan(Mode.BOTH, Want.PRIMARY, false, t(ME, State.HEALTHY), oldPrimary, standby));
        // Not healthy (yet, or again): stand-bys that registered meanwhile go again.
        assertEquals("-i-c", plan(Mode.BOTH, Want.PRIMARY, false, t(ME, State.INITIAL), standby));
    }

    @Test
    void bothModeDemotedMembersLeaveAndReplicasStandBy() {
        Target primary = t("i-p", State.HEALTHY);
        assertEquals("-i-me", plan(Mode.BOTH, Want.NOT_PRIMARY, true, t(ME, State.HEALTHY), primary));
        assertEquals("-i-me", plan(Mode.BOTH, Want.NOT_PRIMARY, true, t(ME, State.UNHEALTHY)));
        assertEquals("", plan(Mode.BOTH, Want.NOT_PRIMARY, true, primary), "demoted and out: no stand-by yet");
        // A replica registers as a stand-by only while someone else is healthy (no fail-open to it).
        assertEquals("+s", plan(Mode.BOTH, Want.NOT_PRIMARY, false, primary));
        assertEquals("", plan(Mode.BOTH, Want.NOT_PRIMARY, false, t("i-p", State.INITIAL)));
        assertEquals("", plan(Mode.BOTH, Want.NOT_PRIMARY, false, t("i-p", State.DRAINING)));
        assertEquals("", plan(Mode.BOTH, Want.NOT_PRIMARY, false), "nobody there");
        // A registered stand-by stays, even while nobody is healthy: it may be the next primary.
        assertEquals("", plan(Mode.BOTH, Want.NOT_PRIMARY, false, t(ME, State.UNHEALTHY), t("i-p", State.UNHEALTHY)));
        assertEquals("-i-me", plan(Mode.BOTH, Want.LEAVING, false, t(ME, State.UNHEALTHY), primary));
        assertEquals("", plan(Mode.BOTH, Want.UNKNOWN, false, primary));
    }

    @Test
    void bothModeAHealthyReplicaIsTakenOutAndFlagged() {
        Plan p = RoutingPlan.plan(Mode.BOTH, Want.NOT_PRIMARY, ME, List.of(t(ME, State.HEALTHY), t("i-p", State.HEALTHY)),
                false, true);
        assertEquals(List.of(ME), p.deregister().stream().map(Target::id).toList());
        assertTrue(p.replicaHealthy(), "the health check does not test /primary");
        Plan noStandby = RoutingPlan.plan(Mode.BOTH, Want.NOT_PRIMARY, ME, List.of(t("i-p", State.HEALTHY)), false, false);
        assertTrue(noStandby.nothingToDo(), "stand-by registration switched off");
    }

    @Test
    void targetStates() {
        assertFalse(t("x", State.DRAINING).registered());
        assertFalse(new Target("x", 1, State.UNHEALTHY_DRAINING, "").registered());
        assertFalse(new Target("x", 1, State.UNUSED, "Target.NotRegistered").registered());
        assertTrue(new Target("x", 1, State.UNUSED, "Target.NotInUse").registered(), "registered, LB not in this AZ");
        assertEquals(State.UNHEALTHY_DRAINING, State.ofElbv2("unhealthy.draining"));
        assertEquals(State.HEALTHY, State.ofClassic("InService"));
        assertEquals(State.UNHEALTHY, State.ofClassic("OutOfService"));
        assertEquals(State.UNKNOWN, State.ofClassic(null));
        assertEquals("pg", TargetGroupTargets.shortName(
                "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/pg/73e2d6bc24d8a067"));
    }
}
