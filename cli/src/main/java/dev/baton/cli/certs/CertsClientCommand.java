package dev.baton.cli.certs;

import dev.baton.config.tls.CertificateAuthority;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code baton certs client}: a certificate that only authenticates a client (an operator's
 * {@code baton} or patronictl), never a server. No CommonName unless {@code --cn}: etcd with
 * client-certificate auth takes a CommonName as the etcd user (docs/security.md).
 */
@Command(name = "client", sortOptions = false, description = {
        "Create a client certificate, DIR/NAME.crt and DIR/NAME.key (mode 0600), signed by the CA in DIR, for an",
        "operator's baton or patronictl (ctl.certfile/keyfile). Client use only; no CommonName unless --cn.",
        "Refuses when the files exist, unless --force."})
public final class CertsClientCommand extends CertsSubcommand {
    static final int DEFAULT_DAYS = 365;

    @Option(names = "--name", required = true, paramLabel = "NAME",
            description = "Names the files NAME.crt and NAME.key (letters, digits, '_', '.', '-').")
    String name;

    @Option(names = "--cn", paramLabel = "CN", description = "A CommonName, only to have etcd (with "
            + "--client-cert-auth and auth enabled) take the certificate as that etcd user.")
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
        var validity = days(days);
        CertificateAuthority ca = loadCa(dir);
        Path crt = dir.resolve(name + ".crt");
        Path key = dir.resolve(name + ".key");
        refuseExisting(crt, key);
        CertificateAuthority.Issued issued = ca.issue(commonName, List.of(),
                EnumSet.of(CertificateAuthority.Usage.CLIENT), validity, now());
        List<Written> files = write(issued, crt, key);
        print(files, issued.certificate(), List.of(
                "For the operator: ctl.certfile/keyfile (and etcd3.cert/key for baton commands that read etcd), "
                        + "with " + dir.resolve("ca.crt") + " as ctl.cacert and etcd3.cacert."));
        return EXIT_OK;
    }
}
