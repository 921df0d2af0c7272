package dev.baton.cli.certs;

import dev.baton.cli.ExitException;
import dev.baton.config.tls.CertificateAuthority;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code baton certs node}: a node's certificate, for its REST API, its etcd client (and etcd
 * server), and PostgreSQL. Server and client use, because with {@code verify_client: required}
 * the agents present it when they call each other. No CommonName: with etcd's client-certificate
 * auth a CommonName would become the etcd user and override the configured username and password
 * (docs/security.md). With {@code --cn}, a CommonName: for {@code backup.server}, whose pgBackRest
 * TLS server accepts the members by it (docs/backup.md); keep such a certificate for that only.
 */
@Command(name = "node", sortOptions = false, description = {
        "Create a node's certificate, DIR/NAME.crt and DIR/NAME.key (mode 0600), signed by the CA in DIR: server and",
        "client use (REST API, calls to its peers, etcd, PostgreSQL), its hosts as subject alternative names,",
        "no CommonName. Refuses when the files exist, unless --force."})
public final class CertsNodeCommand extends CertsSubcommand {
    static final int DEFAULT_DAYS = 365;

    @Option(names = "--name", required = true, paramLabel = "NODE",
            description = "Names the files NODE.crt and NODE.key (letters, digits, '_', '.', '-'), e.g. the member name.")
    String name;

    @Option(names = "--host", required = true, paramLabel = "HOST",
            description = "An IP address or DNS name others use to reach the node (restapi.connect_address, "
                    + "postgresql.connect_address, etcd's client URL); repeat for each.")
    List<String> hosts;

    @Option(names = "--cn", paramLabel = "CN", description = "A CommonName, for backup.server: pgBackRest's TLS "
            + "server accepts a member by it, so give every member's backup certificate the same one (e.g. "
            + "baton-backup). Not for etcd, which would take it as the etcd user.")
    String commonName;

    @Option(names = "--days", paramLabel = "N", defaultValue = "" + DEFAULT_DAYS,
            description = "Days the certificate is valid (default: ${DEFAULT-VALUE}).")
    int days;

    @Override
    protected int execute() {
        Path dir = dir();
        check("--name", CertNames.fileName(name));
        if (commonName != null) {
            check("--cn", CertNames.subjectName(commonName));
        }
        List<String> problems = CertNames.hostProblems(hosts);
        if (!problems.isEmpty()) {
            throw ExitException.badInput(String.join("\nbaton: ", problems));
        }
        var validity = days(days);
        CertificateAuthority ca = loadCa(dir);
        Path crt = dir.resolve(name + ".crt");
        Path key = dir.resolve(name + ".key");
        refuseExisting(crt, key);
        CertificateAuthority.Issued issued = commonName == null ? ca.issueNode(CertNames.distinct(hosts), validity, now())
                : ca.issue(commonName, CertNames.distinct(hosts), java.util.EnumSet.allOf(
                        CertificateAuthority.Usage.class), validity, now());
        List<Written> files = write(issued, crt, key);
        print(files, issued.certificate(), List.of(
                "On node " + name + " (owned by the user the agent runs as): restapi.certfile/keyfile, "
                        + "ctl.certfile/keyfile, etcd3.cert/key,",
                "postgresql.parameters.ssl_cert_file/ssl_key_file and the replication user's sslcert/sslkey; "
                        + "with " + dir.resolve("ca.crt") + " as the CA."));
        return EXIT_OK;
    }
}
