package dev.baton.agent.api;

import dev.baton.config.BasicAuth;
import dev.baton.config.RestApiConfig;
import dev.baton.config.VerifyClient;
import dev.baton.leader.model.ClusterView;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Who may call the unsafe endpoints (every method but GET, HEAD and OPTIONS: switchover, failover,
 * restart, reinitialize, ...), checked before the body is read or any action runs, in the order of
 * Patroni's {@code check_access}: {@code restapi.allowlist} (403 "Access is denied"), a verified
 * client certificate when {@code verify_client} is optional or required (403 "client certificate
 * required"), {@code restapi.authentication} (401 with {@code WWW-Authenticate}); then, against
 * browsers, the content type (415). GETs are not checked: health checks stay open, as in Patroni
 * ({@code verify_client: required} already refuses the TLS handshake without a certificate).
 */
final class RestAccess {
    /** Patroni's answers, word for word (scripts and tests match them). */
    static final String DENIED = "Access is denied";
    static final String CERT_REQUIRED = "client certificate required";
    static final String NO_AUTH_HEADER = "no auth header received";
    static final String NOT_AUTHENTICATED = "not authenticated";
    static final String REALM = "Basic realm=\"Baton\"";

    /** Why a request is refused: the status, the body and any headers to send with it. */
    record Refusal(int status, String body, Map<String, String> headers) {
    }

    /**
     * What the checks look at in a request.
     *
     * @param verifiedCertificate the client presented a certificate that the server verified
     * @param authorization       the {@code Authorization} header, or null
     * @param contentType         the {@code Content-Type} header, or null
     * @param fromBrowser         an {@code Origin} or {@code Sec-Fetch-*} header: only browsers send them
     */
    record Request(String method, InetAddress client, boolean verifiedCertificate, String authorization,
                   String contentType, boolean fromBrowser) {
    }

    private final RestAllowlist allowlist;
    private final boolean certificateRequired;
    private final byte[] userDigest;
    private final byte[] passwordDigest;

    RestAccess(RestApiConfig c, RestAllowlist.Resolver resolver, LongSupplier ticker) {
        this.allowlist = new RestAllowlist(c.allowlist(), c.allowlistIncludeMembers(), resolver, ticker);
        this.certificateRequired = c.https() && c.verifyClient() != VerifyClient.NONE;
        BasicAuth auth = c.authentication();
        this.userDigest = auth == null ? null : sha256(auth.username());
        this.passwordDigest = auth == null ? null : sha256(auth.password());
    }

    /** Whether the method can change something: everything but GET, HEAD and OPTIONS. */
    static boolean unsafe(String method) {
        return !method.equals("GET") && !method.equals("HEAD") && !method.equals("OPTIONS");
    }

    /** The refusal of an unsafe request, or empty when it may proceed; {@code view} (may be null) names the members. */
    Optional<Refusal> check(Request r, ClusterView view) {
        if (!unsafe(r.method())) {
            return Optional.empty();
        }
        if (allowlist.active() && !allowlist.allows(r.client(), view)) {
            return refuse(403, DENIED);
        }
        if (certificateRequired && !r.verifiedCertificate()) {
            return refuse(403, CERT_REQUIRED);
        }
        if (userDigest != null) {
            String reason = authenticationProblem(r.authorization());
            if (reason != null) {
                return Optional.of(new Refusal(401, reason, Map.of("WWW-Authenticate", REALM)));
            }
        }
        if (!jsonAllowed(r.contentType(), r.fromBrowser())) {
            return refuse(415, "an unsafe request must have Content-Type: application/json");
        }
        return Optional.empty();
    }

    /**
     * Why the {@code Authorization} header does not carry the configured credentials, or null when
     * it does. Both fields are compared, always, through their SHA-256 digests with
     * {@link MessageDigest#isEqual}: the time taken tells nothing about where they differ, nor
     * their length, nor whether the user name was right.
     */
    String authenticationProblem(String header) {
        if (header == null) {
            return NO_AUTH_HEADER;
        }
        if (!header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return NOT_AUTHENTICATED;
        }
        String credentials;
        try {
            credentials = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return NOT_AUTHENTICATED;
        }
        int colon = credentials.indexOf(':');
        String user = colon < 0 ? credentials : credentials.substring(0, colon);
        String password = colon < 0 ? "" : credentials.substring(colon + 1);
        boolean userOk = MessageDigest.isEqual(sha256(user), userDigest);
        boolean passwordOk = MessageDigest.isEqual(sha256(password), passwordDigest);
        return userOk & passwordOk ? null : NOT_AUTHENTICATED;
    }

    /**
     * Whether an unsafe request's content type lets it through. {@code application/json} does: a
     * browser sends it cross-site only after a CORS preflight, which this server never grants. No
     * content type does from a client that is not a browser (patronictl sends none, with or without
     * a JSON body); a browser sends one with every form, and marks every cross-site {@code fetch}
     * with an {@code Origin} header, so neither can trigger an action.
     */
    static boolean jsonAllowed(String contentType, boolean fromBrowser) {
        if (contentType == null || contentType.isBlank()) {
            return !fromBrowser;
        }
        int semi = contentType.indexOf(';');
        String media = (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
        return media.equals("application/json");
    }

    private static Optional<Refusal> refuse(int status, String body) {
        return Optional.of(new Refusal(status, body, Map.of()));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
