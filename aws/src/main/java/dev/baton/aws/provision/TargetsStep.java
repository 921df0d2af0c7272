package dev.baton.aws.provision;

import dev.baton.aws.provision.ClusterProvisioner.Plan;
import dev.baton.aws.provision.ProvisionReport.Status;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetDescription;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroup;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthStateEnum;

/**
 * Step 7: every member registered in the target group. From then on the agents keep the
 * registrations (aws.mode); provisioning only adds the members that are not there, never removes.
 */
record TargetsStep(ElasticLoadBalancingV2Client elb, Progress progress) {

    /** The instance ids registered in the group and not draining; none when there is no group yet. */
    Set<String> registered(TargetGroup tg) {
        Set<String> registered = new HashSet<>();
        if (tg != null) {
            String arn = tg.targetGroupArn();
            elb.describeTargetHealth(r -> r.targetGroupArn(arn)).targetHealthDescriptions().stream()
                    .filter(d -> d.targetHealth().state() != TargetHealthStateEnum.DRAINING)
                    .forEach(d -> registered.add(d.target().id()));
        }
        return registered;
    }

    /** What the plan reports: each member's registration, or that it is missing. */
    static void plan(ProvisionReport report, ClusterSpec spec, Inventory inv, Set<String> registered) {
        for (int i = 0; i < spec.instances(); i++) {
            String member = Names.member(spec.name(), i);
            Instance inst = inv.member(member);
            boolean on = inst != null && registered.contains(inst.instanceId());
            report.put("target", member, on ? inst.instanceId() : null, on ? Status.EXISTS : Status.MISSING,
                    "in target group " + Names.resource(spec.name()));
        }
    }

    /** Registers the members that are not registered yet. */
    void apply(Plan plan, String tg, List<Instance> members) {
        List<Instance> missing = members.stream().filter(i -> !plan.registered().contains(i.instanceId())).toList();
        if (!missing.isEmpty()) {
            elb.registerTargets(r -> r.targetGroupArn(tg).targets(missing.stream().map(i -> TargetDescription.builder()
                    .id(i.instanceId()).port(ClusterSpec.PG_PORT).build()).toList()));
        }
        for (Instance i : members) {
            String member = Inventory.tag(i.tags(), Names.MEMBER_TAG);
            plan.report().put("target", member, i.instanceId(), missing.contains(i) ? Status.CREATED : Status.EXISTS,
                    "in target group " + Names.resource(plan.spec().name()));
        }
        ClusterProvisioner.step(progress, 9, "targets: " + (missing.isEmpty() ? "all " + members.size() + " registered already"
                : "registered " + String.join(", ", missing.stream().map(Instance::instanceId).toList())));
    }
}
