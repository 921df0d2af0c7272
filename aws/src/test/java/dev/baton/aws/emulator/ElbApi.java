package dev.baton.aws.emulator;

import dev.baton.aws.emulator.World.ClassicLb;
import dev.baton.aws.emulator.World.ClassicMember;
import dev.baton.aws.emulator.World.Instance;
import java.util.ArrayList;
import java.util.List;

/**
 * The classic ELB operations Baton uses (API version 2012-06-01, query protocol). Called with
 * the world's lock held.
 */
final class ElbApi {
    static final String VERSION = "2012-06-01";
    static final String NAMESPACE = "http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/";

    private final World w;

    ElbApi(World w) {
        this.w = w;
    }

    void handle(String action, Query q, Xml x) {
        switch (action) {
            case "RegisterInstancesWithLoadBalancer" -> register(q, x);
            case "DeregisterInstancesFromLoadBalancer" -> deregister(q, x);
            case "DescribeInstanceHealth" -> describeInstanceHealth(q, x);
            case "DescribeLoadBalancers" -> describeLoadBalancers(q, x);
            default -> throw ApiError.bad("InvalidAction", "Could not find operation " + action + " for version " + VERSION);
        }
    }

    ClassicLb create(String name, int healthCheckPort, String healthCheckPath) {
        if (w.classicLbs.containsKey(name)) {
            throw new IllegalArgumentException("classic load balancer " + name + " exists");
        }
        ClassicLb lb = new ClassicLb(name, name + "-" + w.hex16().substring(8) + "." + w.region + ".elb.amazonaws.com",
                healthCheckPort, healthCheckPath);
        w.classicLbs.put(name, lb);
        return lb;
    }

    ClassicLb require(String name) {
        ClassicLb lb = w.classicLbs.get(name);
        if (lb == null) {
            throw ApiError.bad("LoadBalancerNotFound", "There is no ACTIVE Load Balancer named '" + name + "'");
        }
        return lb;
    }

    private List<String> instanceIds(Query q) {
        List<String> ids = new ArrayList<>();
        for (Query i : q.structs("Instances.member")) {
            ids.add(i.require("InstanceId"));
        }
        return ids;
    }

    private void requireInstance(String id) {
        Instance i = w.instances.get(id);
        if (i == null || i.state.equals("terminated")) {
            throw ApiError.bad("InvalidInstance", "EC2 instance " + id + " is not valid");
        }
    }

    private void register(Query q, Xml x) {
        ClassicLb lb = require(q.require("LoadBalancerName"));
        List<String> ids = instanceIds(q);
        if (ids.isEmpty()) {
            throw ApiError.bad("ValidationError", "At least one instance must be specified");
        }
        for (String id : ids) {
            requireInstance(id);
        }
        for (String id : ids) {
            lb.members.putIfAbsent(id, new ClassicMember(id));
        }
        writeInstances(x, lb);
    }

    private void deregister(Query q, Xml x) {
        ClassicLb lb = require(q.require("LoadBalancerName"));
        List<String> ids = instanceIds(q);
        for (String id : ids) {
            if (!w.instances.containsKey(id)) {
                throw ApiError.bad("InvalidInstance", "EC2 instance " + id + " is not valid");
            }
        }
        lb.members.keySet().removeAll(ids);
        writeInstances(x, lb);
    }

    private static void writeInstances(Xml x, ClassicLb lb) {
        x.open("Instances");
        for (String id : lb.members.keySet()) {
            x.open("member").leaf("InstanceId", id).end();
        }
        x.end();
    }

    private void describeInstanceHealth(Query q, Xml x) {
        ClassicLb lb = require(q.require("LoadBalancerName"));
        List<String> ids = instanceIds(q);
        List<ClassicMember> out = new ArrayList<>();
        if (ids.isEmpty()) {
            out.addAll(lb.members.values());
        } else {
            for (String id : ids) {
                ClassicMember m = lb.members.get(id);
                if (m == null) {
                    throw ApiError.bad("InvalidInstance", "Could not find EC2 instance " + id
                            + " registered with load balancer " + lb.name);
                }
                out.add(m);
            }
        }
        x.open("InstanceStates");
        for (ClassicMember m : out) {
            x.open("member").leaf("InstanceId", m.id).leaf("State", m.state).leaf("ReasonCode", m.reasonCode)
                    .leaf("Description", m.description).end();
        }
        x.end();
    }

    private void describeLoadBalancers(Query q, Xml x) {
        List<String> names = q.list("LoadBalancerNames.member");
        List<ClassicLb> out = new ArrayList<>();
        if (names.isEmpty()) {
            out.addAll(w.classicLbs.values());
        } else {
            for (String n : names) {
                out.add(require(n));
            }
        }
        x.open("LoadBalancerDescriptions");
        for (ClassicLb lb : out) {
            x.open("member").leaf("LoadBalancerName", lb.name).leaf("DNSName", lb.dnsName)
                    .open("ListenerDescriptions").open("member").open("Listener").leaf("Protocol", "TCP")
                    .leaf("LoadBalancerPort", 5432).leaf("InstanceProtocol", "TCP").leaf("InstancePort", 5432).end()
                    .empty("PolicyNames").end().end()
                    .open("Instances");
            for (String id : lb.members.keySet()) {
                x.open("member").leaf("InstanceId", id).end();
            }
            x.end().open("HealthCheck").leaf("Target", "HTTP:" + lb.healthCheckPort + lb.healthCheckPath)
                    .leaf("Interval", lb.interval).leaf("Timeout", lb.timeout)
                    .leaf("UnhealthyThreshold", lb.unhealthyThreshold).leaf("HealthyThreshold", lb.healthyThreshold)
                    .end().leaf("CreatedTime", lb.createdTime).leaf("Scheme", "internal").end();
        }
        x.end();
    }
}
