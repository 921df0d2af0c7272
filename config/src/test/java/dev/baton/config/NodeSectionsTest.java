package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** tags, log and watchdog (restapi: SecuritySectionsTest). */
class NodeSectionsTest {

    @Test
    void tagsKeepEveryValueAsPlainJava() {
        Sections s = new Sections();
        Tags t = NodeSections.tags(s.node("tags", "{nofailover: 'yes', failover_priority: 2, zone: a, "
                + "list: [1, x], map: {k: true}, nostream: true}"));
        assertEquals(true, t.nofailover());
        assertEquals(2, t.failoverPriority());
        assertEquals("a", t.all().get("zone"));
        assertEquals(List.of(1, "x"), t.all().get("list"));
        assertEquals(Map.of("k", true), t.all().get("map"));
        assertEquals(true, t.nostream());
        assertEquals(0, t.priority(), "nofailover wins over failover_priority");
        assertEquals(Map.of("tags.failover_priority",
                "2 contradicts nofailover: true; nofailover wins, as in Patroni: this node is never promoted"), s.warnings());
        Sections bad = new Sections();
        NodeSections.tags(bad.node("tags", "{failover_priority: -1}"));
        assertEquals(Map.of("tags.failover_priority", "must be >= 0, got -1"), bad.errors());
    }

    /** Patroni 3.2+: nofailover, when given, wins; else failover_priority 0 means never promoted. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "{}                                          | false | 1 | false",
        "{failover_priority: 0}                      | true  | 0 | false",
        "{failover_priority: 3}                      | false | 3 | false",
        "{nofailover: true}                          | true  | 0 | false",
        "{nofailover: false, failover_priority: 0}   | false | 0 | true",
        "{nofailover: true, failover_priority: 0}    | true  | 0 | false",
        "{nofailover: false, failover_priority: 2}   | false | 2 | false",
    })
    void failoverPriorityAndNofailover(String yaml, boolean nofailover, int priority, boolean warned) {
        Sections s = new Sections();
        Tags t = NodeSections.tags(s.node("tags", yaml));
        assertEquals(nofailover, t.nofailover());
        assertEquals(priority, t.priority());
        assertEquals(warned, s.warnings().containsKey("tags.failover_priority"), s.warnings().toString());
        assertEquals(Map.of(), s.errors());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "{}                                   | INFO    | plain |",
        "{level: debug, format: json}         | DEBUG   | json  |",
        "{type: JSON, dir: /var/log/baton}    | INFO    | json  | /var/log/baton",
        "{format: plain, type: json}          | INFO    | plain |",
    })
    void log(String yaml, String level, String format, String dir) {
        Sections s = new Sections();
        assertEquals(new LogConfig(level, format, dir == null ? null : Path.of(dir)), NodeSections.log(s.node("log", yaml)));
        assertEquals(Map.of(), s.errors());
    }

    @Test
    void logMistakes() {
        Sections s = new Sections();
        NodeSections.log(s.node("log", "{level: loud, format: '%(message)s', type: xml}"));
        assertEquals(Map.of("log.level", "must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got \"LOUD\"",
                "log.type", "must be plain or json, got \"xml\""), s.errors());
        assertEquals(Map.of("log.format", "Python logging format strings are not supported by Baton, ignored"),
                s.warnings());
    }

    @ParameterizedTest(name = "mode {0} is {1}")
    @CsvSource({"off, off", "false, off", "disabled, off", "true, automatic", "auto, automatic",
        "automatic, automatic", "require, required", "required, required"})
    void watchdogModes(String mode, String expected) {
        Sections s = new Sections();
        assertEquals(expected, NodeSections.watchdog(s.node("watchdog", "mode: " + mode)).mode());
        assertEquals(Map.of(), s.errors());
    }

    @Test
    void watchdogMistakes() {
        Sections s = new Sections();
        WatchdogConfig w = NodeSections.watchdog(s.node("watchdog", "{mode: sometimes, safety_margin: -2, driver: x}"));
        assertEquals(WatchdogConfig.DEFAULT_MODE, w.mode());
        assertEquals(Map.of("watchdog.mode", "must be off, automatic or required, got \"sometimes\"",
                "watchdog.safety_margin", "must be >= -1, got -2"), s.errors());
        assertEquals(Map.of("watchdog.driver", ConfigNode.UNSUPPORTED), s.warnings());
    }

    @Test
    void watchdogServiceSocket() {
        Sections s = new Sections();
        assertNull(NodeSections.watchdog(s.node("watchdog", "{mode: automatic}")).serviceSocket());
        assertEquals("/run/baton/watchdog.sock",
                NodeSections.watchdog(s.node("watchdog", "{service_socket: /run/baton/watchdog.sock}")).serviceSocket());
        assertNull(NodeSections.watchdog(s.node("watchdog", "{service_socket: ''}")).serviceSocket(), "empty: none");
        assertEquals(Map.of(), s.errors());
        assertEquals(Map.of(), s.warnings());

        Sections relative = new Sections();
        assertNull(NodeSections.watchdog(relative.node("watchdog", "{service_socket: run/wd.sock}")).serviceSocket());
        assertEquals(Map.of("watchdog.service_socket", "must be an absolute path, got \"run/wd.sock\""),
                relative.errors());
        Sections tooLong = new Sections();
        NodeSections.watchdog(tooLong.node("watchdog", "{service_socket: /" + "x".repeat(107) + "}"));
        assertEquals(Map.of("watchdog.service_socket", "must be a Unix socket path of at most 107 bytes without "
                + "control characters"), tooLong.errors());
    }

    @Test
    void toJava() {
        assertNull(NodeSections.toJava(null));
        assertNull(NodeSections.toJava(Sections.tree("null")));
        assertEquals(1.5, NodeSections.toJava(Sections.tree("1.5")));
        assertEquals("x", NodeSections.toJava(Sections.tree("x")));
    }
}
