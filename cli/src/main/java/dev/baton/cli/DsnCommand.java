package dev.baton.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "dsn", description = {"Print a libpq connection string of a member: host=HOST port=PORT.",
        "The leader's by default, as patronictl dsn; from the member's key in etcd (its conn_url)."})
public final class DsnCommand extends BaseCommand {

    @Mixin
    ClusterOptions cluster;

    @Option(names = {"-r", "--role"}, paramLabel = "ROLE",
            description = "A member with this role: leader (default), primary, replica or any.")
    String role;

    @Option(names = {"-m", "--member"}, paramLabel = "NAME", description = "This member.")
    String member;

    @Override
    protected int execute() {
        if (role != null && member != null) {
            throw ExitException.badInput("--role and --member are mutually exclusive options");
        }
        ClusterOptions.Read read = cluster.read(err());
        out().println(MemberChoice.dsn(MemberChoice.choose(read.view(), read.scope(), role, member)));
        return EXIT_OK;
    }
}
