package dev.baton.cli.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The /proc parsing behind the process faults on an existing local cluster, on sample file contents. */
class LocalProcessesTest {

    private static final String TCP = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1001        0 2223389 1 000000006b537350 100 0 0 10 0
               1: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1001        0 2253724 1 0000000076259dd8 100 0 0 10 0
               2: 00000000:1F41 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1001        0 2222425 1 0000000087d4c480 100 0 0 10 0
               3: 0100007F:1F40 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000  1001        0 2299999 1 0000000087d4c480 20 4 30 10 -1
               4: 0200007F:1F42 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1001        0 2222426 1 0000000087d4c480 100 0 0 10 0
               5: 0100007F:D2F0 0100007F:1F42 06 00000000:00000000 03:00000d6b 00000000     0        0 0 3 0000000000000000
            """;

    private static final String TCP6 = """
              sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0000000000000000FFFF00000100007F:9BB9 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1001        0 2222439 1 000000009dcf3ca7 100 0 0 10 0
               1: 00000000000000000000000001000000:1F43 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1001        0 2222440 1 000000009dcf3ca7 100 0 0 10 0
               2: 00000000000000000000000000000000:1F44 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1001        0 2222441 1 000000009dcf3ca7 100 0 0 10 0
            """;

    private static final String STAT = "7228 (cat) R 7223 7223 28977 0 -1 4194304 98 0 0 0 0 0 0 0 20 0 1 0 1266484 "
            + "3133440 358 18446744073709551615 94161200893952 94161200913833 140722342575792 0 0 0 0 0 0 0 0 0 17 1 0 0 "
            + "0 0 0 94161200929840 94161200931456 94161310728192 140722342578715 140722342578735 140722342578735 "
            + "140722342580203 0\n";

    private static Set<InetAddress> loopback() throws Exception {
        return Set.of(InetAddress.getByName("127.0.0.1"));
    }

    @Test
    void theListenSocketOnAPortFromProcNetTcp() throws Exception {
        // 0x1F40 = 8000 on 127.0.0.1: the LISTEN line, not the ESTABLISHED one (st 01) on the same port.
        assertEquals(List.of(2223389L), LocalProcesses.listenInodes(TCP, 8000, loopback()));
        // 0x1F41 = 8001 on the wildcard address matches any wanted address.
        assertEquals(List.of(2222425L), LocalProcesses.listenInodes(TCP, 8001, loopback()));
        // 0x1F42 = 8002 on 127.0.0.2 is not 127.0.0.1; TIME_WAIT (06) lines with inode 0 never count.
        assertEquals(List.of(), LocalProcesses.listenInodes(TCP, 8002, loopback()));
        assertEquals(List.of(2222426L), LocalProcesses.listenInodes(TCP, 8002, Set.of()));
        assertEquals(List.of(2253724L), LocalProcesses.listenInodes(TCP, 5432, loopback())); // 0x1538
        assertEquals(List.of(), LocalProcesses.listenInodes(TCP, 5433, loopback()));
        // The header line and garbage are skipped.
        assertEquals(List.of(), LocalProcesses.listenInodes("garbage\n  sl  local_address\n", 8000, Set.of()));
    }

    @Test
    void theListenSocketOnAPortFromProcNetTcp6() throws Exception {
        // ::ffff:127.0.0.1 port 0x9BB9 = 39865 is the IPv4 loopback.
        assertEquals(List.of(2222439L), LocalProcesses.listenInodes(TCP6, 39865, loopback()));
        // ::1 port 0x1F43 = 8003, and :: (wildcard) port 0x1F44 = 8004.
        assertEquals(List.of(2222440L), LocalProcesses.listenInodes(TCP6, 8003, Set.of(InetAddress.getByName("::1"))));
        assertEquals(List.of(), LocalProcesses.listenInodes(TCP6, 8003, loopback()));
        assertEquals(List.of(2222441L), LocalProcesses.listenInodes(TCP6, 8004, loopback()));
    }

    @Test
    void addressesAreLittleEndianWords() throws Exception {
        assertEquals(InetAddress.getByName("127.0.0.1"), LocalProcesses.decodeAddress("0100007F"));
        assertEquals(InetAddress.getByName("10.1.2.3"), LocalProcesses.decodeAddress("0302010A"));
        assertEquals(InetAddress.getByName("::1"), LocalProcesses.decodeAddress("00000000000000000000000001000000"));
        assertEquals(InetAddress.getByName("127.0.0.1"),
                LocalProcesses.decodeAddress("0000000000000000FFFF00000100007F"));
        assertEquals(InetAddress.getByName("fe80::1"), LocalProcesses.decodeAddress("000080FE000000000000000001000000"));
        assertNull(LocalProcesses.decodeAddress("0100007"));
        assertNull(LocalProcesses.decodeAddress("zz00007F"));
    }

    @Test
    void thePostmasterPidIsTheFirstLineOfPostmasterPid() throws Exception {
        String file = "4711\n/var/lib/postgresql/15/main\n1732243101\n5432\n/var/run/postgresql\n127.0.0.1\n"
                + "  5432001    131074\nready   \n";
        assertEquals(4711, LocalProcesses.postmasterPid(file));
        assertEquals(4712, LocalProcesses.postmasterPid("-4712\n/data\n"), "single-user mode writes the pid negated");
        assertThrows(LocalProcesses.NotFound.class, () -> LocalProcesses.postmasterPid(""));
        assertThrows(LocalProcesses.NotFound.class, () -> LocalProcesses.postmasterPid("abc\n"));
        assertThrows(LocalProcesses.NotFound.class, () -> LocalProcesses.postmasterPid("0\n"));
    }

    @Test
    void theStartTimeIsField22OfStat() throws Exception {
        assertEquals(1266484L, LocalProcesses.startTime(STAT));
        assertEquals(7223L, LocalProcesses.parentPid(STAT));
        assertEquals('R', LocalProcesses.state(STAT));
        // A command name with spaces and parentheses: the fields start after the last ')'.
        String odd = STAT.replace("(cat)", "(a) b (c))");
        assertEquals(1266484L, LocalProcesses.startTime(odd));
        assertEquals(7223L, LocalProcesses.parentPid(odd));
        assertThrows(LocalProcesses.NotFound.class, () -> LocalProcesses.startTime("7228 (cat) R 1 2 3\n"));
        assertThrows(LocalProcesses.NotFound.class, () -> LocalProcesses.startTime("nonsense"));
    }

    @Test
    void cmdlineAndEnvironAreNulSeparated() {
        byte[] cmdline = "/usr/bin/python3\0/usr/bin/patroni\0/tmp/p/node1.yml\0".getBytes(StandardCharsets.UTF_8);
        assertEquals(List.of("/usr/bin/python3", "/usr/bin/patroni", "/tmp/p/node1.yml"), LocalProcesses.splitNul(cmdline));
        // Empty arguments are kept; a missing final NUL loses nothing.
        assertEquals(List.of("a", "", "b c"), LocalProcesses.splitNul("a\0\0b c".getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of(), LocalProcesses.splitNul(new byte[0]));
        byte[] environ = "PATH=/usr/bin:/bin\0PGPASSFILE=/x/pgpass\0X=a=b\0junk\0EMPTY=\0".getBytes(StandardCharsets.UTF_8);
        Map<String, String> env = LocalProcesses.environ(environ);
        assertEquals(List.of("PATH", "PGPASSFILE", "X", "EMPTY"), List.copyOf(env.keySet()));
        assertEquals("a=b", env.get("X"));
        assertEquals("", env.get("EMPTY"));
    }

    @Test
    void theHolderOfASocketIsTheTopmostProcess() {
        Map<Long, Long> holders = new LinkedHashMap<>();
        holders.put(200L, 100L);
        assertEquals(200L, LocalProcesses.topmost(holders));
        holders.put(300L, 200L); // a forked child that inherited the socket
        assertEquals(200L, LocalProcesses.topmost(holders));
        holders.put(400L, 1L); // an unrelated second holder: ambiguous
        assertNull(LocalProcesses.topmost(holders));
        assertNull(LocalProcesses.topmost(Map.of()));
    }

    @Test
    void localHosts() {
        assertTrue(LocalProcesses.isLocalHost("127.0.0.1"));
        assertTrue(LocalProcesses.isLocalHost("127.0.0.2"));
        assertTrue(LocalProcesses.isLocalHost("::1"));
        assertTrue(LocalProcesses.isLocalHost("[::1]"));
        assertTrue(LocalProcesses.isLocalHost("localhost"));
        assertFalse(LocalProcesses.isLocalHost("192.0.2.10")); // TEST-NET-1: nobody's address
        assertFalse(LocalProcesses.isLocalHost(""));
        assertFalse(LocalProcesses.isLocalHost(null));
    }

    @Test
    void aLaunchMakesArgv0AbsoluteFromExe() {
        LocalProcesses.Launch l = new LocalProcesses.Launch(List.of("python3", "/usr/bin/patroni", "n.yml"),
                Path.of("/usr/bin/python3.11"), Path.of("/tmp"), Map.of(), null, null);
        assertEquals(List.of("/usr/bin/python3.11", "/usr/bin/patroni", "n.yml"), l.command());
        LocalProcesses.Launch abs = new LocalProcesses.Launch(List.of("/usr/bin/java", "-jar", "b.jar"),
                Path.of("/usr/lib/jvm/x/bin/java"), Path.of("/tmp"), Map.of(), null, null);
        assertEquals(List.of("/usr/bin/java", "-jar", "b.jar"), abs.command());
    }

    // ------------------------------------------------------------------ a fake /proc

    private static void process(Path proc, long pid, long ppid, long start, String... fdLinks) throws Exception {
        Path d = Files.createDirectories(proc.resolve(Long.toString(pid)).resolve("fd"));
        Files.writeString(d.getParent().resolve("stat"), pid + " (x) S " + ppid
                + " 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 " + start + " 0 0\n");
        int fd = 0;
        for (String link : fdLinks) {
            Files.createSymbolicLink(d.resolve(Integer.toString(fd++)), Path.of(link));
        }
    }

    @Test
    void theAgentIsTheProcessHoldingTheListenSocket(@TempDir Path proc) throws Exception {
        Files.createDirectories(proc.resolve("net"));
        Files.writeString(proc.resolve("net").resolve("tcp"), TCP);
        Files.writeString(proc.resolve("net").resolve("tcp6"), TCP6);
        process(proc, 100, 1, 5000, "/dev/null", "socket:[1]");
        process(proc, 200, 1, 6000, "/dev/null", "/tmp/log", "socket:[2223389]", "pipe:[7]");
        process(proc, 201, 200, 6100, "socket:[2223389]"); // a child that inherited it
        process(proc, 300, 1, 7000, "socket:[2222440]");
        LocalProcesses p = new LocalProcesses(proc);
        assertEquals(new LocalProcesses.Proc(200, 6000), p.listener(8000, loopback()));
        assertEquals(new LocalProcesses.Proc(300, 7000), p.listener(8003, Set.of(InetAddress.getByName("::1"))));
        LocalProcesses.NotFound none = assertThrows(LocalProcesses.NotFound.class, () -> p.listener(9999, loopback()));
        assertTrue(none.getMessage().contains("nothing listens on port 9999"), none.getMessage());
        // Listening, but held by no process we can read (another user's).
        LocalProcesses.NotFound other = assertThrows(LocalProcesses.NotFound.class, () -> p.listener(8001, loopback()));
        assertTrue(other.getMessage().contains("another user's"), other.getMessage());
        assertTrue(p.alive(new LocalProcesses.Proc(200, 6000)));
        assertFalse(p.alive(new LocalProcesses.Proc(200, 6001)), "a recycled pid has another start time");
        assertFalse(p.alive(new LocalProcesses.Proc(999, 6000)));
    }

    @Test
    void thePostmasterMustRunInItsDataDirectory(@TempDir Path tmp) throws Exception {
        Path proc = Files.createDirectories(tmp.resolve("proc"));
        Path data = Files.createDirectories(tmp.resolve("data"));
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        LocalProcesses p = new LocalProcesses(proc);
        LocalProcesses.NotFound down = assertThrows(LocalProcesses.NotFound.class, () -> p.postmaster(data));
        assertTrue(down.getMessage().contains("postgres is not running"), down.getMessage());
        Files.writeString(data.resolve("postmaster.pid"), "4711\n" + data + "\n1732243101\n5432\n");
        LocalProcesses.NotFound gone = assertThrows(LocalProcesses.NotFound.class, () -> p.postmaster(data));
        assertTrue(gone.getMessage().contains("pid 4711 is not running"), gone.getMessage());
        process(proc, 4711, 1, 9000);
        Files.createSymbolicLink(proc.resolve("4711").resolve("cwd"), elsewhere);
        LocalProcesses.NotFound recycled = assertThrows(LocalProcesses.NotFound.class, () -> p.postmaster(data));
        assertTrue(recycled.getMessage().contains("is not the postmaster of"), recycled.getMessage());
        Files.delete(proc.resolve("4711").resolve("cwd"));
        Files.createSymbolicLink(proc.resolve("4711").resolve("cwd"), data);
        assertEquals(new LocalProcesses.Proc(4711, 9000), p.postmaster(data));
    }

    @Test
    void howAProcessWasStarted(@TempDir Path tmp) throws Exception {
        Path proc = Files.createDirectories(tmp.resolve("proc"));
        Path log = Files.writeString(tmp.resolve("patroni.log"), "");
        process(proc, 500, 1, 123, "/dev/null", log.toString(), log.toString() + " (deleted)");
        Path d = proc.resolve("500");
        Files.write(d.resolve("cmdline"), "/usr/bin/python3\0/usr/bin/patroni\0node1.yml\0".getBytes(StandardCharsets.UTF_8));
        Files.write(d.resolve("environ"), "HOME=/home/baton\0LANG=C.UTF-8\0".getBytes(StandardCharsets.UTF_8));
        Files.createSymbolicLink(d.resolve("cwd"), tmp);
        Files.createSymbolicLink(d.resolve("exe"), Path.of("/usr/bin/python3.11"));
        LocalProcesses.Launch l = new LocalProcesses(proc).launch(new LocalProcesses.Proc(500, 123));
        assertEquals(List.of("/usr/bin/python3", "/usr/bin/patroni", "node1.yml"), l.argv());
        assertEquals(tmp, l.cwd());
        assertEquals(Map.of("HOME", "/home/baton", "LANG", "C.UTF-8"), l.env());
        assertEquals(log, l.stdout(), "fd 1 is a regular file: the restarted process appends to it");
        assertNull(l.stderr(), "fd 2 points at a deleted file: the drill's own log is used");
        assertThrows(LocalProcesses.NotFound.class,
                () -> new LocalProcesses(proc).launch(new LocalProcesses.Proc(500, 124)));
    }
}
