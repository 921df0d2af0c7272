package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Patroni's "local configuration reload" on a real node: the YAML edited, SIGHUP to the agent
 * (then POST /reload), and the parameter is live in PostgreSQL and the tag in /patroni; a file
 * that does not validate is refused with the key named and changes nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConfigReloadIT {
    private LocalCluster cluster;
    private Node node;

    @BeforeAll
    void start() throws Exception {
        String tags = "tags:\n  rack: r1\n";
        cluster = ClusterSupport.startCluster("baton-it-config-reload-", LocalCluster.Options.defaults().withNodes(1)
                .withHaproxy(false).withNodeYaml(Map.of("node0", tags, "node1", tags)), 0);
        node = ClusterSupport.primaryOf(cluster);
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private String show(String parameter) {
        try (Connection c = ClusterSupport.connect(cluster, node); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW " + parameter)) {
            rs.next();
            return rs.getString(1);
        } catch (java.sql.SQLException e) {
            return "unavailable: " + e.getMessage();
        }
    }

    private String rack() {
        JsonNode p = cluster.get(node, "/patroni").map(LocalCluster.Response::body).orElse(null);
        return p == null ? null : p.path("tags").path("rack").asText(null);
    }

    /** The agent's JVM: the started process, or its child when setsid had to fork. */
    private long agentPid() {
        ProcessHandle h = node.agentProcess().toHandle();
        if (h.info().command().map(c -> c.endsWith("java")).orElse(false)) {
            return h.pid();
        }
        return h.children().filter(c -> c.info().command().map(x -> x.endsWith("java")).orElse(false))
                .findFirst().orElseThrow().pid();
    }

    /** The node's YAML with {@code parameters} added to its postgresql section and the rack tag set. */
    private void edit(String parameters, String rack) throws Exception {
        String yaml = Files.readString(node.config());
        yaml = yaml.replaceAll("(?m)^  rack: .*$", "  rack: " + rack);
        yaml = yaml.replaceAll("(?m)^  parameters: \\{work_mem: [^}]*\\}\\n", "");
        yaml = yaml.replaceFirst("(?m)^postgresql:\\n", "postgresql:\n" + parameters);
        Files.writeString(node.config(), yaml);
        System.out.println("--- " + node.config() + "\n" + yaml);
    }

    private HttpResponse<String> postReload() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        return http.send(HttpRequest.newBuilder(URI.create(node.restBase() + "/reload"))
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(1)
    void sighupAppliesAnEditedParameterAndTag() throws Exception {
        assertEquals("r1", rack());
        assertEquals("4MB", show("work_mem"), "PostgreSQL's default to start with");
        edit("  parameters: {work_mem: 7MB}\n", "r2");
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(agentPid())).inheritIO().start();
        assertEquals(0, kill.waitFor());
        awaitOrFail(cluster, "work_mem is 7MB in PostgreSQL", () -> "7MB".equals(show("work_mem")));
        awaitOrFail(cluster, "/patroni shows rack r2", () -> "r2".equals(rack()));
        assertTrue(node.isAgentAlive(), "SIGHUP did not stop the agent");
    }

    @Test
    @Order(2)
    void aBrokenFileIsRefusedByPostReloadAndChangesNothing() throws Exception {
        edit("  parameters: {work_mem: 9MB}\n  use_pg_rewind: maybe\n", "r3");
        HttpResponse<String> r = postReload();
        System.out.println("POST /reload: " + r.statusCode() + " " + r.body());
        assertEquals(500, r.statusCode(), r.body());
        assertTrue(r.body().contains("postgresql.use_pg_rewind"), r.body());
        assertTrue(r.body().contains("nothing changed"), r.body());
        // Nothing changed: neither the parameter nor the tag, also after a few cycles.
        ClusterSupport.awaitMoreCycles(cluster, node, 3);
        assertEquals("7MB", show("work_mem"));
        assertEquals("r2", rack());
        assertTrue(node.isAgentAlive());

        // Fixed, POST /reload applies it.
        edit("  parameters: {work_mem: 9MB}\n", "r3");
        String yaml = Files.readString(node.config()).replace("  use_pg_rewind: maybe\n", "");
        Files.writeString(node.config(), yaml);
        HttpResponse<String> ok = postReload();
        System.out.println("POST /reload: " + ok.statusCode() + " " + ok.body());
        assertEquals(202, ok.statusCode(), ok.body());
        awaitOrFail(cluster, "work_mem is 9MB in PostgreSQL", () -> "9MB".equals(show("work_mem")));
        awaitOrFail(cluster, "/patroni shows rack r3", () -> "r3".equals(rack()));
    }
}
