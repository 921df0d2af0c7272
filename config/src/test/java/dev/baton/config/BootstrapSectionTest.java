package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** bootstrap: initdb options in both of Patroni's forms, pg_hba, and the dcs section. */
class BootstrapSectionTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "data-checksums          | --data-checksums",
        "--data-checksums        | --data-checksums",
        "-k                      | --k",
        "{encoding: UTF8}        | --encoding=UTF8",
        "{locale: null}          | --locale",
        "'auth=md5'              | --auth=md5",
        "{wal-segsize: 32}       | --wal-segsize=32",
    })
    void initdbArgs(String item, String arg) {
        Sections s = new Sections();
        assertEquals(arg, BootstrapSection.initdbArg(Sections.tree(item), "bootstrap.initdb[0]",
                s.node("bootstrap", "{}")));
        assertEquals(Map.of(), s.errors());
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
        "pgdata              | initdb option --pgdata is set by Baton and may not be given here",
        "{pwfile: /x}        | initdb option --pwfile is set by Baton and may not be given here",
        "'--version=1'       | initdb option --version is set by Baton and may not be given here",
        "'--'                | must be an option name, got \"--\"",
        "[a]                 | must be an option name or a map with one option, got a list",
        "{a: 1, b: 2}        | must be an option name or a map with one option, got a map",
    })
    void badInitdbArgs(String item, String message) {
        Sections s = new Sections();
        assertNull(BootstrapSection.initdbArg(Sections.tree(item), "bootstrap.initdb[0]", s.node("bootstrap", "{}")));
        assertEquals(Map.of("bootstrap.initdb[0]", message), s.errors());
    }

    @Test
    void theWholeSection() {
        Sections s = new Sections();
        BootstrapConfig b = BootstrapSection.read(s.node("bootstrap", """
                dcs: {ttl: 20, loop_wait: 2}
                initdb: [data-checksums, {encoding: UTF8}, {x: [1]}]
                pg_hba: [host all all 0.0.0.0/0 md5]
                users: {admin: {}}
                """));
        assertEquals(20, b.dcs().ttl());
        assertEquals(List.of("--data-checksums", "--encoding=UTF8"), b.initdbArgs());
        assertEquals(List.of("host all all 0.0.0.0/0 md5"), b.pgHba());
        assertEquals(Map.of("bootstrap.initdb[2].x", "must be a string, got a list"), s.errors());
        assertEquals(Map.of(), s.warnings());
        assertEquals(new BootstrapUser("admin", null, List.of()), b.users().get("admin"));
        assertNull(b.postBootstrap());
        assertEquals(BootstrapConfig.Method.INITDB, b.method());
        assertNull(b.custom());
    }

    @Test
    void postBootstrapAndItsOlderNamePostInit() {
        Sections s = new Sections();
        assertEquals("/x.sh a", BootstrapSection.read(s.node("bootstrap", "post_init: /x.sh a")).postBootstrap());
        assertEquals("/y.sh", BootstrapSection.read(s.node("bootstrap", "{post_bootstrap: /y.sh, post_init: /x.sh}"))
                .postBootstrap());
        assertEquals(Map.of("bootstrap.post_init", "ignored: post_bootstrap is given too (as in Patroni)"),
                s.warnings());
        Sections blank = new Sections();
        assertNull(BootstrapSection.read(blank.node("bootstrap", "post_bootstrap: ' '")).postBootstrap());
        assertEquals(Map.of("bootstrap.post_bootstrap", "must be a command, got an empty string"), blank.errors());
        Sections list = new Sections();
        assertNull(BootstrapSection.read(list.node("bootstrap", "post_bootstrap: [a]")).postBootstrap());
        assertEquals(Map.of("bootstrap.post_bootstrap", "must be a string, got a list"), list.errors());
    }

    @Test
    void aCustomMethodAsPatroniWritesIt() {
        Sections s = new Sections();
        BootstrapConfig b = BootstrapSection.read(s.node("bootstrap", """
                method: clone
                clone:
                  command: /usr/local/bin/clone.sh --from 'node 1'
                  keep_existing_recovery_conf: true
                  recovery_conf:
                    restore_command: cp /archive/%f %p
                    recovery_target_time: '2026-12-04 10:00:00+00'
                    recovery_target_inclusive: false
                    recovery_target_action: promote
                  some-option: 5
                  scope: ignored
                """));
        assertEquals(Map.of(), s.errors());
        assertEquals(Map.of("bootstrap.clone.scope", "ignored: Baton passes --scope itself (unless no_params)"),
                s.warnings());
        assertEquals(BootstrapConfig.Method.CUSTOM, b.method());
        CustomBootstrapMethod c = b.custom();
        assertEquals("clone", c.name());
        assertEquals("/usr/local/bin/clone.sh --from 'node 1'", c.command());
        assertTrue(c.keepExistingRecoveryConf());
        assertFalse(c.noParams());
        assertEquals(Map.of("restore_command", "cp /archive/%f %p", "recovery_target_time", "2026-12-04 10:00:00+00",
                "recovery_target_inclusive", "off", "recovery_target_action", "promote"), c.recoveryConf());
        assertEquals(Map.of("some-option", "5"), c.extraArgs());
        assertNull(b.restore());
    }

    @Test
    void patronisCustomMethodNamedRestoreIsCustomBatonsRestoreIsNot() {
        Sections s = new Sections();
        BootstrapConfig custom = BootstrapSection.read(s.node("bootstrap", """
                method: restore
                restore: {command: /bin/restore.sh, no_params: true}
                """));
        assertEquals(BootstrapConfig.Method.CUSTOM, custom.method());
        assertTrue(custom.custom().noParams());
        BootstrapConfig own = BootstrapSection.read(s.node("bootstrap", """
                method: restore
                restore: {target: latest}
                """));
        assertEquals(BootstrapConfig.Method.RESTORE, own.method());
        assertNull(own.custom());
        assertEquals(Map.of(), s.errors());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "{method: clone}                                     | bootstrap.method | must be initdb, restore or the name "
            + "of a custom bootstrap method (a section bootstrap.<name> with a command), got \"clone\": there is no "
            + "section bootstrap.clone",
        "{method: dcs}                                       | bootstrap.method | must be initdb, restore or the name "
            + "of a custom bootstrap method (a section bootstrap.<name> with a command), got \"dcs\"",
        "{method: clone, clone: {no_params: true}}           | bootstrap.clone.command | is required",
        "{method: clone, clone: }                            | bootstrap.clone.command | is required",
        "{method: clone, clone: [a]}                         | bootstrap.clone | must be a map, got a list",
        "{method: clone, clone: {command: x, no_params: 7}}  | bootstrap.clone.no_params | must be a boolean (true or "
            + "false), got 7",
        "{method: clone, clone: {command: x, keep_existing_recovery_conf: maybe}} | "
            + "bootstrap.clone.keep_existing_recovery_conf | must be a boolean (true or false), got \"maybe\"",
        "{method: clone, clone: {command: x, recovery_conf: [a]}} | bootstrap.clone.recovery_conf | must be a map, "
            + "got a list",
        "{method: clone, clone: {command: x, recovery_conf: {shared_buffers: 1GB}}} | "
            + "bootstrap.clone.recovery_conf.shared_buffers | must be a recovery setting (archive_cleanup_command, "
            + "primary_conninfo, primary_slot_name, recovery_end_command, recovery_min_apply_delay, recovery_target, "
            + "recovery_target_action, recovery_target_inclusive, recovery_target_lsn, recovery_target_name, "
            + "recovery_target_time, recovery_target_timeline, recovery_target_xid, restore_command, standby_mode), "
            + "got \"shared_buffers\"",
        "{method: clone, clone: {command: x, recovery_conf: {restore_command: [a]}}} | "
            + "bootstrap.clone.recovery_conf.restore_command | must be a string, number or boolean, got a list",
        "{method: clone, clone: {command: x, 'a b': 1}}      | bootstrap.clone.a b | must be a command-line option "
            + "name (letters, digits, '_', '-') to be passed as --a b=value",
        "{method: clone, clone: {command: x, opt: {a: 1}}}   | bootstrap.clone.opt | must be a string, got a map",
        "{method: clone, clone: {command: ' '}}              | bootstrap.clone.command | is required",
    })
    void badCustomMethods(String yaml, String path, String message) {
        Sections s = new Sections();
        BootstrapSection.read(s.node("bootstrap", yaml));
        assertEquals(Map.of(path, message), s.errors());
    }

    @Test
    void aControlCharacterInARecoverySettingIsRefused() {
        Sections s = new Sections();
        BootstrapSection.read(s.node("bootstrap", "{method: c, c: {command: x, recovery_conf: "
                + "{restore_command: \"cp\\nrm\"}}}"));
        assertEquals(Map.of("bootstrap.c.recovery_conf.restore_command", "contains a control character"), s.errors());
    }
}
