package dev.baton.agent.client;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.util.Locale;
import javax.net.ssl.SSLException;

/**
 * Why a REST call got no answer, so that a caller can tell an agent that is down (nobody listens,
 * no route, no connection in time) from one that refused this client (TLS) and from one that is
 * slow. Only {@link #UNREACHABLE} may ever be taken as "the agent is gone": a TLS failure is a
 * security refusal, and acting around it (e.g. writing the failover key to etcd instead, as
 * patronictl 3.0.2 does) would bypass the REST API's protection.
 */
public enum CallFailure {
    /** Nobody accepted the connection, no route to the host, the name does not resolve, or the connect timed out. */
    UNREACHABLE,
    /** Connected, but no answer within the request's timeout: the action may be under way. */
    TIMEOUT,
    /** The TLS handshake failed: the server's certificate, host name, a client certificate, or no TLS there. */
    TLS,
    /** Refused by this client: an unsafe call to an http address while set up for TLS ({@link AgentClient.CleartextRefused}). */
    CLEARTEXT_REFUSED,
    /** Anything else (a connection closed mid-way, ...): never taken as "down". */
    OTHER;

    /** The kind of {@code e}, looking through its causes. */
    public static CallFailure of(Throwable e) {
        if (e instanceof HttpConnectTimeoutException) {
            return UNREACHABLE;
        }
        if (e instanceof HttpTimeoutException) {
            return TIMEOUT;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof AgentClient.CleartextRefused) {
                return CLEARTEXT_REFUSED;
            }
            if (t instanceof SSLException) {
                return TLS;
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof NoRouteToHostException
                    || t instanceof UnknownHostException || t instanceof HttpConnectTimeoutException) {
                return UNREACHABLE;
            }
        }
        return OTHER;
    }

    /**
     * What a TLS failure means, in the operator's terms: which setting to look at. {@code s} names
     * the settings of the client that failed.
     */
    public static String explainTls(Throwable e, RestClientSettings s) {
        String m = messages(e);
        String lower = m.toLowerCase(Locale.ROOT);
        String ca = s.tls().cafile() == null ? "the JDK's default CAs (set " + s.names().cafile() + ")"
                : s.names().cafile() + " " + s.tls().cafile();
        if (lower.contains("pkix") || lower.contains("certification path") || lower.contains("signature check failed")) {
            return "its certificate is not signed by a CA this client trusts: " + ca;
        }
        if (lower.contains("no subject alternative") || lower.contains("no name matching")) {
            return "its certificate does not name the host of its api_url (" + firstLine(m) + ")";
        }
        if (lower.contains("certificate_required") || lower.contains("bad_certificate")
                || lower.contains("certificate_unknown") || lower.contains("unknown_ca")) {
            return "it refused this client's certificate or requires one (" + firstLine(m) + "): set "
                    + s.names().certfile() + " and " + s.names().keyfile()
                    + " to a certificate its restapi.cafile trusts, with the clientAuth usage";
        }
        if (lower.contains("unrecognized ssl message") || lower.contains("plaintext")) {
            return "it does not speak TLS on that port (its api_url says https)";
        }
        return "TLS handshake failed: " + firstLine(m);
    }

    private static String messages(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null) {
                sb.append(t.getMessage()).append('\n');
            }
        }
        return sb.toString();
    }

    private static String firstLine(String m) {
        String l = m.lines().findFirst().orElse("").strip();
        return l.length() > 200 ? l.substring(0, 200) + "..." : l;
    }
}
