package dev.baton.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.config.BasicAuth;
import dev.baton.config.RestApiConfig;
import dev.baton.config.TlsFiles;
import dev.baton.config.VerifyClient;
import dev.baton.leader.model.ClusterView;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The access checks of unsafe requests, without HTTP: order, credentials, content type, allowlist. */
class RestAccessTest {
    private static final BasicAuth AUTH = new BasicAuth("patroni", "s3cret");
    private static final TlsFiles TLS = new TlsFiles(Path.of("s.crt"), Path.of("s.key"), null, Path.of("ca.crt"));

    private final AtomicLong now = new AtomicLong(1_000);
    private final List<String> lookups = new ArrayList<>();
    private final Map<String, String> dns = Map.of("ops.example", "192.0.2.7", "node3.example", "10.0.0.3");

    private final RestAllowlist.Resolver resolver = host -> {
        lookups.add(host);
        String ip = dns.get(host);
        if (ip == null) {
            throw new UnknownHostException(host);
        }
        return List.of(InetAddress.getByName(ip));
    };

    private RestAccess access(VerifyClient verify, BasicAuth auth, List<String> allowlist, boolean members) {
        return new RestAccess(new RestApiConfig("127.0.0.1:8008", null, verify == null ? null : TLS, null,
                verify == null ? VerifyClient.NONE : verify, auth, allowlist, members, Map.of(), Map.of()),
                resolver, now::get);
    }

    private static RestAccess.Request request(String method, String client, boolean cert, String authorization,
                                              String contentType) throws Exception {
        return new RestAccess.Request(method, InetAddress.getByName(client), cert, authorization, contentType, false);
    }

    private static int status(Optional<RestAccess.Refusal> r) {
        return r.map(RestAccess.Refusal::status).orElse(0);
    }

    @ParameterizedTest(name = "{0} from {1}, certificate {2}, auth {3}, json {4}: {5}")
    @CsvSource({
        "POST,   10.9.9.9, false, false, false, 403",  // the allowlist first
        "POST,   10.0.0.5, false, false, false, 403",  // then the certificate
        "POST,   10.0.0.5, true,  false, false, 401",  // then the credentials
        "POST,   10.0.0.5, true,  true,  false, 415",  // then the content type
        "POST,   10.0.0.5, true,  true,  true,  0",
        "DELETE, 10.0.0.5, true,  false, true,  401",
        "PATCH,  10.0.0.5, true,  false, true,  401",
        "PUT,    10.0.0.5, true,  false, true,  401",
        "BREW,   10.0.0.5, true,  false, true,  401",  // any unknown method is unsafe
        "GET,    10.9.9.9, false, false, false, 0",    // health checks stay open
        "HEAD,   10.9.9.9, false, false, false, 0",
        "OPTIONS,10.9.9.9, false, false, false, 0",
    })
    void checksRunInPatronisOrder(String method, String client, boolean cert, boolean auth, boolean json,
                                  int expected) throws Exception {
        RestAccess a = access(VerifyClient.OPTIONAL, AUTH, List.of("10.0.0.0/24"), false);
        assertEquals(expected, status(a.check(request(method, client, cert, auth ? AUTH.header() : null,
                json ? "application/json" : "text/plain"), null)));
    }

    @Test
    void refusalsCarryPatronisTextAndTheChallenge() throws Exception {
        RestAccess a = access(null, AUTH, List.of(), false);
        RestAccess.Refusal r = a.check(request("POST", "127.0.0.1", false, null, null), null).orElseThrow();
        assertEquals(new RestAccess.Refusal(401, "no auth header received", Map.of("WWW-Authenticate",
                "Basic realm=\"Baton\"")), r);
        assertEquals("Access is denied", access(null, null, List.of("10.0.0.1"), false)
                .check(request("POST", "127.0.0.1", false, null, null), null).orElseThrow().body());
    }

    @Test
    void nothingConfiguredLetsEveryUnsafeRequestThrough() throws Exception {
        assertEquals(Optional.empty(), access(null, null, List.of(), false)
                .check(request("POST", "203.0.113.1", false, null, null), null));
    }

    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource(delimiter = '|', value = {
        "patroni:s3cret        | ",
        "patroni:s3cret:more   | not authenticated", // the password holds everything after the first ':'
        "patroni:wrong         | not authenticated",
        "other:s3cret          | not authenticated", // both fields compared, the user name too
        "patroni:              | not authenticated",
        "patroni               | not authenticated",
        ":s3cret               | not authenticated",
    })
    void credentialsMustMatchBoth(String credentials, String expected) {
        String header = "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
        assertEquals(expected, access(null, AUTH, List.of(), false).authenticationProblem(header));
    }

    @Test
    void malformedAuthorizationHeadersAreNotAuthenticated() {
        RestAccess a = access(null, AUTH, List.of(), false);
        assertNull(a.authenticationProblem("basic " + AUTH.header().substring(6))); // the scheme is case-insensitive
        assertEquals("not authenticated", a.authenticationProblem("Bearer " + AUTH.header().substring(6)));
        assertEquals("not authenticated", a.authenticationProblem("Basic !!!not-base64"));
        assertEquals("not authenticated", a.authenticationProblem("Basic"));
        assertEquals("no auth header received", a.authenticationProblem(null));
    }

    @ParameterizedTest(name = "{0}, browser {1} → {2}")
    @CsvSource(delimiter = '|', value = {
        "application/json                  | false | true",
        "application/json; charset=utf-8   | true  | true",
        "Application/JSON                  | false | true",
        "                                  | false | true",   // patronictl sends no content type
        "                                  | true  | false",  // a no-cors fetch of a Blob: Origin, no type
        "application/x-www-form-urlencoded | false | false",  // an HTML form
        "multipart/form-data; boundary=x   | false | false",
        "text/plain;charset=UTF-8          | false | false",  // a no-cors fetch of a string
        "application/jsonp                 | false | false",
        "application/json-patch+json       | false | false",
    })
    void onlyJsonOrANonBrowserWithoutTypeGetsThrough(String contentType, boolean browser, boolean allowed) {
        assertEquals(allowed, RestAccess.jsonAllowed(contentType, browser));
    }

    @ParameterizedTest(name = "{0} contains {1}: {2}")
    @CsvSource({
        "10.0.0.0/8,       10.255.1.2, true",
        "10.0.0.0/8,       11.0.0.1,   false",
        "192.168.1.128/25, 192.168.1.200, true",
        "192.168.1.128/25, 192.168.1.127, false",
        "192.168.1.7,      192.168.1.7, true",
        "192.168.1.7,      192.168.1.8, false",
        "0.0.0.0/0,        203.0.113.9, true",
        "2001:db8::/32,    2001:db8:1::5, true",
        "2001:db8::/32,    2001:db9::5, false",
        "::1,              ::1, true",
        "10.0.0.0/8,       ::ffff:10.1.1.1, true",   // an IPv4 client on a dual-stack socket
        "10.0.0.0/8,       2001:db8::1, false",
    })
    void networksContainTheirAddresses(String entry, String client, boolean expected) throws Exception {
        RestAllowlist l = new RestAllowlist(List.of(entry), false, resolver, now::get);
        assertEquals(expected, l.allows(InetAddress.getByName(client), null));
        assertTrue(lookups.isEmpty(), "addresses and networks are never looked up");
    }

    @Test
    void hostNamesAreResolvedAndCachedForAMinuteFailuresToo() throws Exception {
        RestAllowlist l = new RestAllowlist(List.of("ops.example", "gone.example"), false, resolver, now::get);
        InetAddress ops = InetAddress.getByName("192.0.2.7");
        assertTrue(l.allows(ops, null));
        assertFalse(l.allows(InetAddress.getByName("192.0.2.8"), null));
        assertEquals(List.of("ops.example", "gone.example"), lookups, "each name once");
        lookups.clear();
        now.addAndGet(RestAllowlist.TTL_NANOS - 1);
        assertFalse(l.allows(InetAddress.getByName("192.0.2.8"), null));
        assertEquals(List.of(), lookups, "within the minute, from the cache");
        now.addAndGet(1);
        assertTrue(l.allows(ops, null));
        assertEquals(List.of("ops.example"), lookups);
    }

    @Test
    void membersAreAllowedByTheirApiAndPostgresHostsFromTheView() throws Exception {
        ClusterView view = RestApiTest.view("node1", 0,
                RestApiTest.member("node1", "primary", 0, Map.of()),   // api 10.0.0.1, postgres 10.0.0.1
                new dev.baton.leader.model.MemberStatus("node3", "postgres://node3.example:5432/postgres",
                        "https://[2001:db8::3]:8008/patroni", dev.baton.leader.model.MemberState.RUNNING,
                        dev.baton.leader.model.Role.REPLICA, 0, 3, Map.of(), "test-1.0", false, false, null));
        RestAccess a = access(null, null, List.of(), true);
        for (String member : List.of("10.0.0.1", "10.0.0.3", "2001:db8::3")) {
            assertEquals(0, status(a.check(request("POST", member, false, null, null), view)), member);
        }
        assertEquals(403, status(a.check(request("POST", "10.0.0.9", false, null, null), view)));
        assertEquals(403, status(a.check(request("POST", "10.0.0.1", false, null, null), null)),
                "no view read yet: no members known");
    }
}
