package dev.baton.config.tls;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * PEM files as operators have them: certificates (one or a chain), and private keys in every form
 * openssl, etcd's and PostgreSQL's tooling write: PKCS#8 ("PRIVATE KEY"), encrypted PKCS#8
 * ("ENCRYPTED PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") and SEC1 ("EC PRIVATE KEY"), the last two
 * also in OpenSSL's encrypted form (Proc-Type/DEK-Info). Only JDK providers are used; Bouncy Castle
 * parses and converts.
 */
public final class Pem {
    /**
     * Bouncy Castle's provider, for the key derivations OpenSSL's encrypted key formats use and the
     * JDK lacks; it is used only here and never registered in the JVM.
     */
    private static final java.security.Provider BC = new org.bouncycastle.jce.provider.BouncyCastleProvider();

    private Pem() {
    }

    /** Every certificate in {@code file}, in order (a server certificate first, then its chain). */
    public static List<X509Certificate> certificates(Path file) throws TlsException {
        List<X509Certificate> out = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
            JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
            for (Object o = p.readObject(); o != null; o = p.readObject()) {
                if (o instanceof X509CertificateHolder h) {
                    out.add(converter.getCertificate(h));
                }
            }
        } catch (IOException | CertificateException | RuntimeException e) {
            throw new TlsException(file + ": cannot read certificates: " + reason(e), e);
        }
        if (out.isEmpty()) {
            throw new TlsException(file + ": no PEM certificate (BEGIN CERTIFICATE) in the file");
        }
        return List.copyOf(out);
    }

    /**
     * The first private key in {@code file}.
     *
     * @param password the key's password, or null when it is not encrypted
     */
    public static PrivateKey privateKey(Path file, String password) throws TlsException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            for (Object o = p.readObject(); o != null; o = p.readObject()) {
                if (o instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (o instanceof PEMKeyPair pair) {
                    return converter.getPrivateKey(pair.getPrivateKeyInfo());
                }
                if (o instanceof PKCS8EncryptedPrivateKeyInfo enc) {
                    requirePassword(file, password);
                    return converter.getPrivateKey(enc.decryptPrivateKeyInfo(
                            new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(BC).build(password.toCharArray())));
                }
                if (o instanceof PEMEncryptedKeyPair enc) {
                    requirePassword(file, password);
                    return converter.getPrivateKey(enc.decryptKeyPair(
                            new JcePEMDecryptorProviderBuilder().setProvider(BC).build(password.toCharArray()))
                            .getPrivateKeyInfo());
                }
            }
        } catch (PKCSException | org.bouncycastle.openssl.EncryptionException e) {
            throw new TlsException(file + ": cannot decrypt the private key: wrong password?", e);
        } catch (IOException | OperatorCreationException | RuntimeException e) {
            throw new TlsException(file + ": cannot read the private key: " + reason(e), e);
        }
        throw new TlsException(file + ": no PEM private key (BEGIN ... PRIVATE KEY) in the file");
    }

    private static void requirePassword(Path file, String password) throws TlsException {
        if (password == null) {
            throw new TlsException(file + ": the private key is encrypted and no password is configured for it");
        }
    }

    /** A certificate as PEM text. */
    public static String encode(X509Certificate certificate) {
        try {
            return write(new JcaMiscPEMGenerator(certificate));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A private key as unencrypted PKCS#8 PEM text ("BEGIN PRIVATE KEY"), which every TLS stack reads. */
    public static String encode(PrivateKey key) {
        try {
            return write(new JcaPKCS8Generator(key, null));
        } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
            throw new IllegalStateException("cannot encode a " + key.getAlgorithm() + " key", e);
        }
    }

    private static String write(org.bouncycastle.util.io.pem.PemObjectGenerator object) {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            w.writeObject(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return s.toString();
    }

    /** The cause's own words; a missing file is said plainly. */
    static String reason(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
