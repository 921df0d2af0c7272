package dev.baton.cli.certs;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code baton certs}: a cluster CA and its node and client certificates, so TLS needs no openssl. */
@Command(name = "certs", description = {
        "Create a cluster CA and the certificates of its nodes and clients (ECDSA P-256), for the REST API, etcd",
        "and PostgreSQL. Keys are written with mode 0600; nothing is overwritten without --force. See "
                + "docs/security.md.%n"},
        subcommands = {CertsCaCommand.class, CertsNodeCommand.class, CertsClientCommand.class},
        footer = {"%nExample:",
                "  baton certs ca --dir tls",
                "  baton certs node --dir tls --name node1 --host 10.0.0.11 --host node1.example.com",
                "  baton certs client --dir tls --name operator"})
public final class CertsCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
