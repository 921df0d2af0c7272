package dev.baton.agent.client;

import dev.baton.config.BatonConfig;
import dev.baton.config.tls.Pem;
import dev.baton.config.tls.TlsContexts;
import dev.baton.config.tls.TlsException;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * How an agent calls its peers' REST APIs (peer polls during the leader race and switchover):
 * with {@link RestClientSettings#of} of its own configuration, as Patroni's agents do
 * ({@code ctl}'s values first, then {@code restapi}'s). So with {@code restapi.verify_client:
 * required} an agent presents its {@code restapi.certfile} (which needs the clientAuth usage) and
 * verifies its peers against {@code restapi.cafile}. Unlike Patroni's agents, which do not verify
 * their peers' certificates at all, Baton's do, unless {@code ctl.insecure} is set.
 */
public final class PeerClients {
    /** A peer poll must connect within this; the poll's own timeout bounds the answer. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);

    private PeerClients() {
    }

    public static RestClientSettings settings(BatonConfig c) {
        return RestClientSettings.of(c.ctl(), c.restapi());
    }

    /** The HA loop's peer client for {@code c}. */
    public static HttpPeerClient create(BatonConfig c) throws ClientSetupException {
        return new HttpPeerClient(AgentClient.create(settings(c), CONNECT_TIMEOUT),
                () -> AgentClient.create(settings(c), CONNECT_TIMEOUT));
    }

    /**
     * Why the agent could not call its peers, by setting (empty: it can): key material that cannot
     * be read, or an HTTPS REST API without a CA while the node's own certificate is not signed by
     * a CA the JDK trusts (its peers' would not verify either, and every peer would look down).
     */
    public static Map<String, String> problems(BatonConfig c) {
        Map<String, String> out = new LinkedHashMap<>();
        RestClientSettings s = settings(c);
        try {
            ClientTls.context(s);
        } catch (ClientSetupException e) {
            out.put(e.key(), e.problem());
            return out;
        }
        if (c.restapi().https() && s.tls().cafile() == null && !s.insecure()) {
            try {
                List<X509Certificate> own = Pem.certificates(c.restapi().tls().certfile());
                if (!trustedByJdk(own)) {
                    out.put("restapi.cafile", "is needed: agents verify each other's REST API certificates, and the "
                            + "certificate in restapi.certfile is not signed by a CA the JDK trusts; set restapi.cafile "
                            + "(or ctl.cacert) to the CA that signed the members' certificates");
                }
            } catch (TlsException e) {
                out.put("restapi.certfile", e.getMessage());
            }
        }
        return out;
    }

    /** Whether the chain validates against the JDK's default CAs (PKIX, no revocation check). */
    static boolean trustedByJdk(List<X509Certificate> chain) {
        try {
            Set<TrustAnchor> anchors = new HashSet<>();
            for (TrustManager tm : TlsContexts.trustManagers(null).getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    for (X509Certificate ca : x.getAcceptedIssuers()) {
                        anchors.add(new TrustAnchor(ca, null));
                    }
                }
            }
            if (anchors.isEmpty()) {
                return false;
            }
            PKIXParameters p = new PKIXParameters(anchors);
            p.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(chain), p);
            return true;
        } catch (GeneralSecurityException | TlsException e) {
            return false;
        }
    }
}
