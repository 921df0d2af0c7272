package dev.baton.cli.certs;

import dev.baton.config.tls.CertificateAuthority;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code baton certs ca}: the cluster's CA, {@code DIR/ca.crt} and {@code DIR/ca.key}. */
@Command(name = "ca", sortOptions = false, description = {
        "Create the cluster's CA: DIR/ca.crt (every node and client trusts it) and DIR/ca.key (mode 0600; keep it",
        "off the nodes, it signs certificates). Refuses when they exist, unless --force."})
public final class CertsCaCommand extends CertsSubcommand {
    static final int DEFAULT_DAYS = 3650;

    @Option(names = "--name", paramLabel = "NAME", defaultValue = "Baton cluster CA",
            description = "The CA's CommonName (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--days", paramLabel = "N", defaultValue = "" + DEFAULT_DAYS,
            description = "Days the CA is valid (default: ${DEFAULT-VALUE}).")
    int days;

    @Override
    protected int execute() {
        Path dir = dir();
        check("--name", CertNames.subjectName(name));
        var validity = days(days);
        Path crt = dir.resolve("ca.crt");
        Path key = dir.resolve("ca.key");
        refuseExisting(crt, key);
        CertificateAuthority ca = CertificateAuthority.create(name, validity, now());
        List<Written> files = write(ca.self(), crt, key);
        print(files, ca.certificate(), List.of(
                "Give " + crt + " to every node and client: restapi.cafile, ctl.cacert, etcd3.cacert, etcd's "
                        + "--trusted-ca-file, postgresql sslrootcert and ssl_ca_file.",
                "Keep " + key + " where certificates are made, not on the nodes. Next: baton certs node --dir " + dir
                        + " --name NODE --host ADDRESS"));
        return EXIT_OK;
    }
}
