package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static dev.baton.cli.ClusterSupport.exec;
import static dev.baton.cli.ClusterSupport.primaryOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * /metrics of real agents: names present on every member, replication lag while replay is paused
 * on a replica, role metrics after a failover, JSON logs on request; and a real Prometheus
 * scraping the agents and evaluating the shipped alert rules. Tests wait for conditions with
 * generous deadlines; they do not time anything.
 */
class MetricsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final long MIB = 1024 * 1024;

    /** Metric families every running member serves (the per-role ones are checked where they apply). */
    private static final List<String> ALWAYS = List.of("baton_info", "baton_role", "baton_is_leader",
            "baton_lease_remaining_seconds", "baton_postgres_running", "baton_postgres_timeline",
            "baton_wal_position_bytes", "baton_last_cycle_age_seconds", "baton_last_cycle_info",
            "baton_pending_restart", "baton_paused", "baton_cluster_members", "baton_dcs_last_seen_timestamp_seconds",
            "baton_ha_cycle_duration_seconds_bucket", "baton_ha_cycle_duration_seconds_count",
            "baton_etcd_request_duration_seconds_bucket", "baton_etcd_request_errors_total",
            "baton_promotions_total", "baton_failovers_total", "baton_switchovers_total", "baton_demotions_total",
            "baton_fencings_total",
            "patroni_version", "patroni_postgres_running", "patroni_postmaster_start_time", "patroni_primary",
            "patroni_replica", "patroni_xlog_location", "patroni_xlog_received_location",
            "patroni_xlog_replayed_location", "patroni_xlog_replayed_timestamp", "patroni_xlog_paused",
            "patroni_postgres_streaming", "patroni_postgres_timeline", "patroni_cluster_unlocked",
            "patroni_dcs_last_seen", "patroni_is_paused", "patroni_pending_restart", "patroni_sync_standby",
            "patroni_postgres_server_version");

    // ------------------------------------------------------------------ scraping

    /** One sample of the text exposition. */
    record Sample(String name, Map<String, String> labels, double value) {
    }

    private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** GET /metrics of a node; empty when the agent does not answer. */
    private static long rowsOn(LocalCluster c, Node n) {
        try (java.sql.Connection conn = ClusterSupport.connect(c, n); java.sql.Statement st = conn.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FROM metrics_lag")) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            return -1;
        }
    }

    static List<Sample> scrape(Node n) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.restPort()
                    + "/metrics")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return List.of();
            }
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                    "content type " + r.headers().firstValue("Content-Type"));
            return parse(r.body());
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    static List<Sample> parse(String text) {
        List<Sample> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = LINE.matcher(line);
            if (!m.find()) {
                throw new AssertionError("not an exposition line: " + line);
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(2) != null) {
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2).replace("\\\"", "\"").replace("\\\\", "\\"));
                }
            }
            out.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3).replace("+Inf", "Infinity"))));
        }
        return out;
    }

    /** The value of the one series {@code name} with these labels, if present. */
    static OptionalDouble value(List<Sample> samples, String name, String... labelPairs) {
        return samples.stream().filter(s -> s.name().equals(name) && has(s, labelPairs)).mapToDouble(Sample::value)
                .findFirst();
    }

    static double valueOr(Node n, double otherwise, String name, String... labelPairs) {
        return value(scrape(n), name, labelPairs).orElse(otherwise);
    }

    private static boolean has(Sample s, String... pairs) {
        for (int i = 0; i < pairs.length; i += 2) {
            if (!pairs[i + 1].equals(s.labels().get(pairs[i]))) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ helpers

    private static LocalCluster start(LocalCluster.Options options, int replicas) throws Exception {
        return ClusterSupport.startCluster("baton-it-metrics-", options.withHaproxy(false), replicas);
    }

    private static String scope(LocalCluster c) {
        return c.scope();
    }

    // ------------------------------------------------------------------ tests

    @Test
    void metricsOfARealClusterFollowLagAndAFailover() throws Exception {
        LocalCluster.Options options = LocalCluster.Options.defaults()
                .withNodeYaml(Map.of("node3", "log:\n  format: json\n"));
        try (LocalCluster c = start(options, 2)) {
            Node primary = primaryOf(c);
            List<Node> replicas = c.nodes().stream().filter(n -> n != primary).toList();

            // Every member serves the metric families, labelled with the scope and its name.
            for (Node n : c.nodes()) {
                awaitOrFail(c, n.name() + " reports its last cycle", () -> value(scrape(n), "baton_last_cycle_age_seconds")
                        .isPresent());
                List<Sample> s = scrape(n);
                for (String family : ALWAYS) {
                    assertTrue(s.stream().anyMatch(x -> x.name().equals(family)), n.name() + " serves " + family);
                }
                for (Sample x : s) {
                    assertEquals(c.scope(), x.labels().get("scope"), x + " has the scope label");
                    assertEquals(n.name(), x.labels().get(x.name().startsWith("patroni_") ? "name" : "member"),
                            x + " names the member");
                }
                boolean isPrimary = n == primary;
                assertEquals(isPrimary ? 1 : 0, value(s, "baton_role", "role", "primary").orElseThrow(), n.name());
                assertEquals(isPrimary ? 0 : 1, value(s, "baton_role", "role", "replica").orElseThrow(), n.name());
                assertEquals(isPrimary ? 1 : 0, value(s, "patroni_primary").orElseThrow(), n.name());
                assertEquals(1, value(s, "baton_postgres_running").orElseThrow(), n.name());
            }
            printScrapeCost(primary);
            awaitOrFail(c, "the primary is sure of its lease and sees both replicas stream", () -> {
                List<Sample> s = scrape(primary);
                return value(s, "baton_is_leader").orElse(0) == 1
                        && value(s, "baton_lease_remaining_seconds").orElse(0) > 0
                        && replicas.stream().allMatch(r -> value(s, "baton_replication_streaming", "replica", r.name())
                        .orElse(0) == 1);
            });
            for (Node r : replicas) {
                awaitOrFail(c, r.name() + " streams", () -> valueOr(r, 0, "baton_replica_streaming") == 1
                        && valueOr(r, 0, "patroni_postgres_streaming") == 1);
            }

            // Replay paused on one replica: its lag grows, seen by the primary and by itself.
            Node lagging = replicas.get(0);
            exec(c, primary, "CREATE TABLE metrics_lag (id int PRIMARY KEY, pad text)");
            exec(c, primary, "INSERT INTO metrics_lag SELECT g, 'before' FROM generate_series(1, 10) g");
            // The rows themselves, not only the metrics: a replica that has not replayed a
            // transaction yet has no replay timestamp, and its lag in seconds stays unknown.
            awaitOrFail(c, lagging.name() + " replayed the first rows", () -> rowsOn(c, lagging) == 10
                    && valueOr(lagging, -1, "baton_replica_lag_seconds") == 0
                            && valueOr(primary, MIB, "baton_replication_lag_bytes", "replica", lagging.name()) < MIB);
            exec(c, lagging, "SELECT pg_wal_replay_pause()");
            exec(c, primary, "INSERT INTO metrics_lag SELECT g, repeat('x', 200) FROM generate_series(11, 20000) g");
            awaitOrFail(c, "the primary sees " + lagging.name() + " lag in bytes", () ->
                    valueOr(primary, 0, "baton_replication_lag_bytes", "replica", lagging.name()) > MIB);
            awaitOrFail(c, lagging.name() + " sees its own lag in bytes and seconds, paused", () -> {
                List<Sample> s = scrape(lagging);
                return value(s, "baton_replica_lag_bytes").orElse(0) > MIB
                        && value(s, "baton_replica_lag_seconds").orElse(0) > 0
                        && value(s, "baton_replica_replay_paused").orElse(0) == 1
                        && value(s, "patroni_xlog_paused").orElse(0) == 1
                        && value(s, "patroni_xlog_received_location").orElse(0)
                        > value(s, "patroni_xlog_replayed_location").orElse(0) + MIB;
            });
            awaitOrFail(c, "the primary's replay_lag of " + lagging.name() + " grows", () ->
                    valueOr(primary, 0, "baton_replication_lag_seconds", "replica", lagging.name()) > 0);
            Node other = replicas.get(1);
            awaitOrFail(c, other.name() + " is not lagging", () ->
                    valueOr(primary, MIB, "baton_replication_lag_bytes", "replica", other.name()) < MIB
                            && valueOr(other, 1, "baton_replica_lag_seconds") == 0);

            exec(c, lagging, "SELECT pg_wal_replay_resume()");
            awaitOrFail(c, "the lag of " + lagging.name() + " returns to about 0", () -> {
                List<Sample> s = scrape(lagging);
                return valueOr(primary, MIB, "baton_replication_lag_bytes", "replica", lagging.name()) < MIB
                        && value(s, "baton_replica_lag_bytes").orElse(MIB) < MIB
                        && value(s, "baton_replica_lag_seconds").orElse(1) == 0
                        && value(s, "baton_replica_replay_paused").orElse(1) == 0;
            });

            // JSON logs on request (node3 has log.format: json), with the decisions at INFO.
            Node jsonNode = c.node("node3");
            awaitOrFail(c, "node3 logs JSON lines", () -> jsonLines(jsonNode).stream()
                    .anyMatch(j -> "INFO".equals(j.path("level").asText()) && "HaLoop".equals(j.path("logger").asText())));

            // Failover: the primary dies; a replica's role metrics flip and it counts the promotion.
            long timelineBefore = Math.round(valueOr(primary, 0, "baton_postgres_timeline"));
            primary.kill();
            awaitOrFail(c, "a replica took over", () -> c.primary().map(n -> n != primary).orElse(false));
            Node promoted = c.primary().orElseThrow();
            awaitOrFail(c, promoted.name() + "'s metrics say primary", () -> {
                List<Sample> s = scrape(promoted);
                return value(s, "baton_role", "role", "primary").orElse(0) == 1
                        && value(s, "baton_role", "role", "replica").orElse(1) == 0
                        && value(s, "baton_is_leader").orElse(0) == 1
                        && value(s, "patroni_primary").orElse(0) == 1
                        && value(s, "patroni_replica").orElse(1) == 0
                        && value(s, "baton_promotions_total").orElse(0) == 1
                        && value(s, "baton_failovers_total").orElse(0) == 1
                        && value(s, "baton_switchovers_total").orElse(-1) == 0
                        && value(s, "baton_postgres_timeline").orElse(0) > timelineBefore;
            });
            Node survivor = replicas.stream().filter(n -> n != promoted).findFirst().orElseThrow();
            awaitOrFail(c, survivor.name() + " follows " + promoted.name() + " and is seen streaming", () ->
                    valueOr(survivor, 0, "baton_role", "role", "replica") == 1
                            && valueOr(promoted, 0, "baton_replication_streaming", "replica", survivor.name()) == 1);
            assertNotEquals(primary, promoted);
        }
    }

    /** Prints what 100 scrapes of a real agent cost end to end (HTTP included); informative, not asserted. */
    private static void printScrapeCost(Node n) throws Exception {
        for (int i = 0; i < 50; i++) {
            scrape(n);
        }
        int count = 100;
        long bytes = 0;
        long started = System.nanoTime();
        for (int i = 0; i < count; i++) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.restPort()
                    + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            bytes += r.body().length();
        }
        System.out.printf("GET /metrics of %s (a primary with 2 replicas): %d scrapes over HTTP, %.2f ms each, "
                + "%d bytes each%n", n.name(), count, (System.nanoTime() - started) / 1e6 / count, bytes / count);
    }

    private static List<JsonNode> jsonLines(Node n) {
        List<JsonNode> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(n.agentLog())) {
                if (line.startsWith("{")) {
                    try {
                        out.add(JSON.readTree(line));
                    } catch (IOException e) {
                        // a line cut by a concurrent write: ignore
                    }
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    // ------------------------------------------------------------------ a real Prometheus

    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("deploy/prometheus/alerts.yml"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new AssertionError("deploy/prometheus/alerts.yml not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    static Path prometheusBinary() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, "prometheus");
            if (Files.isExecutable(p) && !Files.isDirectory(p)) {
                return p;
            }
        }
        return Files.isExecutable(Path.of("/usr/bin/prometheus")) ? Path.of("/usr/bin/prometheus") : null;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** A Prometheus scraping the agents every second, with the shipped rules (their "for" shortened). */
    static final class Prometheus implements AutoCloseable {
        final int port;
        final Process process;
        final Path dir;

        Prometheus(Path binary, Path dir, List<Node> nodes, String rules) throws IOException {
            this.dir = dir;
            this.port = freePort();
            Files.writeString(dir.resolve("alerts.yml"), rules);
            StringBuilder targets = new StringBuilder();
            for (Node n : nodes) {
                targets.append(targets.length() == 0 ? "" : ", ").append("'127.0.0.1:").append(n.restPort()).append("'");
            }
            Files.writeString(dir.resolve("prometheus.yml"), """
                    global:
                      scrape_interval: 1s
                      evaluation_interval: 1s
                    rule_files: [alerts.yml]
                    scrape_configs:
                      - job_name: baton
                        scrape_timeout: 900ms
                        static_configs:
                          - targets: [%s]
                    """.formatted(targets));
            process = new ProcessBuilder(binary.toString(), "--config.file=" + dir.resolve("prometheus.yml"),
                    "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        }

        /** The result vector of an instant query ({@code data.result}); an empty array while unreachable. */
        JsonNode query(String promql) {
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                                + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                JsonNode body = JSON.readTree(r.body());
                if (!"success".equals(body.path("status").asText())) {
                    throw new AssertionError("query " + promql + " failed: " + r.body());
                }
                return body.path("data").path("result");
            } catch (IOException e) {
                return JSON.createArrayNode();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return JSON.createArrayNode();
            }
        }

        /** Alerts (pending or firing) named {@code name}, from /api/v1/alerts. */
        List<JsonNode> alerts(String name) {
            List<JsonNode> out = new ArrayList<>();
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/api/v1/alerts")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                for (JsonNode a : JSON.readTree(r.body()).path("data").path("alerts")) {
                    if (name.equals(a.path("labels").path("alertname").asText())) {
                        out.add(a);
                    }
                }
            } catch (IOException e) {
                return out;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return out;
        }

        String logTail() {
            try {
                List<String> l = Files.readAllLines(dir.resolve("prometheus.log"));
                return String.join("\n", l.subList(Math.max(0, l.size() - 30), l.size()));
            } catch (IOException e) {
                return "(no log)";
            }
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** The expression of one alert of deploy/prometheus/alerts.yml. */
    static String alertExpr(JsonNode rules, String alert) {
        for (JsonNode g : rules.path("groups")) {
            for (JsonNode r : g.path("rules")) {
                if (alert.equals(r.path("alert").asText())) {
                    return r.path("expr").asText();
                }
            }
        }
        throw new AssertionError("no alert " + alert + " in alerts.yml");
    }

    @Test
    void aRealPrometheusEvaluatesTheShippedAlertsAgainstTheAgents() throws Exception {
        Path binary = prometheusBinary();
        Assumptions.assumeTrue(binary != null, "prometheus is not installed (Debian package prometheus)");
        String shipped = Files.readString(repoRoot().resolve("deploy/prometheus/alerts.yml"));
        JsonNode rules = new YAMLMapper().readTree(shipped);
        // The shipped rules, with every "for" at 3 s so that the test does not wait for minutes.
        String fast = shipped.replaceAll("(?m)^(\\s+)for: \\S+$", "$1for: 3s");
        assertNotEquals(shipped, fast);

        try (LocalCluster c = start(LocalCluster.Options.defaults().withNodes(2), 1)) {
            Path promDir = Files.createTempDirectory("baton-it-prometheus-");
            try (Prometheus prom = new Prometheus(binary, promDir, c.nodes(), fast)) {
                Node primary = primaryOf(c);
                Node replica = c.nodes().stream().filter(n -> n != primary).findFirst().orElseThrow();
                String s = scope(c);
                try {
                    awaitOrFail(c, "Prometheus scrapes both agents", () ->
                            prom.query("sum(up{job=\"baton\"})").path(0).path("value").path(1).asText("0").equals("2")
                                    && prom.query("baton_role{role=\"primary\",scope=\"" + s + "\"} == 1").size() == 1
                                    && prom.query("baton_replication_lag_bytes").size() == 1);
                    // Healthy: the "two leaders" and "no leader" expressions are empty and never pending.
                    String twoLeaders = alertExpr(rules, "BatonTwoLeaders");
                    String lagHigh = alertExpr(rules, "BatonReplicationLagHigh");
                    for (int i = 0; i < 5; i++) {
                        assertEquals(0, prom.query(twoLeaders).size(), "two leaders in a healthy cluster");
                        assertEquals(0, prom.query(alertExpr(rules, "BatonNoLeader")).size(), "no leader");
                        assertEquals(0, prom.query(lagHigh).size(), "lag while healthy");
                        Thread.sleep(1000);
                    }
                    assertEquals(1, prom.query("count by (scope) (baton_role{role=\"primary\"} == 1)")
                            .path(0).path("value").path(1).asInt(), "the expression counts one primary");

                    // Replay paused on the replica and 30+ MiB written on the primary: the lag alert fires.
                    exec(c, primary, "CREATE TABLE prom_lag (id int PRIMARY KEY, pad text)");
                    exec(c, primary, "INSERT INTO prom_lag VALUES (0, 'replayed')");
                    awaitOrFail(c, "the replica replayed the first row", () ->
                            valueOr(replica, -1, "baton_replica_lag_seconds") == 0);
                    exec(c, replica, "SELECT pg_wal_replay_pause()");
                    exec(c, primary, "INSERT INTO prom_lag SELECT g, repeat('x', 500) FROM generate_series(1, 60000) g");
                    awaitOrFail(c, "the lag expression returns " + replica.name(), () -> {
                        JsonNode r = prom.query(lagHigh);
                        return r.size() == 1 && replica.name().equals(r.path(0).path("metric").path("replica").asText());
                    });
                    awaitOrFail(c, "BatonReplicationLagHigh fires for " + replica.name(), () ->
                            prom.alerts("BatonReplicationLagHigh").stream().anyMatch(a ->
                                    "firing".equals(a.path("state").asText())
                                            && replica.name().equals(a.path("labels").path("replica").asText())));
                    assertEquals(0, prom.query(twoLeaders).size(), "still one leader while a replica lags");
                    assertTrue(prom.alerts("BatonTwoLeaders").isEmpty(), "BatonTwoLeaders never pending");
                    assertTrue(prom.alerts("BatonNoLeader").isEmpty(), "BatonNoLeader never pending");

                    exec(c, replica, "SELECT pg_wal_replay_resume()");
                    awaitOrFail(c, "the lag expression is empty again", () -> prom.query(lagHigh).size() == 0
                            && prom.alerts("BatonReplicationLagHigh").isEmpty());
                    assertTrue(prom.alerts("BatonAgentDown").isEmpty(), "both agents scraped");
                    assertTrue(prom.alerts("BatonHaLoopStalled").isEmpty(), "both loops cycle");
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "\n--- prometheus log (tail)\n" + prom.logTail(), e);
                }
            } finally {
                deleteTree(promDir);
            }
        }
    }

    // ------------------------------------------------------------------ the dashboard screenshot

    /**
     * Not part of the suite: renders the screenshot of docs/observability.md from a real scenario.
     * Run with {@code -Dbaton.dashboard.png=/path/out.png}: three members and a Prometheus scraping
     * them every second; a steady writer; replay paused on a replica for a while under a burst of
     * writes; the primary killed, a failover, the old primary back as a replica; then
     * deploy/grafana/render_dashboard.py draws deploy/grafana/baton.json from that Prometheus.
     */
    @Test
    @EnabledIfSystemProperty(named = "baton.dashboard.png", matches = ".+")
    void renderTheDashboardFromARealScenario() throws Exception {
        Path binary = prometheusBinary();
        Assumptions.assumeTrue(binary != null, "prometheus is not installed");
        Path out = Path.of(System.getProperty("baton.dashboard.png"));
        String rules = Files.readString(repoRoot().resolve("deploy/prometheus/alerts.yml"));
        try (LocalCluster c = start(LocalCluster.Options.defaults().withHaproxy(false), 2)) {
            Path promDir = Files.createTempDirectory("baton-preview-prometheus-");
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread writer = null;
            try (Prometheus prom = new Prometheus(binary, promDir, c.nodes(), rules)) {
                long startEpoch = System.currentTimeMillis() / 1000;
                Node primary = primaryOf(c);
                exec(c, primary, "CREATE TABLE preview (id bigserial PRIMARY KEY, at timestamptz DEFAULT now(), pad text)");
                writer = new Thread(() -> {
                    while (!stop.get()) {
                        Node p = c.primary().orElse(null);
                        if (p == null) {
                            sleepQuietly(200);
                            continue;
                        }
                        try (Connection conn = ClusterSupport.connect(c, p); Statement st = conn.createStatement()) {
                            while (!stop.get()) {
                                st.execute("INSERT INTO preview (pad) SELECT repeat('x', 200) FROM generate_series(1, 50)");
                                sleepQuietly(100);
                            }
                        } catch (SQLException e) {
                            sleepQuietly(200);
                        }
                    }
                }, "preview-writer");
                writer.setDaemon(true);
                writer.start();
                Thread.sleep(60_000);
                Node lagging = c.nodes().stream().filter(n -> n != primary).findFirst().orElseThrow();
                exec(c, lagging, "SELECT pg_wal_replay_pause()");
                for (int i = 0; i < 4; i++) {
                    exec(c, primary, "INSERT INTO preview (pad) SELECT repeat('y', 500) FROM generate_series(1, 15000)");
                    Thread.sleep(10_000);
                }
                exec(c, lagging, "SELECT pg_wal_replay_resume()");
                Thread.sleep(50_000);
                primary.kill();
                awaitOrFail(c, "a replica took over", () -> c.primary().map(n -> n != primary).orElse(false));
                Thread.sleep(30_000);
                primary.start();
                awaitOrFail(c, primary.name() + " streams again", () -> c.healthy(2));
                Thread.sleep(60_000);
                stop.set(true);
                writer.join(10_000);
                long endEpoch = System.currentTimeMillis() / 1000;
                Process render = new ProcessBuilder("python3",
                        repoRoot().resolve("deploy/grafana/render_dashboard.py").toString(),
                        "--prometheus", "http://127.0.0.1:" + prom.port, "--scope", c.scope(),
                        "--start", String.valueOf(startEpoch), "--end", String.valueOf(endEpoch), "--step", "2",
                        "--rate-interval", "10s", "--out", out.toString())
                        .redirectErrorStream(true).start();
                String log = new String(render.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(render.waitFor(120, TimeUnit.SECONDS));
                System.out.println(log);
                assertEquals(0, render.exitValue(), log);
                System.out.println("scrape of " + c.primary().orElseThrow().name() + ":\n" + HTTP.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.primary().orElseThrow().restPort()
                                + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body());
            } finally {
                stop.set(true);
                deleteTree(promDir);
            }
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        }
    }
}
