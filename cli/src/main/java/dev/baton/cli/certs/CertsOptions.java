package dev.baton.cli.certs;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options every {@code baton certs} command shares: where the files go, the output format, --force. */
final class CertsOptions {
    @Option(names = "--dir", required = true, paramLabel = "DIR",
            description = "Directory of the CA (ca.crt, ca.key) and the certificates; made (mode 0700) if missing.")
    Path dir;

    @Option(names = {"-f", "--format"}, defaultValue = "text", paramLabel = "FORMAT",
            description = "text or json: the files written and the certificate's subject, SANs and expiry "
                    + "(default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--force", description = "Replace files that exist (without it, nothing is overwritten).")
    boolean force;

    boolean json() {
        return "json".equals(format);
    }
}
