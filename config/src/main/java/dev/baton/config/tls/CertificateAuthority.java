package dev.baton.config.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A small certificate authority for one cluster: it creates its own CA certificate and issues
 * node and client certificates (ECDSA P-256, SHA-256), for the REST API, etcd and PostgreSQL. Used
 * by {@code baton certs} and by the tests. Certificates it issues name their hosts in the subject
 * alternative names; the CommonName is optional because etcd with client-certificate auth takes a
 * CommonName as the etcd user (see docs/security.md).
 */
public final class CertificateAuthority {
    /** What a certificate may be used for (extended key usage). */
    public enum Usage {
        /** TLS server: REST API, etcd, PostgreSQL. */
        SERVER,
        /** TLS client: agents calling peers and etcd, the CLI, replication connections. */
        CLIENT
    }

    /** A certificate and its private key. */
    public record Issued(X509Certificate certificate, PrivateKey key) {
        /** Writes the certificate (mode 0644) and the key (mode 0600), each atomically. */
        public void write(Path certFile, Path keyFile) {
            writeFile(certFile, Pem.encode(certificate), false);
            writeFile(keyFile, Pem.encode(key), true);
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private final Issued ca;

    private CertificateAuthority(Issued ca) {
        this.ca = ca;
    }

    /** A new CA named {@code name}, valid from now for {@code validity}. */
    public static CertificateAuthority create(String name, Duration validity, Instant now) {
        KeyPair kp = keyPair();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Baton")
                .addRDN(BCStyle.CN, name).build();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(), notBefore(now),
                    Date.from(now.plus(validity)), subject, kp.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
            return new CertificateAuthority(new Issued(sign(b, kp.getPrivate()), kp.getPrivate()));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot create a CA certificate", e);
        }
    }

    /** The CA in {@code certFile} and {@code keyFile}, to issue more certificates with. */
    public static CertificateAuthority load(Path certFile, Path keyFile) throws TlsException {
        X509Certificate cert = Pem.certificates(certFile).get(0);
        if (cert.getBasicConstraints() < 0) {
            throw new TlsException(certFile + ": not a CA certificate (no basicConstraints CA:true)");
        }
        TlsContexts.keyManagers(certFile, keyFile, null); // checks that the key belongs to it
        return new CertificateAuthority(new Issued(cert, Pem.privateKey(keyFile, null)));
    }

    public X509Certificate certificate() {
        return ca.certificate();
    }

    /** The CA itself, to write out. */
    public Issued self() {
        return ca;
    }

    /**
     * A certificate for {@code hosts} (DNS names or IP addresses, as subject alternative names).
     *
     * @param commonName the subject's CommonName, or null for a certificate that names only its SANs
     */
    public Issued issue(String commonName, List<String> hosts, Set<Usage> usages, Duration validity, Instant now) {
        KeyPair kp = keyPair();
        X500NameBuilder nb = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Baton");
        if (commonName != null) {
            nb.addRDN(BCStyle.CN, commonName);
        }
        List<GeneralName> names = new ArrayList<>();
        for (String h : hosts) {
            names.add(isIpAddress(h) ? new GeneralName(GeneralName.iPAddress, h) : new GeneralName(GeneralName.dNSName, h));
        }
        List<KeyPurposeId> purposes = new ArrayList<>();
        if (usages.contains(Usage.SERVER)) {
            purposes.add(KeyPurposeId.id_kp_serverAuth);
        }
        if (usages.contains(Usage.CLIENT)) {
            purposes.add(KeyPurposeId.id_kp_clientAuth);
        }
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.certificate(), serial(), notBefore(now),
                    Date.from(now.plus(validity)), nb.build(), kp.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
                    .addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(purposes.toArray(new KeyPurposeId[0])))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            ext.createAuthorityKeyIdentifier(ca.certificate()));
            if (!names.isEmpty()) {
                b.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(names.toArray(new GeneralName[0])));
            }
            return new Issued(sign(b, ca.key()), kp.getPrivate());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot issue a certificate", e);
        }
    }

    /** As {@link #issue(String, List, Set, Duration, Instant)} for a node: server and client use. */
    public Issued issueNode(List<String> hosts, Duration validity, Instant now) {
        return issue(null, hosts, EnumSet.allOf(Usage.class), validity, now);
    }

    static boolean isIpAddress(String h) {
        if (h.matches("\\d{1,3}(\\.\\d{1,3}){3}") || h.contains(":")) {
            try {
                InetAddress.getByName(h); // literal only: no lookup for these forms
                return true;
            } catch (IOException e) {
                return false;
            }
        }
        return false;
    }

    private static KeyPair keyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no EC P-256 key generator in this JDK", e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    /** A little in the past: clocks of the machines that check it are not exactly ours. */
    private static Date notBefore(Instant now) {
        return Date.from(now.minus(Duration.ofMinutes(5)));
    }

    static void writeFile(Path file, String text, boolean secret) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
            try {
                java.nio.file.attribute.PosixFileAttributeView v = Files.getFileAttributeView(tmp,
                        java.nio.file.attribute.PosixFileAttributeView.class);
                if (v != null) {
                    v.setPermissions(java.nio.file.attribute.PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--"));
                }
                Files.writeString(tmp, text, StandardCharsets.US_ASCII);
                Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
