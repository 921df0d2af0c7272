package dev.baton.cli.aws;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.aws.provision.ClusterInventory;
import dev.baton.cli.BaseCommand;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import software.amazon.awssdk.core.exception.SdkException;

@Command(name = "list", description = {"List the Baton clusters of a region: everything tagged baton:cluster."})
public final class ListClustersCommand extends BaseCommand {

    @Mixin
    AwsOptions aws;

    @Override
    protected int execute() {
        format(aws.format, "text", "json");
        try (AwsOptions.Session s = aws.open()) {
            List<ClusterInventory.Summary> clusters = new ClusterInventory(s.ec2(), s.elbv2()).list();
            if (aws.json()) {
                ArrayNode a = Output.JSON.createArrayNode();
                for (ClusterInventory.Summary c : clusters) {
                    ObjectNode n = a.addObject();
                    n.put("cluster", c.cluster());
                    n.put("instances", c.instances());
                    n.put("running", c.running());
                    n.put("load_balancer", c.loadBalancerDns());
                    n.put("load_balancer_state", c.loadBalancerState());
                }
                out().println(a);
            } else if (clusters.isEmpty()) {
                out().println("No Baton clusters in " + s.region() + ".");
            } else {
                out().print(Output.table(" Clusters in " + s.region() + " ",
                        new String[] {"Cluster", "Instances", "Running", "Load balancer", "State"},
                        clusters.stream().map(c -> new String[] {c.cluster(), Integer.toString(c.instances()),
                                Integer.toString(c.running()), c.loadBalancerDns() == null ? "-" : c.loadBalancerDns()
                                        + ":5432", c.loadBalancerState() == null ? "-" : c.loadBalancerState()}).toList()));
            }
            return EXIT_OK;
        } catch (SdkException e) {
            throw AwsOptions.failure("aws list", e);
        }
    }
}
