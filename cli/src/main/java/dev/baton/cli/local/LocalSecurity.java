package dev.baton.cli.local;

import dev.baton.agent.client.RestClientSettings;
import dev.baton.config.BasicAuth;
import dev.baton.config.TlsFiles;
import dev.baton.config.tls.CertificateAuthority;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * The security of a {@link LocalCluster} run with every channel locked down, as a production
 * cluster should be: one cluster CA; per node a certificate (serverAuth + clientAuth, SANs
 * 127.0.0.1 and localhost, no CommonName) used for its REST API (HTTPS, {@code verify_client:
 * required}), as its etcd client certificate and as its PostgreSQL server and replication client
 * certificate; an operator client certificate; random REST and etcd passwords. It writes the
 * files and renders the YAML lines each node's configuration gets.
 */
public final class LocalSecurity {
    private static final Duration VALIDITY = Duration.ofDays(2);
    /** The REST API's Basic user. */
    public static final String REST_USER = "baton-admin";
    /** The etcd user the agents and the CLI authenticate as. */
    public static final String ETCD_USER = "baton";

    private final Path dir;
    private final CertificateAuthority ca;
    private final String restPassword;
    private final String etcdPassword;

    private LocalSecurity(Path dir, CertificateAuthority ca, String restPassword, String etcdPassword) {
        this.dir = dir;
        this.ca = ca;
        this.restPassword = restPassword;
        this.etcdPassword = etcdPassword;
    }

    /** A new CA in {@code dir} with the operator's client certificate and a certificate for etcd. */
    public static LocalSecurity create(Path dir) throws IOException {
        Files.createDirectories(dir);
        Instant now = Instant.now();
        CertificateAuthority ca = CertificateAuthority.create("baton-local-ca", VALIDITY, now);
        ca.self().write(dir.resolve("ca.crt"), dir.resolve("ca.key"));
        ca.issue(null, List.of(), Set.of(CertificateAuthority.Usage.CLIENT), VALIDITY, now)
                .write(dir.resolve("operator.crt"), dir.resolve("operator.key"));
        LocalSecurity s = new LocalSecurity(dir, ca, random(), random());
        s.issueNode("etcd");
        // HAProxy wants the client certificate and its key in one file.
        Files.writeString(dir.resolve("haproxy-client.pem"),
                Files.readString(s.operatorCert()) + Files.readString(s.operatorKey()));
        Files.setPosixFilePermissions(dir.resolve("haproxy-client.pem"),
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return s;
    }

    private static String random() {
        byte[] b = new byte[12];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Issues (or re-issues) {@code name}'s node certificate: for a new node, or a rotation. */
    public void issueNode(String name) {
        ca.issueNode(List.of("127.0.0.1", "localhost"), VALIDITY, Instant.now())
                .write(certFile(name), keyFile(name));
    }

    public Path caFile() {
        return dir.resolve("ca.crt");
    }

    public Path certFile(String name) {
        return dir.resolve(name + ".crt");
    }

    public Path keyFile(String name) {
        return dir.resolve(name + ".key");
    }

    public Path operatorCert() {
        return certFile("operator");
    }

    public Path operatorKey() {
        return keyFile("operator");
    }

    public String restPassword() {
        return restPassword;
    }

    public String etcdPassword() {
        return etcdPassword;
    }

    /**
     * etcd with TLS, client-certificate authentication (the operator's certificate, which has no
     * CommonName, for etcdctl) and users: {@link #ETCD_USER} may read and write {@code prefix} only.
     */
    LocalEtcd.Security etcd(String prefix) {
        return new LocalEtcd.Security(caFile(), certFile("etcd"), keyFile("etcd"), operatorCert(), operatorKey(),
                new LocalEtcd.Auth(random(), ETCD_USER, etcdPassword, prefix), 0);
    }

    /** How the operator calls the REST APIs: its certificate, the cluster CA, the REST password. */
    public RestClientSettings restClient() {
        return new RestClientSettings(new TlsFiles(operatorCert(), operatorKey(), null, caFile()), false,
                new BasicAuth(REST_USER, restPassword), RestClientSettings.Names.CTL);
    }

    /** The lines under {@code restapi:} (indented by two). */
    String restapiYaml(String node) {
        return "  certfile: " + certFile(node) + "\n"
                + "  keyfile: " + keyFile(node) + "\n"
                + "  cafile: " + caFile() + "\n"
                + "  verify_client: required\n"
                + "  authentication:\n    username: " + REST_USER + "\n    password: " + restPassword + "\n";
    }

    /** The {@code ctl:} section: the operator's certificate, as patronictl reads it. */
    String ctlYaml() {
        return "ctl:\n"
                + "  certfile: " + operatorCert() + "\n"
                + "  keyfile: " + operatorKey() + "\n"
                + "  cacert: " + caFile() + "\n";
    }

    /** The lines under {@code etcd3:} besides the hosts (indented by two). */
    String etcdYaml(String node) {
        return "  protocol: https\n"
                + "  cacert: " + caFile() + "\n"
                + "  cert: " + certFile(node) + "\n"
                + "  key: " + keyFile(node) + "\n"
                + "  username: " + ETCD_USER + "\n"
                + "  password: " + etcdPassword + "\n";
    }

    /** The lines under {@code postgresql:} for server TLS and hostssl-only network access (indented by two). */
    String postgresqlYaml(String node) {
        return "  parameters:\n"
                + "    ssl: 'on'\n"
                + "    ssl_cert_file: " + certFile(node) + "\n"
                + "    ssl_key_file: " + keyFile(node) + "\n"
                + "    ssl_ca_file: " + caFile() + "\n"
                + "  pg_hba:\n"
                + "  - local all all peer\n"
                + "  - hostssl replication replicator 127.0.0.1/32 scram-sha-256 clientcert=verify-ca\n"
                + "  - hostssl all all 127.0.0.1/32 scram-sha-256\n";
    }

    /** HAProxy's server options for checking {@code /primary} over TLS, verified, with a client certificate. */
    String haproxyCheckSsl() {
        return " check-ssl verify required ca-file " + caFile() + " crt " + dir.resolve("haproxy-client.pem");
    }

    /** The {@code rewind} user under {@code postgresql.authentication} (indented by four), with its TLS lines. */
    String rewindYaml(String node) {
        return "    rewind:\n      username: rewinder\n      password: " + etcdPassword + "-rw\n" + userSslYaml(node);
    }

    /** The TLS lines of a PostgreSQL user that connects to other nodes (indented by six): verified, with a certificate. */
    String userSslYaml(String node) {
        return "      sslmode: verify-full\n"
                + "      sslrootcert: " + caFile() + "\n"
                + "      sslcert: " + certFile(node) + "\n"
                + "      sslkey: " + keyFile(node) + "\n";
    }
}
