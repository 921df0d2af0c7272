package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** restapi, ctl and etcd3 security keys: read as Patroni reads them, and fail closed. */
class SecuritySectionsTest {

    @Test
    void restapiAddresses() {
        Sections s = new Sections();
        RestApiConfig api = SecuritySections.restapi(s.node("restapi", "{listen: '[::]:8008'}"));
        assertEquals("[::]:8008", api.listen());
        assertEquals("127.0.0.1:8008", api.connectAddress());
        assertFalse(api.https());
        assertEquals("http", api.scheme());
        Sections bad = new Sections();
        SecuritySections.restapi(bad.node("restapi", "{connect_address: x}"));
        assertEquals(Map.of("restapi.listen", "is required", "restapi.connect_address", "must be host:port, got \"x\""),
                bad.errors());
    }

    @Test
    void restapiWithEverySecurityKey() {
        Sections s = new Sections();
        RestApiConfig api = SecuritySections.restapi(s.node("restapi", """
                listen: 127.0.0.1:8008
                certfile: /etc/baton/node.crt
                keyfile: /etc/baton/node.key
                keyfile_password: kp
                cafile: /etc/baton/ca.crt
                ciphers: ECDHE-ECDSA-AES128-GCM-SHA256
                verify_client: required
                authentication: {username: admin, password: 's3:cret'}
                allowlist: [127.0.0.1, 10.0.0.0/8, 'fd00::/8', db1.example.com]
                allowlist_include_members: true
                http_extra_headers: {X-Frame-Options: SAMEORIGIN}
                https_extra_headers: {Strict-Transport-Security: max-age=31536000}
                """));
        assertEquals(Map.of(), s.errors());
        assertEquals(Map.of(), s.warnings());
        assertTrue(api.https());
        assertEquals(new TlsFiles(Path.of("/etc/baton/node.crt"), Path.of("/etc/baton/node.key"), "kp",
                Path.of("/etc/baton/ca.crt")), api.tls());
        assertEquals(VerifyClient.REQUIRED, api.verifyClient());
        assertEquals(new BasicAuth("admin", "s3:cret"), api.authentication());
        assertEquals(List.of("127.0.0.1", "10.0.0.0/8", "fd00::/8", "db1.example.com"), api.allowlist());
        assertTrue(api.allowlistIncludeMembers());
        assertEquals(Map.of("X-Frame-Options", "SAMEORIGIN"), api.httpExtraHeaders());
        assertEquals("ECDHE-ECDSA-AES128-GCM-SHA256", api.ciphers());
        assertFalse(api.toString().contains("s3:cret"), api.toString());
        assertFalse(api.toString().contains("kp,"), api.toString());
        assertEquals("Basic YWRtaW46czM6Y3JldA==", api.authentication().header());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            keyfile without certfile       | {listen: '127.0.0.1:8008', keyfile: /k}                                | restapi.keyfile          | needs restapi.certfile: without it the REST API speaks plain HTTP
            cafile without certfile        | {listen: '127.0.0.1:8008', cafile: /ca}                                | restapi.cafile           | needs restapi.certfile: without it the REST API speaks plain HTTP
            verify_client without https    | {listen: '127.0.0.1:8008', verify_client: required}                    | restapi.verify_client    | needs restapi.certfile: client certificates exist only over HTTPS
            verify_client without cafile   | {listen: '127.0.0.1:8008', certfile: /c, verify_client: optional}      | restapi.verify_client    | optional needs restapi.cafile: the CA that client certificates are verified against
            verify_client misspelled       | {listen: '127.0.0.1:8008', certfile: /c, verify_client: yes}            | restapi.verify_client    | must be none, optional or required, got "true"
            password without username      | {listen: '127.0.0.1:8008', authentication: {password: p}}              | restapi.authentication.username | is required with restapi.authentication.password
            username without password      | {listen: '127.0.0.1:8008', authentication: {username: u}}              | restapi.authentication.password | is required with restapi.authentication.username
            colon in user name             | {listen: '127.0.0.1:8008', authentication: {username: 'a:b', password: p}} | restapi.authentication.username | must not contain ':' or control characters
            legacy auth malformed          | {listen: '127.0.0.1:8008', auth: nocolon}                              | restapi.auth             | must be "username:password"
            allowlist junk                 | {listen: '127.0.0.1:8008', allowlist: ['10.0.0.0/33']}                 | restapi.allowlist[0]     | must be an address, a network (address/bits) or a host name, got "10.0.0.0/33"
            allowlist bad host             | {listen: '127.0.0.1:8008', allowlist: ['a b']}                         | restapi.allowlist[0]     | must be an address, a network (address/bits) or a host name, got "a b"
            header injection               | {listen: '127.0.0.1:8008', http_extra_headers: {X-A: "v\\r\\nSet-Cookie: x"}} | restapi.http_extra_headers.X-A | contains a control character (a header value cannot hold a line break)
            header name                    | {listen: '127.0.0.1:8008', http_extra_headers: {"X A": v}}            | restapi.http_extra_headers.X A | is not a valid HTTP header name
            """)
    void restapiRefusals(String what, String yaml, String path, String message) {
        Sections s = new Sections();
        SecuritySections.restapi(s.node("restapi", yaml));
        assertEquals(message, s.errors().get(path), what + ": " + s.errors());
    }

    @Test
    void legacyAuthAndEnvironmentStyleValues() {
        Sections s = new Sections();
        RestApiConfig api = SecuritySections.restapi(s.node("restapi", """
                {listen: '127.0.0.1:8008', auth: 'u:p:q', allowlist: '127.0.0.1,db1', http_extra_headers: '{X-A: b}'}
                """));
        assertEquals(Map.of(), s.errors());
        assertEquals(new BasicAuth("u", "p:q"), api.authentication());
        assertEquals(List.of("127.0.0.1", "db1"), api.allowlist());
        assertEquals(Map.of("X-A", "b"), api.httpExtraHeaders());
    }

    @Test
    void ctlFallsBackToRestapiAsPatronictlDoes() {
        Sections s = new Sections();
        RestApiConfig api = SecuritySections.restapi(s.node("restapi", """
                {listen: '127.0.0.1:8008', certfile: /n.crt, keyfile: /n.key, cafile: /ca.crt,
                 authentication: {username: a, password: p}}
                """));
        CtlConfig none = SecuritySections.ctl(s.node("ctl", "{}"));
        CtlConfig effective = CtlConfig.effective(none, api);
        assertEquals(new TlsFiles(Path.of("/n.crt"), Path.of("/n.key"), null, Path.of("/ca.crt")), effective.tls());
        assertEquals(new BasicAuth("a", "p"), effective.authentication());

        CtlConfig own = SecuritySections.ctl(s.node("ctl", """
                {certfile: /op.crt, keyfile: /op.key, keyfile_password: x, cacert: /ca2.crt, insecure: 'true',
                 authentication: {username: op, password: q}}
                """));
        CtlConfig e2 = CtlConfig.effective(own, api);
        assertEquals(new TlsFiles(Path.of("/op.crt"), Path.of("/op.key"), "x", Path.of("/ca2.crt")), e2.tls());
        assertEquals(new BasicAuth("op", "q"), e2.authentication());
        assertTrue(e2.insecure());
        assertEquals(Map.of(), s.errors());

        CtlConfig legacy = SecuritySections.ctl(s.node("ctl", "{auth: 'x:y', cafile: /c.crt}"));
        assertEquals(new BasicAuth("x", "y"), legacy.authentication());
        assertEquals(Path.of("/c.crt"), legacy.tls().cafile());
        Sections bad = new Sections();
        SecuritySections.ctl(bad.node("ctl", "{keyfile: /k}"));
        assertEquals(Map.of("ctl.keyfile", "needs ctl.certfile: the client certificate"), bad.errors());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            plain                      | {hosts: 'a:1'}                                     | http  | -                   | -
            https                      | {hosts: 'a:1', protocol: HTTPS, cacert: /ca}       | https | -                   | -
            cacert implies https       | {hosts: 'a:1', cacert: /ca}                        | https | -                   | -
            http with certificates     | {hosts: 'a:1', protocol: http, cert: /c, key: /k}  | http  | etcd3.protocol      | is http, but TLS files are set (cacert, cert, key): set protocol: https, or remove them
            unknown protocol           | {hosts: 'a:1', protocol: grpc}                     | https | etcd3.protocol      | must be http or https, got "grpc"
            key without cert           | {hosts: 'a:1', protocol: https, key: /k}           | https | etcd3.key           | needs etcd3.cert: the client certificate
            user without password      | {hosts: 'a:1', username: root}                     | http  | etcd3.password      | is required with etcd3.username
            """)
    void etcd(String what, String yaml, String protocol, String errorPath, String message) {
        Sections s = new Sections();
        EtcdConfig e = EtcdSection.read(s.node("etcd3", yaml));
        assertEquals(protocol, e.protocol(), what);
        if (errorPath == null) {
            assertEquals(Map.of(), s.errors(), what);
        } else {
            assertEquals(message, s.errors().get(errorPath), what + ": " + s.errors());
        }
    }

    @Test
    void etcdCredentialsAreKeptAndMasked() {
        Sections s = new Sections();
        EtcdConfig e = EtcdSection.read(s.node("etcd3", """
                {hosts: ['a:1', 'b:2'], protocol: https, cacert: /ca, cert: /c, key: /k, key_password: kp,
                 username: baton, password: pw}
                """));
        assertEquals(Map.of(), s.errors());
        assertEquals(List.of("https://a:1", "https://b:2"), e.endpoints());
        assertEquals(new TlsFiles(Path.of("/c"), Path.of("/k"), "kp", Path.of("/ca")), e.tls());
        assertEquals("baton", e.username());
        assertEquals("pw", e.password());
        assertFalse(e.toString().contains("pw]"), e.toString());
        assertFalse(e.toString().contains("kp"), e.toString());
        assertNull(EtcdSection.read(new Sections().node("etcd3", "{hosts: 'a:1'}")).username());
    }
}
