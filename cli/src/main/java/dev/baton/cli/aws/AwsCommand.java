package dev.baton.cli.aws;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code baton aws}: clusters on EC2 behind a network load balancer. */
@Command(name = "aws", description = {"Provision and inspect Baton clusters on AWS EC2 behind a network load balancer.",
        "Credentials come from the AWS SDK's standard chain; see docs/aws.md.%n"},
        subcommands = {CreateClusterCommand.class, ListClustersCommand.class, DescribeClusterCommand.class,
                DeleteClusterCommand.class})
public final class AwsCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
