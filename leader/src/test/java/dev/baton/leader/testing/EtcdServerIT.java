package dev.baton.leader.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EtcdServerIT {

    @Test
    void startsStopsRestartsWithTheSameDataAndCleansUp() {
        Path dir;
        try (EtcdServer etcd = EtcdServer.start()) {
            dir = etcd.directory();
            assertTrue(etcd.isRunning());
            assertEquals("127.0.0.1:" + etcd.clientPort(), etcd.endpoint());
            assertEquals("http://127.0.0.1:" + etcd.clientPort(), etcd.clientUrl());
            assertNotEquals(etcd.clientPort(), etcd.peerPort());
            assertTrue(Files.exists(etcd.logFile()));

            etcd.put("/service/a/x", "1");
            etcd.put("/service/a/y", "");
            etcd.put("/service/b/z", "3");
            assertEquals(Map.of("/service/a/x", "1", "/service/a/y", ""), etcd.getPrefix("/service/a/"));
            assertEquals(Optional.of("3"), etcd.get("/service/b/z"));

            etcd.stop();
            assertFalse(etcd.isRunning());
            assertFalse(portOpen(etcd.clientPort()));
            etcd.stop();   // idempotent

            etcd.restart();
            assertTrue(etcd.isRunning());
            assertEquals(Optional.of("1"), etcd.get("/service/a/x"), "data survives a restart");

            etcd.kill();
            assertFalse(etcd.isRunning());
            etcd.restart();
            etcd.delete("/service/a/x");
            assertEquals(Optional.empty(), etcd.get("/service/a/x"));
        }
        assertFalse(Files.exists(dir), "close deletes the directory");
    }

    @Test
    void twoServersAreIndependent() {
        try (EtcdServer one = EtcdServer.start(); EtcdServer two = EtcdServer.start()) {
            assertNotEquals(one.clientPort(), two.clientPort());
            assertNotEquals(one.directory(), two.directory());
            one.put("/k", "one");
            assertEquals(Optional.empty(), two.get("/k"));
        }
    }

    @Test
    void freezeAndThaw() {
        try (EtcdServer etcd = EtcdServer.start()) {
            etcd.freeze();
            assertThrows(RuntimeException.class, () -> etcd.get("/k"));
            etcd.thaw();
            etcd.put("/k", "v");
            assertEquals(Optional.of("v"), etcd.get("/k"));
            etcd.freeze();
            // stop() of a frozen server still works (it is continued first).
        }
    }

    @Test
    void portsAreNotHandedOutTwice() {
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            int port = Ports.freePort();
            assertTrue(port > 0 && port < 65536);
            assertTrue(seen.add(port), "port " + port + " handed out twice");
        }
    }

    private static boolean portOpen(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(Ports.loopback(), port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
