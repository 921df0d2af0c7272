package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The socket pgjdbc gets for use_unix_socket, against a Unix-domain server in a temporary directory. */
class UnixSocketFactoryTest {
    @TempDir
    Path tmp;

    @Test
    void itIsConnectedAtOnceCarriesBytesBothWaysAndHonoursTheReadTimeout() throws Exception {
        Path file = tmp.resolve(".s.PGSQL.5432");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(file));
            try (Socket s = new UnixSocketFactory(file.toString()).createSocket();
                 SocketChannel peer = server.accept()) {
                assertTrue(s.isConnected(), "pgjdbc then skips connect() and never resolves the URL's host");
                s.getOutputStream().write(new byte[] {1, 2, 3});
                ByteBuffer got = ByteBuffer.allocate(3);
                while (got.hasRemaining()) {
                    peer.read(got);
                }
                assertArrayEquals(new byte[] {1, 2, 3}, got.array());

                peer.write(ByteBuffer.wrap(new byte[] {9, 8}));
                byte[] buf = new byte[10];
                int n = s.getInputStream().read(buf, 0, 10);
                assertTrue(n >= 1);
                s.setSoTimeout(50);
                assertEquals(50, s.getSoTimeout());
                if (n == 1) {
                    assertEquals(8, s.getInputStream().read());
                }
                assertThrows(SocketTimeoutException.class, () -> s.getInputStream().read(buf, 0, 10),
                        "socketTimeout: a read waits at most SO_TIMEOUT");
                peer.close();
                s.setSoTimeout(0);
                assertEquals(-1, s.getInputStream().read(buf, 0, 10), "end of stream when the server closes");
            }
        }
    }

    @Test
    void aMissingSocketIsAnIoErrorNamingIt() {
        Path file = tmp.resolve("nothing/.s.PGSQL.1");
        IOException e = assertThrows(IOException.class, () -> new UnixSocketFactory(file.toString()).createSocket());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }
}
