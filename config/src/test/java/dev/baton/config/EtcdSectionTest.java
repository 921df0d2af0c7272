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
        assertEquals(Map.of("etcd.hosts", "at least one etcd host is required (etcd.hosts or etcd.host)"), s.errors());
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
}
