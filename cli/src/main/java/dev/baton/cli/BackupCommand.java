package dev.baton.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code baton backup}: base backups of the cluster in its pgBackRest repository (docs/backup.md). */
@Command(name = "backup", description = {
        "Take a backup of the cluster now, or list the backups in its repository (backup.repository, pgBackRest).",
        "The leader's agent takes the backup (a streaming replica's with --from-replica). See docs/backup.md.%n"},
        subcommands = {BackupCreateCommand.class, BackupListCommand.class},
        footer = {"%nExample:",
                "  baton backup create -c /etc/baton/baton.yml --type full",
                "  baton backup list -c /etc/baton/baton.yml --format json"})
public final class BackupCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
