package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
        assertEquals(Map.of("bootstrap.users", BootstrapSection.NOT_CREATED + ": admin"), s.warnings());
        assertEquals(new BootstrapUser("admin", null, List.of()), b.users().get("admin"));
    }
}
