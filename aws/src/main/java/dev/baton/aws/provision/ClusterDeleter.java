package dev.baton.aws.provision;

import dev.baton.aws.provision.ProvisionReport.Status;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.waiters.Ec2Waiter;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.Listener;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ListenerNotFoundException;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ResourceInUseException;
import software.amazon.awssdk.services.elasticloadbalancingv2.waiters.ElasticLoadBalancingV2Waiter;

/**
 * Deletes everything tagged with a cluster, in the order AWS allows: the listener, the load
 * balancer (waiting until it is gone), the target group, the instances (waiting until they are
 * terminated), then the security group. Each delete tolerates "already gone", so a second run
 * after a failure finishes the job and a run on a deleted cluster does nothing.
 */
public final class ClusterDeleter {
    private final Ec2Client ec2;
    private final ElasticLoadBalancingV2Client elb;
    private final Pacing pacing;
    private final Progress progress;
    private final Sleeper sleeper;

    /** Waits between two attempts of a delete AWS refuses for now. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    public ClusterDeleter(Ec2Client ec2, ElasticLoadBalancingV2Client elb, Pacing pacing, Progress progress,
                          Sleeper sleeper) {
        this.ec2 = Objects.requireNonNull(ec2, "ec2");
        this.elb = Objects.requireNonNull(elb, "elb");
        this.pacing = Objects.requireNonNull(pacing, "pacing");
        this.progress = Objects.requireNonNull(progress, "progress");
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    }

    /** What {@link #delete} would remove: the inventory's resources, all EXISTS. */
    public static ProvisionReport plan(Inventory inv) {
        ProvisionReport report = new ProvisionReport(inv.cluster());
        for (Listener l : inv.listeners()) {
            report.put("listener", l.protocolAsString() + " " + l.port(), l.listenerArn(), Status.EXISTS, "");
        }
        if (inv.loadBalancer() != null) {
            report.put("load-balancer", inv.loadBalancer().loadBalancerName(), inv.loadBalancer().loadBalancerArn(),
                    Status.EXISTS, inv.loadBalancer().dnsName());
        }
        if (inv.targetGroup() != null) {
            report.put("target-group", inv.targetGroup().targetGroupName(), inv.targetGroup().targetGroupArn(),
                    Status.EXISTS, "");
        }
        for (Instance i : inv.live()) {
            String member = Inventory.tag(i.tags(), Names.MEMBER_TAG);
            report.put("instance", member == null ? i.instanceId() : member, i.instanceId(), Status.EXISTS,
                    ClusterProvisioner.describe(i));
        }
        for (SecurityGroup g : inv.securityGroups()) {
            report.put("security-group", g.groupName(), g.groupId(), Status.EXISTS, g.vpcId());
        }
        return report;
    }

    /**
     * Deletes what {@code inv} lists (read it just before). Returns the report, every entry
     * DELETED; throws {@link ProvisionException} (its report saying what remains) when a step fails.
     */
    public ProvisionReport delete(Inventory inv) {
        ProvisionReport report = plan(inv);
        String step = "listener";
        try {
            for (Listener l : inv.listeners()) {
                try {
                    elb.deleteListener(r -> r.listenerArn(l.listenerArn()));
                } catch (ListenerNotFoundException e) {
                    // gone already
                }
                deleted(report, "listener", l.protocolAsString() + " " + l.port());
            }
            if (inv.loadBalancer() != null) {
                step = "load balancer";
                String arn = inv.loadBalancer().loadBalancerArn();
                elb.deleteLoadBalancer(r -> r.loadBalancerArn(arn));
                try (ElasticLoadBalancingV2Waiter waiter = ElasticLoadBalancingV2Waiter.builder().client(elb)
                        .overrideConfiguration(pacing.waiter(pacing.loadBalancerTimeout())).build()) {
                    waiter.waitUntilLoadBalancersDeleted(r -> r.loadBalancerArns(arn));
                }
                deleted(report, "load-balancer", inv.loadBalancer().loadBalancerName());
            }
            if (inv.targetGroup() != null) {
                step = "target group";
                String arn = inv.targetGroup().targetGroupArn();
                retry("target group " + inv.targetGroup().targetGroupName() + " still in use", () -> {
                    try {
                        elb.deleteTargetGroup(r -> r.targetGroupArn(arn));
                        return true;
                    } catch (ResourceInUseException e) {
                        return false;
                    }
                });
                deleted(report, "target-group", inv.targetGroup().targetGroupName());
            }
            List<Instance> live = inv.live();
            if (!live.isEmpty()) {
                step = "instances";
                List<String> ids = live.stream().map(Instance::instanceId).toList();
                for (int i = 0; i < ids.size(); i += 1000) {
                    List<String> batch = ids.subList(i, Math.min(ids.size(), i + 1000));
                    ec2.terminateInstances(r -> r.instanceIds(batch));
                }
                progress.step("      waiting for " + ids.size() + " instance" + (ids.size() == 1 ? "" : "s")
                        + " to terminate...");
                try (Ec2Waiter waiter = Ec2Waiter.builder().client(ec2)
                        .overrideConfiguration(pacing.waiter(pacing.instanceTimeout())).build()) {
                    waiter.waitUntilInstanceTerminated(r -> r.instanceIds(ids));
                }
                for (Instance i : live) {
                    String member = Inventory.tag(i.tags(), Names.MEMBER_TAG);
                    deleted(report, "instance", member == null ? i.instanceId() : member);
                }
            }
            for (SecurityGroup g : inv.securityGroups()) {
                step = "security group";
                retry("security group " + g.groupId() + " still has dependents", () -> {
                    try {
                        ec2.deleteSecurityGroup(r -> r.groupId(g.groupId()));
                        return true;
                    } catch (Ec2Exception e) {
                        String code = e.awsErrorDetails().errorCode();
                        if (code.equals("InvalidGroup.NotFound")) {
                            return true;
                        }
                        if (code.equals("DependencyViolation")) {
                            return false;
                        }
                        throw e;
                    }
                });
                deleted(report, "security-group", g.groupName());
            }
        } catch (SdkException e) {
            throw new ProvisionException(step, ClusterProvisioner.describe(e), report, e);
        } catch (TimedOut e) {
            throw new ProvisionException(step, e.getMessage(), report, e);
        }
        return report;
    }

    private void deleted(ProvisionReport report, String kind, String name) {
        ProvisionReport.Resource r = report.get(kind, name);
        report.put(kind, name, r.id(), Status.DELETED, r.detail());
        progress.step("deleted " + kind + " " + name + " " + r.id());
    }

    private static final class TimedOut extends RuntimeException {
        TimedOut(String message) {
            super(message);
        }
    }

    private interface Attempt {
        boolean run();
    }

    /** Repeats {@code attempt} every poll interval until it returns true or the dependency timeout passes. */
    private void retry(String what, Attempt attempt) {
        long deadline = System.nanoTime() + pacing.dependencyTimeout().toNanos();
        while (!attempt.run()) {
            if (System.nanoTime() - deadline > 0) {
                throw new TimedOut(what + " after " + pacing.dependencyTimeout().toSeconds() + " s");
            }
            try {
                sleeper.sleep(pacing.pollInterval());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TimedOut(what + ": interrupted");
            }
        }
    }
}
