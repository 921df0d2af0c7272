package dev.baton.cli.local;

import dev.baton.config.TlsFiles;
import dev.baton.config.tls.CertificateAuthority;
import dev.baton.config.tls.Pem;
import dev.baton.leader.KeyLayout;
import dev.baton.leader.LeaseRenewal;
import dev.baton.leader.StoreUnavailableException;
import dev.baton.leader.etcd.EtcdAccess;
import dev.baton.leader.etcd.EtcdAccessDeniedException;
import dev.baton.leader.etcd.EtcdClusterStore;
import dev.baton.leader.etcd.EtcdGatewayReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The store against a real etcd with TLS, client-certificate authentication and {@code auth enable}
 * (a user whose role may read and write the cluster's prefix only): it works with the right files
 * and credentials, and is refused, clearly and without any downgrade, with anything less.
 */
class EtcdTlsIT {

    private static final String PASSWORD = "baton-pw-4711";
    private static final String SCOPE = "tls";
    private static final KeyLayout LAYOUT = new KeyLayout("/service/", SCOPE);
    private static final Instant NOW = Instant.now();
    private static final Duration YEAR = Duration.ofDays(365);
    /** Short, so that (f) can let a token expire; etcd renews a simple token on each use. */
    private static final int TOKEN_TTL_SECONDS = 2;

    @TempDir
    static Path dir;

    private static LocalEtcd secure;
    private static TlsFiles client;
    private static TlsFiles otherCa;

    private final List<EtcdClusterStore> stores = new ArrayList<>();

    @BeforeAll
    static void startSecureEtcd() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("etcd-it", YEAR, NOW);
        Path caFile = Files.writeString(dir.resolve("ca.pem"), Pem.encode(ca.certificate()));
        ca.issueNode(List.of("127.0.0.1", "localhost"), YEAR, NOW).write(dir.resolve("server.pem"), dir.resolve("server.key"));
        ca.issueNode(List.of("127.0.0.1"), YEAR, NOW).write(dir.resolve("client.pem"), dir.resolve("client.key"));
        client = new TlsFiles(dir.resolve("client.pem"), dir.resolve("client.key"), null, caFile);

        CertificateAuthority other = CertificateAuthority.create("other", YEAR, NOW);
        Path otherCaFile = Files.writeString(dir.resolve("other-ca.pem"), Pem.encode(other.certificate()));
        other.issueNode(List.of("127.0.0.1"), YEAR, NOW).write(dir.resolve("other.pem"), dir.resolve("other.key"));
        otherCa = new TlsFiles(dir.resolve("other.pem"), dir.resolve("other.key"), null, otherCaFile);

        secure = new LocalEtcd(dir.resolve("etcd"), new LocalEtcd.Security(caFile, dir.resolve("server.pem"),
                dir.resolve("server.key"), client.certfile(), client.keyfile(),
                new LocalEtcd.Auth("root-pw-0815", "baton", PASSWORD, LAYOUT.prefix()), TOKEN_TTL_SECONDS));
        secure.start();
    }

    @AfterAll
    static void stopEtcd() {
        if (secure != null) {
            secure.close();
        }
    }

    @AfterEach
    void closeStores() {
        stores.forEach(EtcdClusterStore::close);
    }

    private EtcdClusterStore store(String member, EtcdAccess access) {
        EtcdClusterStore s = new EtcdClusterStore(access, LAYOUT, member, 10, Duration.ofSeconds(3), System::nanoTime);
        stores.add(s);
        return s;
    }

    private static EtcdAccess access(TlsFiles tls, String user, String password) {
        return new EtcdAccess(EtcdAccess.Scheme.HTTPS, List.of(secure.endpoint()), tls, user, password);
    }

    @Test
    void withTheRightFilesAndCredentialsTheStoreLeasesWritesReadsAndWatches() {
        EtcdClusterStore node1 = store("node1", access(client, "baton", PASSWORD));
        node1.verifyAccess();
        LeaseRenewal renewal = node1.renewLease();
        assertNotEquals(0, renewal.leaseId());
        node1.releaseLeader();
        assertTrue(node1.tryAcquireLeader());
        assertEquals("node1", node1.read().leaderKey().orElseThrow().name());

        EtcdClusterStore node2 = store("node2", access(client, "baton", PASSWORD));
        node1.awaitChange(Duration.ofMillis(10)); // starts the watch
        assertTrue(node2.casFailover("{\"leader\":\"node1\"}", 0));
        assertTrue(node1.awaitChange(Duration.ofSeconds(10)), "the watch saw node2's write");

        EtcdGatewayReader.Result read = new EtcdGatewayReader(access(client, "baton", PASSWORD), LAYOUT,
                Duration.ofSeconds(3)).read();
        assertEquals("node1", assertInstanceOf(EtcdGatewayReader.Read.class, read).snapshot().leader().name(),
                "the JSON gateway reads over TLS with a token too");
        assertTrue(node1.releaseLeader());
    }

    @Test
    void withoutAClientCertificateTheHandshakeIsRefused() {
        EtcdClusterStore s = store("nocert", access(new TlsFiles(null, null, null, client.cafile()), "baton", PASSWORD));
        StoreUnavailableException e = assertThrows(StoreUnavailableException.class, s::read);
        assertFalse(e instanceof EtcdAccessDeniedException, e.getMessage());
        assertTrue(e.getMessage().contains("refused the client certificate"), e.getMessage());
        assertInstanceOf(EtcdGatewayReader.NotAGateway.class, new EtcdGatewayReader(
                access(new TlsFiles(null, null, null, client.cafile()), "baton", PASSWORD), LAYOUT,
                Duration.ofSeconds(3)).read());
    }

    @Test
    void withACertificateButNoUserTheKeysAreDenied() {
        EtcdClusterStore s = store("nouser", access(client, null, null));
        EtcdAccessDeniedException e = assertThrows(EtcdAccessDeniedException.class, s::verifyAccess);
        assertTrue(e.getMessage().contains("etcd3.username"), e.getMessage());
        assertThrows(StoreUnavailableException.class, s::read);
    }

    @Test
    void httpsAgainstAPlaintextEtcdIsAConnectionErrorNeverADowngrade(@TempDir Path plainDir) throws Exception {
        try (LocalEtcd plain = new LocalEtcd(plainDir)) {
            plain.start();
            EtcdAccess https = new EtcdAccess(EtcdAccess.Scheme.HTTPS, List.of(plain.endpoint()),
                    new TlsFiles(null, null, null, client.cafile()), null, null);
            EtcdClusterStore s = store("downgrade", https);
            StoreUnavailableException e = assertThrows(StoreUnavailableException.class, s::read);
            assertTrue(e.getMessage().contains("serving plain http"), e.getMessage());
            assertThrows(StoreUnavailableException.class, s::renewLease);
            assertInstanceOf(EtcdGatewayReader.NotAGateway.class,
                    new EtcdGatewayReader(https, LAYOUT, Duration.ofSeconds(3)).read());
        }
    }

    @Test
    void aWrongPasswordIsAClearRefusalThatNamesTheKeyAndNotThePassword() {
        EtcdClusterStore s = store("badpw", access(client, "baton", "wrong-pw-1234"));
        EtcdAccessDeniedException e = assertThrows(EtcdAccessDeniedException.class, s::verifyAccess);
        assertTrue(e.getMessage().contains("etcd3.password: authentication failed"), e.getMessage());
        assertFalse(e.getMessage().contains("wrong-pw-1234"), e.getMessage());
    }

    @Test
    void aServerCertificateFromAnotherCaIsRefused() {
        EtcdClusterStore s = store("otherca", access(otherCa, "baton", PASSWORD));
        StoreUnavailableException e = assertThrows(StoreUnavailableException.class, s::read);
        assertTrue(e.getMessage().contains("not signed by the CA of etcd3.cacert"), e.getMessage());
    }

    @Test
    void anExpiredTokenIsRenewedWithoutTheCallerNoticing() throws Exception {
        EtcdClusterStore s = store("token", access(client, "baton", PASSWORD));
        s.renewLease();
        s.publishMember("{\"state\":\"running\"}");
        for (int round = 0; round < 2; round++) {
            Thread.sleep(Duration.ofSeconds(TOKEN_TTL_SECONDS * 2L + 1).toMillis()); // idle: the token expires
            assertTrue(s.read().members().containsKey("token"), "read after the token expired");
            s.renewLease();
            s.publishMember("{\"state\":\"running\",\"round\":" + round + "}");
        }
    }
}
