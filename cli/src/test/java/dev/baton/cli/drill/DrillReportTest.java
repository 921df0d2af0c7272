package dev.baton.cli.drill;

import static dev.baton.cli.drill.Traces.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

class DrillReportTest {

    private static IterationResult result(Fault fault, int i, List<DrillAnalysis.Ack> acks, String next, Set<Long> lost) {
        DrillAnalysis.Figures f = DrillAnalysis.analyze(new DrillAnalysis.Trace(fault, acks, Traces.FAULT, "node1", next,
                at(10), at(11.2), at(11.5), at(18), at(19), lost));
        List<IterationResult.Event> events = new ArrayList<>();
        events.add(new IterationResult.Event(at(0), "fault", "SIGKILL of node1 <agent & postgres>"));
        events.add(new IterationResult.Event(at(10), "leader-gone", "leader key of node1 gone"));
        events.add(new IterationResult.Event(at(11.2), "promotion", "node2 promoted"));
        events.add(new IterationResult.Event(at(18), "rejoined", "node1 streams again"));
        long from = at(-3);
        return new IterationResult(fault, i, 2, "method", "node1", next, Instant.parse("2025-06-01T12:00:00Z"),
                Traces.FAULT, f, events, from, 100_000_000L, DrillAnalysis.perBucket(acks, from, at(19.5), 100_000_000L),
                List.copyOf(lost), "history", null);
    }

    private static List<IterationResult> results() {
        List<DrillAnalysis.Ack> clean = new Traces().writes("node1", -3, 0, 10).writes("node2", 11.4, 19, 10).acks();
        List<DrillAnalysis.Ack> split = new Traces().writes("node1", -3, 12, 10).writes("node2", 11.4, 19, 10).acks();
        return List.of(result(Fault.KILL_NODE, 1, clean, "node2", Set.of()),
                result(Fault.KILL_NODE, 2, split, "node2", Set.of(5L, 6L)),
                result(Fault.SWITCHOVER, 1, clean, "node2", Set.of(7L)));
    }

    private static DrillReport.Run run() {
        ObjectMapper m = new ObjectMapper();
        return new DrillReport.Run("test", List.of("drill"), "a local cluster (3 members)", m.createObjectNode().put("mode", "local"),
                4, 2, List.of(Fault.KILL_NODE, Fault.SWITCHOVER), Map.of(), Instant.parse("2025-06-01T12:00:00Z"),
                Instant.parse("2025-06-01T12:01:10Z"), 1234);
    }

    @Test
    void theJsonSummaryHasEachFigurePerFault() throws Exception {
        List<IterationResult> rs = results();
        JsonNode j = new ObjectMapper().readTree(DrillReport.json(run(), rs, 1).toString());
        JsonNode kill = j.path("summary").path("kill-node");
        assertEquals(2, kill.path("iterations").asInt());
        assertEquals(1, kill.path("split_brain").asInt());
        assertEquals(2, kill.path("lost_writes_total").asInt());
        assertEquals(2, kill.path("unavailable_s").path("n").asInt());
        assertEquals(11.4, kill.path("unavailable_s").path("median").asDouble(), 1e-9);
        assertEquals(11.4, kill.path("unavailable_s").path("p95").asDouble(), 1e-9);
        assertEquals(1, j.path("summary").path("switchover").path("broken_no_loss_promises").asInt());
        assertEquals(3, j.path("iterations").size());
        JsonNode second = j.path("iterations").get(1);
        assertEquals("node1", second.path("split_brain").path("earlier_primary").asText());
        assertTrue(second.path("writes_per_100ms").path("series").path("node1").isArray());
        assertTrue(j.path("iterations").get(0).path("split_brain").isNull());
        assertEquals(2, j.path("failures").size(), j.path("failures").toString());
        assertEquals("unavailable_s", j.path("figures").get(0).path("key").asText());
    }

    @Test
    void theTableShowsMedianP95MaxPerFigure() {
        String t = DrillReport.table(run(), results());
        assertTrue(t.contains("kill-node (2 iterations)"), t);
        assertTrue(t.contains("| Figure"), t);
        assertTrue(t.contains("median") && t.contains("p95") && t.contains("max"), t);
        assertTrue(t.contains("write unavailability (s)"), t);
        assertTrue(t.contains("split brain: 1 of 2 iteration(s)"), t);
        assertTrue(t.contains("FAILED switchover 1/2: lost 1 acknowledged write(s), and switchover promises none"), t);
    }

    @Test
    void thePictureIsWellFormedSvgWithMarkersAndTheSplitBrainShaded() throws Exception {
        String svg = SvgChart.render("drill <test> & co", "a subtitle", results());
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        Document d = f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertEquals("svg", d.getDocumentElement().getLocalName());
        assertTrue(d.getElementsByTagName("rect").getLength() > 100, "bars");
        assertTrue(svg.contains("split brain: node1 and node2 both accepted writes"), "shaded overlap");
        assertTrue(svg.contains(">promotion<") && svg.contains(">fault<") && svg.contains(">rejoin<"), "markers");
        assertTrue(svg.contains("&lt;agent &amp; postgres&gt;"), "escaped");
    }
}
