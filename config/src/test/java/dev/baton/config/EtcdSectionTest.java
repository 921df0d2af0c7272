package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The etcd3 section's host forms and their key paths. */
class EtcdSectionTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "hosts: [a:2379, 'b:2379']           | a:2379,b:2379",
        "hosts: a:2379, b:2379               | a:2379,b:2379",
        "hosts: \"['a:2379','b:2379']\"      | a:2379,b:2379",
        "hosts: '[\"a:2379\"]'               | a:2379",
        "host: a:2379                        | a:2379",
        "{hosts: '[::1]:2379', host: b:1}    | [::1]:2379",
    })
    void hostForms(String yaml, String hosts) {
        Sections s = new Sections();
        EtcdConfig c = EtcdSection.read(s.node("etcd3", yaml));
        assertEquals(List.of(hosts.split(",")), c.hosts());
        assertEquals(Map.of(), s.errors());
    }

    @Test
    void eachBadEntryIsReportedAtItsOwnPath() {
        Sections s = new Sections();
        EtcdConfig c = EtcdSection.read(s.node("etcd3", "{hosts: [a:1, {x: 1}, 'b', c:2], protocol: ftp}"));
        assertEquals(List.of("a:1", "c:2"), c.hosts());
        assertEquals(Map.of(
                "etcd3.hosts[1]", "must be a string, got a map",
                "etcd3.hosts[2]", "must be host:port, got \"b\"",
                "etcd3.protocol", "must be http or https, got \"ftp\""), s.errors());
    }

    @Test
    void atLeastOneHostUnderTheSectionsOwnName() {
        Sections s = new Sections();
        EtcdSection.read(s.node("etcd", "{}"));
        assertEquals(Map.of("etcd.hosts", "at least one etcd host is required (etcd.hosts, etcd.host or etcd.url)"), s.errors());
        Sections m = new Sections();
        EtcdSection.read(m.node("etcd3", "hosts: {a: 1}"));
        assertEquals(Map.of("etcd3.hosts", "must be a list of host:port or a comma-separated string, got a map"),
                m.errors());
    }

    @Test
    void hostIsIgnoredBesideHostsAndTlsIsRead() {
        Sections s = new Sections();
        EtcdSection.read(s.node("etcd3", "{hosts: a:1, host: b:1, cacert: /x}"));
        assertEquals(Map.of("etcd3.host", "ignored, etcd3.hosts is set"), s.warnings());
    }

    @Test
    void splitHostList() {
        assertEquals(List.of("a:1", "b:2"), EtcdSection.splitHostList(" a:1 , b:2 "));
        assertEquals(List.of("a:1", "b:2"), EtcdSection.splitHostList("['a:1', \"b:2\"]"));
        assertEquals(List.of("a:1", ""), EtcdSection.splitHostList("a:1,"), "an empty entry is kept, to be reported");
        assertEquals(List.of("'a:1\""), EtcdSection.splitHostList("'a:1\""), "mismatched quotes stay");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "url: http://e1:2379                          | e1:2379    | http",
        "url: 'https://e1:2379/'                      | e1:2379    | https",
        "{url: 'HTTPS://[::1]:2379', protocol: https} | [::1]:2379 | https",
        "{url: 'http://x:1', hosts: [e1:2379]}        | e1:2379    | http",
    })
    void urlIsOneEndpointAndItsProtocol(String yaml, String hosts, String protocol) {
        Sections s = new Sections();
        EtcdConfig c = EtcdSection.read(s.node("etcd3", yaml));
        assertEquals(List.of(hosts), c.hosts());
        assertEquals(protocol, c.protocol());
        assertEquals(Map.of(), s.errors());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "url: 'https://root:S3cret@e1:2379'    | etcd3.url      | must not hold a user or password: give etcd3.username and etcd3.password",
        "url: 'grpc://e1:2379'                 | etcd3.url      | must be an http:// or https:// URL such as https://host:2379",
        "url: 'https://e1'                     | etcd3.url      | must name a host and a port, such as https://host:2379",
        "url: 'https://e1:2379/v3?x=S3cret'    | etcd3.url      | must be only scheme, host and port, such as https://host:2379",
        "url: 'https://e 1:2379 S3cret'        | etcd3.url      | must be a URL such as https://host:2379",
        "{url: 'http://e1:2379', protocol: https} | etcd3.protocol | is https, but etcd3.url is http://: give one",
        "{url: 'http://e1:2379', cacert: /ca}  | etcd3.url      | is http://, but TLS files are set (cacert, cert, key): use https://, or remove them",
    })
    void badUrlsAreRefusedWithoutShowingThem(String yaml, String path, String message) {
        Sections s = new Sections();
        EtcdSection.read(s.node("etcd3", yaml));
        assertEquals(Map.of(path, message), s.errors());
    }
}
