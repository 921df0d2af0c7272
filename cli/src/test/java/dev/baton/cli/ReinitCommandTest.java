package dev.baton.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code baton reinit} while the cluster has no leader (etcd's JSON gateway and the member faked in-process). */
class ReinitCommandTest {
    private HttpServer etcd;
    private HttpServer agent;
    private final AtomicInteger agentRequests = new AtomicInteger();

    @AfterEach
    void stop() {
        if (etcd != null) {
            etcd.stop(0);
        }
        if (agent != null) {
            agent.stop(0);
        }
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(UTF_8));
    }

    @Test
    void reinitIsRefusedWithoutALeaderAndTheMemberIsNotAsked() throws IOException {
        agent = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        agent.createContext("/", ex -> {
            agentRequests.incrementAndGet();
            ex.sendResponseHeaders(500, -1);
            ex.close();
        });
        agent.start();
        String member = "{\"conn_url\":\"postgres://127.0.0.1:5432/postgres\",\"api_url\":\"http://127.0.0.1:"
                + agent.getAddress().getPort() + "/patroni\",\"state\":\"running\",\"role\":\"replica\"}";
        String range = "{\"header\":{\"revision\":\"9\"},\"kvs\":[{\"key\":\"" + b64("/service/demo/members/node2")
                + "\",\"create_revision\":\"7\",\"mod_revision\":\"9\",\"value\":\"" + b64(member) + "\"}]}";
        etcd = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        etcd.createContext("/v3/kv/range", ex -> {
            ex.getRequestBody().readAllBytes();
            byte[] bytes = range.getBytes(UTF_8);
            ex.sendResponseHeaders(200, bytes.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(bytes);
            }
        });
        etcd.start();

        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Baton.commandLine(new PrintWriter(o, true), new PrintWriter(e, true)).execute("reinit",
                "--etcd", "127.0.0.1:" + etcd.getAddress().getPort(), "--scope", "demo", "demo", "node2", "--force");
        assertEquals(BaseCommand.EXIT_FAILED, code, e::toString);
        assertTrue(e.toString().startsWith("baton: cluster demo has no leader: reinit wipes the data directory"),
                e::toString);
        assertEquals(0, agentRequests.get(), "the member was not asked");
    }
}
