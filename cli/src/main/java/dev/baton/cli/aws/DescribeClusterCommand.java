package dev.baton.cli.aws;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.aws.provision.ClusterStatus;
import dev.baton.cli.BaseCommand;
import dev.baton.cli.ExitException;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.core.exception.SdkException;

@Command(name = "describe", description = {"Show a cluster on EC2: its load balancer, and each instance with its",
        "availability zone, address, state, the role its agent reports (GET :8008/patroni, 'unreachable'",
        "when it does not answer) and its health in the load balancer's target group."})
public final class DescribeClusterCommand extends BaseCommand {

    @Mixin
    AwsOptions aws;

    @Parameters(paramLabel = "NAME", description = "The cluster.")
    String name;

    @Override
    protected int execute() {
        format(aws.format, "text", "json");
        AwsOptions.requireClusterName(name);
        try (AwsOptions.Session s = aws.open()) {
            ClusterStatus st = ClusterStatus.read(s.ec2(), s.elbv2(), aws.environment().roles(), name);
            if (st.empty()) {
                throw ExitException.failed("no cluster " + name + " in " + s.region() + " (nothing is tagged "
                        + "baton:cluster=" + name + ")");
            }
            if (aws.json()) {
                out().println(json(st, s.region()));
            } else {
                out().print(text(st, s.region()));
            }
            return EXIT_OK;
        } catch (SdkException e) {
            throw AwsOptions.failure("aws describe " + name, e);
        }
    }

    static String text(ClusterStatus st, String region) {
        StringBuilder sb = new StringBuilder();
        sb.append("Cluster ").append(st.cluster()).append(" (").append(region).append(")\n");
        sb.append("  Load balancer:  ").append(st.loadBalancerDns() == null ? "none"
                : st.loadBalancerDns() + ":5432 (" + st.loadBalancerState() + ")").append('\n');
        sb.append("  Listener:       ").append(st.listener() == null ? "none" : st.listener()).append('\n');
        sb.append("  Target group:   ").append(st.targetGroupArn() == null ? "none" : st.targetGroupArn()).append('\n');
        sb.append("  Security group: ").append(st.securityGroupId() == null ? "none" : st.securityGroupId()).append('\n');
        List<String[]> rows = st.members().stream().map(m -> new String[] {m.member(), m.instanceId(),
                m.availabilityZone(), m.privateIp(), m.state(), m.role(), m.targetHealth()
                        + (m.targetHealthReason().isEmpty() ? "" : " (" + m.targetHealthReason() + ")")}).toList();
        sb.append(Output.table(" Members ", new String[] {"Member", "Instance", "Zone", "Private IP", "State", "Role",
                "Target health"}, rows));
        if (st.members().isEmpty()) {
            sb.append("(no instances)\n");
        }
        for (String c : st.conflicts()) {
            sb.append("Note: ").append(c).append(": not part of the cluster\n");
        }
        return sb.toString();
    }

    static ObjectNode json(ClusterStatus st, String region) {
        ObjectNode n = Output.JSON.createObjectNode();
        n.put("cluster", st.cluster());
        n.put("region", region);
        n.put("security_group", st.securityGroupId());
        n.put("target_group_arn", st.targetGroupArn());
        n.put("load_balancer_arn", st.loadBalancerArn());
        n.put("load_balancer_dns", st.loadBalancerDns());
        n.put("load_balancer_state", st.loadBalancerState());
        n.put("listener", st.listener());
        n.set("members", Output.SNAKE_CASE.valueToTree(st.members()));
        ArrayNode c = n.putArray("conflicts");
        st.conflicts().forEach(c::add);
        return n;
    }
}
