package dev.baton.agent.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import javax.net.SocketFactory;

/**
 * pgjdbc's {@code socketFactory} for {@code postgresql.use_unix_socket}: connects to PostgreSQL's
 * Unix-domain socket with the JDK's own support (Java 16+), no native library. pgjdbc builds it
 * with its {@code socketFactoryArg}, the socket file ({@code <dir>/.s.PGSQL.<port>}), and gets a
 * socket that is already connected, so it never resolves the host of the URL.
 *
 * <p>The socket honours what pgjdbc asks of it: {@code setSoTimeout} (a read waits at most that
 * long, then {@link SocketTimeoutException}, as {@code socketTimeout} needs), and the buffer
 * sizes it reads; the TCP options are meaningless here and ignored.
 */
public final class UnixSocketFactory extends SocketFactory {
    private final Path socketFile;

    /** @param socketFile the server's socket, {@code <unix_socket_directory>/.s.PGSQL.<port>} */
    public UnixSocketFactory(String socketFile) {
        this.socketFile = Path.of(socketFile);
    }

    @Override
    public Socket createSocket() throws IOException {
        return new UnixSocket(socketFile);
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return createSocket();
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return createSocket();
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return createSocket();
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        return createSocket();
    }

    /** A connected Unix-domain socket behind {@link Socket}'s API (no SocketImpl is ever used). */
    static final class UnixSocket extends Socket {
        private static final int BUFFER = 64 * 1024;
        private final SocketChannel channel;
        private final Selector readable;
        private final Selector writable;
        private final InputStream in;
        private final OutputStream out;
        private volatile int soTimeoutMs;
        private volatile boolean closed;

        UnixSocket(Path socketFile) throws IOException {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(socketFile));
                ch.configureBlocking(false);
                this.readable = Selector.open();
                this.writable = Selector.open();
                ch.register(readable, SelectionKey.OP_READ);
                ch.register(writable, SelectionKey.OP_WRITE);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw new IOException("cannot connect to PostgreSQL's Unix socket " + socketFile + ": "
                        + e.getMessage(), e);
            }
            this.channel = ch;
            this.in = new In();
            this.out = new Out();
        }

        private final class In extends InputStream {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                synchronized (readable) {
                    while (true) {
                        int n = channel.read(buf);
                        if (n != 0) {
                            return n;
                        }
                        int timeout = soTimeoutMs;
                        int ready = timeout > 0 ? readable.select(timeout) : readable.select();
                        readable.selectedKeys().clear();
                        if (ready == 0 && timeout > 0) {
                            throw new SocketTimeoutException("Read timed out");
                        }
                        if (closed) {
                            throw new SocketException("Socket closed");
                        }
                    }
                }
            }

            @Override
            public int available() throws IOException {
                return 0;
            }

            @Override
            public void close() throws IOException {
                UnixSocket.this.close();
            }
        }

        private final class Out extends OutputStream {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                synchronized (writable) {
                    while (buf.hasRemaining()) {
                        if (channel.write(buf) == 0) {
                            writable.select(1000);
                            writable.selectedKeys().clear();
                            if (closed) {
                                throw new SocketException("Socket closed");
                            }
                        }
                    }
                }
            }

            @Override
            public void close() throws IOException {
                UnixSocket.this.close();
            }
        }

        @Override
        public void connect(SocketAddress endpoint) {
            // Connected in the constructor.
        }

        @Override
        public void connect(SocketAddress endpoint, int timeout) {
            // Connected in the constructor.
        }

        @Override
        public void bind(SocketAddress bindpoint) {
        }

        @Override
        public boolean isConnected() {
            return true;
        }

        @Override
        public boolean isBound() {
            return true;
        }

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public InputStream getInputStream() {
            return in;
        }

        @Override
        public OutputStream getOutputStream() {
            return out;
        }

        @Override
        public void setSoTimeout(int timeout) {
            soTimeoutMs = Math.max(0, timeout);
        }

        @Override
        public int getSoTimeout() {
            return soTimeoutMs;
        }

        @Override
        public void setTcpNoDelay(boolean on) {
        }

        @Override
        public boolean getTcpNoDelay() {
            return true;
        }

        @Override
        public void setKeepAlive(boolean on) {
        }

        @Override
        public boolean getKeepAlive() {
            return false;
        }

        @Override
        public void setSendBufferSize(int size) {
        }

        @Override
        public int getSendBufferSize() {
            return BUFFER;
        }

        @Override
        public void setReceiveBufferSize(int size) {
        }

        @Override
        public int getReceiveBufferSize() {
            return BUFFER;
        }

        @Override
        public void setSoLinger(boolean on, int linger) {
        }

        @Override
        public int getSoLinger() {
            return -1;
        }

        @Override
        public InetAddress getInetAddress() {
            return InetAddress.getLoopbackAddress();
        }

        @Override
        public InetAddress getLocalAddress() {
            return InetAddress.getLoopbackAddress();
        }

        @Override
        public int getPort() {
            return 0;
        }

        @Override
        public int getLocalPort() {
            return -1;
        }

        @Override
        public SocketAddress getRemoteSocketAddress() {
            return null;
        }

        @Override
        public SocketAddress getLocalSocketAddress() {
            return null;
        }

        @Override
        public void shutdownInput() throws IOException {
            channel.shutdownInput();
        }

        @Override
        public void shutdownOutput() throws IOException {
            channel.shutdownOutput();
        }

        @Override
        public synchronized void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                channel.close();
            } finally {
                readable.wakeup();
                writable.wakeup();
                readable.close();
                writable.close();
            }
        }

        @Override
        public String toString() {
            return "UnixSocket[" + channel + "]";
        }
    }
}
