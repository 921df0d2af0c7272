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
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code promote-cluster} and {@code demote-cluster}: their refusals, against etcd's JSON gateway faked in-process. */
class ClusterRoleChangeTest {
    private HttpServer etcd;
    private final AtomicInteger writes = new AtomicInteger();

    @AfterEach
    void stop() {
        if (etcd != null) {
            etcd.stop(0);
        }
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(UTF_8));
    }

    private static String kv(String key, String value) {
        return "{\"key\":\"" + b64("/service/demo/" + key) + "\",\"create_revision\":\"7\",\"mod_revision\":\"9\","
                + "\"value\":\"" + b64(value) + "\"}";
    }

    /** A fake etcd holding these keys; every write is counted (and refused). */
    private int port(String... kvs) throws IOException {
        String range = "{\"header\":{\"revision\":\"9\"},\"kvs\":[" + String.join(",", kvs) + "]}";
        etcd = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        etcd.createContext("/v3/kv/range", ex -> {
            ex.getRequestBody().readAllBytes();
            byte[] bytes = range.getBytes(UTF_8);
            ex.sendResponseHeaders(200, bytes.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(bytes);
            }
        });
        etcd.createContext("/v3/kv/txn", ex -> {
            writes.incrementAndGet();
            ex.sendResponseHeaders(500, -1);
            ex.close();
        });
        etcd.start();
        return etcd.getAddress().getPort();
    }

    private record Result(int code, String out, String err) {
    }

    private static Result run(int etcdPort, String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--etcd", "127.0.0.1:" + etcdPort, "--scope", "demo"));
        int code = Baton.commandLine(new PrintWriter(o, true), new PrintWriter(e, true)).execute(a.toArray(String[]::new));
        return new Result(code, o.toString(), e.toString());
    }

    private static final String MEMBER = "{\"conn_url\":\"postgres://127.0.0.1:5432/postgres\",\"api_url\":"
            + "\"http://127.0.0.1:1/patroni\",\"state\":\"running\",\"role\":\"%s\"}";

    @Test
    void demoteWithoutHostPortOrRestoreCommandIsBadInputBeforeEtcdIsAsked() {
        Result r = run(1, "demote-cluster", "--force");
        assertEquals(BaseCommand.EXIT_BAD_INPUT, r.code(), r::toString);
        assertTrue(r.err().contains("at least --host, --port or --restore-command should be specified"), r::toString);
    }

    @Test
    void aBadPortOrSlotNameIsBadInputAndNothingIsWritten() throws IOException {
        int p = port(kv("leader", "node1"), kv("members/node1", MEMBER.formatted("primary")), kv("initialize", "1"),
                kv("config", "{\"ttl\":10}"));
        Result port = run(p, "demote-cluster", "--host", "10.0.0.1", "--port", "70000", "--force");
        assertEquals(BaseCommand.EXIT_BAD_INPUT, port.code(), port::toString);
        assertTrue(port.err().contains("config.standby_cluster.port: must be between 1 and 65535, got 70000"),
                port::toString);
        Result slot = run(p, "demote-cluster", "--host", "10.0.0.1", "--primary-slot-name", "Bad-Slot", "--force");
        assertEquals(BaseCommand.EXIT_BAD_INPUT, slot.code(), slot::toString);
        assertTrue(slot.err().contains("config.standby_cluster.primary_slot_name"), slot::toString);
        assertEquals(0, writes.get(), "nothing was written");
    }

    @Test
    void refusedWithoutALeaderOrWhenAlreadyInTheRequiredState() throws IOException {
        int p = port(kv("members/node1", MEMBER.formatted("replica")), kv("initialize", "1"), kv("config", "{}"));
        Result none = run(p, "promote-cluster", "--force");
        assertEquals(BaseCommand.EXIT_FAILED, none.code(), none::toString);
        assertTrue(none.err().contains("cluster demo has no leader, promotion is not possible"), none::toString);
        etcd.stop(0);
        int q = port(kv("leader", "node1"), kv("members/node1", MEMBER.formatted("primary")), kv("initialize", "1"),
                kv("config", "{}"));
        Result already = run(q, "promote-cluster", "--force");
        assertEquals(BaseCommand.EXIT_FAILED, already.code(), already::toString);
        assertTrue(already.err().contains("is already in the required state"), already::toString);
        assertEquals(0, writes.get());
    }

    @Test
    void withoutATerminalAndWithoutForceNothingIsAsked() throws IOException {
        int p = port(kv("leader", "node1"), kv("members/node1", MEMBER.formatted("standby_leader")), kv("initialize", "1"),
                kv("config", "{\"standby_cluster\":{\"host\":\"10.0.0.1\"}}"));
        Result r = run(p, "promote-cluster");
        assertEquals(BaseCommand.EXIT_BAD_INPUT, r.code(), r::toString);
        assertEquals(0, writes.get());
    }
}
