package dev.baton.config;

import java.util.List;
import java.util.Map;

/**
 * {@code restapi}: where the REST API listens and the address other members and load balancers
 * use, and its security, with Patroni's keys. A null {@code connectAddress} is derived from
 * {@code listen}, replacing a wildcard host (0.0.0.0, ::) with 127.0.0.1.
 *
 * @param tls the server's certificate, key and client CA ({@code certfile}, {@code keyfile},
 *     {@code keyfile_password}, {@code cafile}); null: plain HTTP
 * @param ciphers {@code ciphers} as written (OpenSSL or IANA names, colon-separated), or null
 * @param verifyClient {@code verify_client}; NONE without TLS
 * @param authentication {@code authentication}: Basic credentials required on unsafe methods, or null
 * @param allowlist {@code allowlist}: addresses, CIDR networks or host names allowed to call unsafe
 *     endpoints; empty: anyone (subject to the other checks)
 * @param allowlistIncludeMembers {@code allowlist_include_members}: the cluster's members are allowed too
 * @param httpExtraHeaders {@code http_extra_headers}: added to every response
 * @param httpsExtraHeaders {@code https_extra_headers}: added to every response over HTTPS
 */
public record RestApiConfig(String listen, String connectAddress, TlsFiles tls, String ciphers,
        VerifyClient verifyClient, BasicAuth authentication, List<String> allowlist, boolean allowlistIncludeMembers,
        Map<String, String> httpExtraHeaders, Map<String, String> httpsExtraHeaders) implements ServerAddresses {

    public RestApiConfig {
        if (connectAddress == null) {
            connectAddress = ServerAddresses.deriveConnectAddress(listen);
        }
        if (verifyClient == null) {
            verifyClient = VerifyClient.NONE;
        }
        allowlist = Copies.list(allowlist);
        httpExtraHeaders = Copies.map(httpExtraHeaders);
        httpsExtraHeaders = Copies.map(httpsExtraHeaders);
    }

    /** Plain HTTP with no security settings. */
    public RestApiConfig(String listen, String connectAddress) {
        this(listen, connectAddress, null, null, VerifyClient.NONE, null, List.of(), false, Map.of(), Map.of());
    }

    public boolean https() {
        return tls != null;
    }

    /** "https" or "http": how members and the CLI reach this API. */
    public String scheme() {
        return https() ? "https" : "http";
    }
}
