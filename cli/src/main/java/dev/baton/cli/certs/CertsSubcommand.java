package dev.baton.cli.certs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.cli.BaseCommand;
import dev.baton.cli.ExitException;
import dev.baton.config.tls.CertificateAuthority;
import dev.baton.config.tls.TlsException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Mixin;

/**
 * What the {@code baton certs} commands share: checking {@code --dir}, refusing to overwrite,
 * loading the CA, writing a certificate and its key, and describing what was written.
 */
abstract class CertsSubcommand extends BaseCommand {
    static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    CertsOptions options;

    /** Where "now" comes from; tests in this package may replace it. */
    Clock clock = Clock.systemUTC();

    /** One file written: its path and mode. */
    record Written(Path path, String mode) {
    }

    Instant now() {
        return clock.instant();
    }

    /** Exit 2 unless {@code problem} is empty. */
    static void check(String option, Optional<String> problem) {
        problem.ifPresent(p -> {
            throw ExitException.badInput(option + ": " + p);
        });
    }

    /** --format and --dir are usable; makes the directory (0700) when it is missing. */
    Path dir() {
        format(options.format, "text", "json");
        Path dir = options.dir;
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw ExitException.badInput("--dir: " + dir + " exists and is not a directory");
        }
        return dir;
    }

    static void makeDir(Path dir) {
        if (Files.isDirectory(dir)) {
            return;
        }
        try {
            Files.createDirectories(dir);
            if (Files.getFileAttributeView(dir, java.nio.file.attribute.PosixFileAttributeView.class) != null) {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Exit 2, nothing written, when one of {@code files} exists (as anything, a link too) and there is no --force. */
    void refuseExisting(Path... files) {
        if (options.force) {
            return;
        }
        List<String> there = new ArrayList<>();
        for (Path f : files) {
            if (Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
                there.add(f.toString());
            }
        }
        if (!there.isEmpty()) {
            throw ExitException.badInput(String.join(" and ", there) + (there.size() == 1 ? " exists" : " exist")
                    + ": nothing was written (pass --force to replace, e.g. to rotate)");
        }
    }

    /** The CA in {@code dir}: exit 2 when it is missing or unusable. */
    static CertificateAuthority loadCa(Path dir) {
        Path crt = dir.resolve("ca.crt");
        Path key = dir.resolve("ca.key");
        if (!Files.isRegularFile(crt) || !Files.isRegularFile(key)) {
            throw ExitException.badInput("no CA in " + dir + " (ca.crt and ca.key): create it first with "
                    + "'baton certs ca --dir " + dir + "'");
        }
        try {
            return CertificateAuthority.load(crt, key);
        } catch (TlsException e) {
            throw ExitException.badInput("the CA in " + dir + " cannot be used: " + e.getMessage());
        }
    }

    static Duration days(int days) {
        check("--days", CertNames.days(days));
        return Duration.ofDays(days);
    }

    /** Writes the certificate and key; returns what was written. */
    static List<Written> write(CertificateAuthority.Issued issued, Path crt, Path key) {
        makeDir(crt.toAbsolutePath().getParent());
        issued.write(crt, key);
        return List.of(new Written(crt, "0644"), new Written(key, "0600"));
    }

    /** The certificate's subject, SANs, usages, validity and issuer, as JSON. */
    static ObjectNode describe(X509Certificate c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("subject", c.getSubjectX500Principal().getName());
        ArrayNode sans = n.putArray("sans");
        sans(c).forEach(sans::add);
        ArrayNode usages = n.putArray("usages");
        usages(c).forEach(usages::add);
        n.put("ca", c.getBasicConstraints() >= 0);
        n.put("not_before", c.getNotBefore().toInstant().toString());
        n.put("not_after", c.getNotAfter().toInstant().toString());
        n.put("issuer", c.getIssuerX500Principal().getName());
        n.put("serial", c.getSerialNumber().toString(16));
        return n;
    }

    static List<String> sans(X509Certificate c) {
        List<String> out = new ArrayList<>();
        try {
            if (c.getSubjectAlternativeNames() != null) {
                c.getSubjectAlternativeNames().forEach(san -> out.add(String.valueOf(san.get(1))));
            }
        } catch (CertificateParsingException e) {
            out.add("(unreadable)");
        }
        return out;
    }

    static List<String> usages(X509Certificate c) {
        List<String> out = new ArrayList<>();
        try {
            if (c.getExtendedKeyUsage() != null) {
                for (String oid : c.getExtendedKeyUsage()) {
                    out.add(switch (oid) {
                        case "1.3.6.1.5.5.7.3.1" -> "serverAuth";
                        case "1.3.6.1.5.5.7.3.2" -> "clientAuth";
                        default -> oid;
                    });
                }
            }
        } catch (CertificateParsingException e) {
            out.add("(unreadable)");
        }
        return out;
    }

    /**
     * Prints what was written: as one JSON document ({@code files}, {@code certificate}), or as
     * text followed by {@code hints} (which configuration keys take which file).
     */
    void print(List<Written> files, X509Certificate c, List<String> hints) {
        if (options.json()) {
            ObjectNode n = JSON.createObjectNode();
            ArrayNode a = n.putArray("files");
            for (Written w : files) {
                a.addObject().put("path", w.path().toString()).put("mode", w.mode());
            }
            n.set("certificate", describe(c));
            out().println(n);
            return;
        }
        for (Written w : files) {
            out().println("wrote " + w.path() + " (mode " + w.mode() + ")");
        }
        List<String> sans = sans(c);
        out().println("  subject:  " + c.getSubjectX500Principal().getName());
        if (!sans.isEmpty()) {
            out().println("  SANs:     " + String.join(", ", sans));
        }
        List<String> usages = usages(c);
        if (!usages.isEmpty()) {
            out().println("  usage:    " + String.join(", ", usages));
        }
        out().println("  expires:  " + c.getNotAfter().toInstant());
        hints.forEach(out()::println);
    }
}
