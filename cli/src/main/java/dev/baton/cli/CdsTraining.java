package dev.baton.cli;

import com.sun.net.httpserver.HttpServer;
import dev.baton.agent.logging.Logging;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * The training run of the CLI's class-data sharing archive (issue 19): run as
 * {@code java -XX:ArchiveClassesAtExit=baton.jsa -cp baton.jar dev.baton.cli.CdsTraining}, it
 * runs the read-only commands ({@code list}, {@code topology}, {@code history},
 * {@code show-config}, {@code list -c FILE}, and some help) in this JVM against a fake etcd JSON gateway on
 * 127.0.0.1 serving a running 3-member cluster, so that the JVM's exit writes an archive of the
 * classes they load. The CLI launchers then start with {@code -XX:SharedArchiveFile=baton.jsa}:
 * those classes are mapped already parsed and verified instead of being read from the jar.
 *
 * <p>Needs no network, etcd or PostgreSQL: it runs at {@code mvn package} (cli/pom.xml) and in
 * the Debian package's postinst, for the JVM and the jar path the archive is used with (a
 * dynamic archive is valid only for the JVM build that wrote it and the same jar, at the same
 * path, unchanged). Exit 0 when every command printed what it should, else 1 with the reason.
 */
public final class CdsTraining {

    private CdsTraining() {
    }

    /** The cluster the fake gateway serves: key under /service/demo/ and value, as Baton's agents write them. */
    static Map<String, String> cluster() {
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("config", "{\"ttl\":10,\"loop_wait\":1,\"retry_timeout\":3,\"maximum_lag_on_failover\":1048576,"
                + "\"synchronous_mode\":false,\"postgresql\":{\"use_pg_rewind\":true,\"use_slots\":true,"
                + "\"parameters\":{\"max_connections\":\"50\"}}}");
        keys.put("history", "[[1,67108992,\"no recovery target specified\",\"2026-01-01T00:00:00+00:00\",\"node2\"]]");
        keys.put("initialize", "7715657651021302254");
        keys.put("leader", "node1");
        for (int i = 1; i <= 3; i++) {
            keys.put("members/node" + i, "{\"conn_url\":\"postgres://127.0.0.1:" + (5431 + i) + "/postgres\","
                    + "\"api_url\":\"http://127.0.0.1:" + (8007 + i) + "/patroni\",\"state\":\"running\",\"role\":\""
                    + (i == 1 ? "primary" : "replica") + "\",\"version\":\"0.1.0\",\"xlog_location\":67417048,"
                    + "\"timeline\":2" + (i == 3 ? ",\"tags\":{\"nofailover\":true}" : "") + "}");
        }
        keys.put("status", "{\"optime\":67417048,\"retain_slots\":[\"node2\",\"node3\"]}");
        return keys;
    }

    /** The gateway's RangeResponse for {@link #cluster()} (proto3 JSON: bytes in base64, numbers as strings). */
    static byte[] rangeResponse() {
        Base64.Encoder b64 = Base64.getEncoder();
        StringBuilder kvs = new StringBuilder();
        long revision = 10;
        for (Map.Entry<String, String> e : cluster().entrySet()) {
            boolean leased = e.getKey().equals("leader") || e.getKey().startsWith("members/");
            kvs.append(kvs.length() == 0 ? "" : ",").append("{\"key\":\"")
                    .append(b64.encodeToString(("/service/demo/" + e.getKey()).getBytes(UTF_8)))
                    .append("\",\"create_revision\":\"").append(revision).append("\",\"mod_revision\":\"")
                    .append(revision).append("\",\"version\":\"1\",\"value\":\"")
                    .append(b64.encodeToString(e.getValue().getBytes(UTF_8))).append('"')
                    .append(leased ? ",\"lease\":\"7587880000000000001\"" : "").append('}');
            revision++;
        }
        return ("{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":\"" + revision
                + "\",\"raft_term\":\"2\"},\"kvs\":[" + kvs + "],\"count\":\"" + cluster().size() + "\"}")
                .getBytes(UTF_8);
    }

    public static void main(String[] args) throws IOException {
        Logging.install(); // as Baton.main does, with the same classes
        Baton.StartUp.start(() -> Logging.configure(null)).await();
        Baton.StartUp.start(Baton::warmJson).await();
        List<String> failed = train();
        if (!failed.isEmpty()) {
            System.err.println("CdsTraining: " + String.join("; ", failed));
            System.exit(1);
        }
        System.exit(0);
    }

    /** Runs the commands against the fake gateway; what went wrong, empty when nothing did. */
    static List<String> train() throws IOException {
        HttpServer gateway = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        byte[] answer = rangeResponse();
        gateway.createContext("/v3/kv/range", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, answer.length);
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(answer);
            }
        });
        gateway.start();
        String etcd = "127.0.0.1:" + gateway.getAddress().getPort();
        List<String> failed = new java.util.ArrayList<>();
        // patronictl -c FILE list: the configuration's classes (SnakeYAML, dev.baton.config) too.
        java.nio.file.Path config = java.nio.file.Files.createTempFile("baton-cds-training", ".yml");
        try {
            java.nio.file.Files.writeString(config, memberConfig(etcd));
            for (String[] command : List.of(
                    new String[] {"list", "--etcd", etcd, "--scope", "demo"},
                    new String[] {"list", "demo", "--dcs-url", "etcd3://" + etcd, "-e", "-f", "json"},
                    new String[] {"topology", "--etcd", etcd, "--scope", "demo"},
                    new String[] {"history", "--etcd", etcd, "--scope", "demo"},
                    new String[] {"show-config", "--etcd", etcd, "--scope", "demo"},
                    new String[] {"list", "-c", config.toString()}, new String[] {"-c", config.toString(), "list"},
                    new String[] {"list", "--help"}, new String[] {"--help"}, new String[] {"--version"})) {
                java.io.StringWriter out = new java.io.StringWriter();
                java.io.StringWriter err = new java.io.StringWriter();
                int code = Baton.commandLine(command, new PrintWriter(out, true), new PrintWriter(err, true))
                        .execute(command);
                List<String> words = List.of(command);
                if (code != 0 || (words.contains("list") && !words.contains("--help") && !out.toString().contains("node3"))) {
                    failed.add(String.join(" ", command) + ": exit " + code + " " + err.toString().strip());
                }
            }
        } finally {
            gateway.stop(0);
            java.nio.file.Files.deleteIfExists(config);
        }
        return failed;
    }

    /** A member's configuration as Patroni's users write one (the sections list -c reads and checks), for {@code etcd}. */
    static String memberConfig(String etcd) {
        return String.join("\n", "scope: demo", "namespace: /service/", "name: node1", "restapi:",
                "  listen: 127.0.0.1:8008", "  connect_address: 127.0.0.1:8008", "etcd3:", "  hosts: " + etcd,
                "bootstrap:", "  dcs:", "    ttl: 30", "    loop_wait: 10", "    postgresql:", "      use_pg_rewind: true",
                "      parameters:", "        max_connections: 100", "  initdb:", "  - encoding: UTF8", "  - data-checksums",
                "postgresql:", "  listen: 127.0.0.1:5432", "  connect_address: 127.0.0.1:5432",
                "  data_dir: /nonexistent/baton-cds-training/data", "  pgpass: /nonexistent/baton-cds-training/pgpass",
                "  authentication:", "    superuser:", "      username: postgres", "      password: training",
                "    replication:", "      username: replicator", "      password: training", "    rewind:",
                "      username: rewind_user", "      password: training", "  parameters:",
                "    unix_socket_directories: ''", "  pg_hba:", "  - host all all 127.0.0.1/32 scram-sha-256",
                "  - host replication replicator 127.0.0.1/32 scram-sha-256", "watchdog:", "  mode: 'off'", "");
    }
}
