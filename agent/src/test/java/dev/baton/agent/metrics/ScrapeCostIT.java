package dev.baton.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.ha.NodeStates;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.leader.model.Role;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * What one scrape costs in process, with the JIT warmed up (docs/observability.md). A measurement,
 * printed, not asserted: it runs with the integration tests so that the unit tests stay quick.
 */
class ScrapeCostIT {
    private static final long SECOND = 1_000_000_000L;
    private static final long WRITE = 0x5_0000_0000L + 0x3000;

    @Test
    void scrapingIsCheap() {
        AtomicLong ticker = new AtomicLong(1_000 * SECOND);
        AgentMetrics metrics = new AgentMetrics("demo", "node1", "0.1.0-SNAPSHOT", ticker::get,
                Clock.fixed(Instant.parse("2025-06-01T12:00:00Z"), ZoneOffset.UTC));
        List<PgStatus.Replica> rows = new ArrayList<>();
        for (int i = 2; i <= 5; i++) {
            rows.add(new PgStatus.Replica("node" + i, "127.0.0.1", "streaming", "async", WRITE, WRITE - i, WRITE - 2 * i,
                    0.01 * i));
        }
        PgStatus pg = new PgStatus(true, false, 3, WRITE, 0, 0, null, false, false, null, 0,
                "2025-06-01 11:00:00.5+00", 150010, rows);
        var state = NodeStates.node("node1").role(Role.PRIMARY).pg(pg).lock("node1", ticker.get() + 5 * SECOND)
                .sentence("no action: I am the leader with the lock")
                .cluster(AgentMetricsTest.cluster("node1", WRITE - 100, null, null)).lastCycle(ticker.get()).build();
        metrics.watch(() -> state);
        for (int i = 0; i < 2000; i++) {      // warm up (JIT), as in an agent that has run for a while
            metrics.cycleFinished(1_000_000 + i, "no action: I am the leader with the lock");
            metrics.scrape();
        }
        int n = 100;
        long started = System.nanoTime();
        int bytes = 0;
        for (int i = 0; i < n; i++) {
            bytes += metrics.scrape().length();
        }
        double perScrapeMs = (System.nanoTime() - started) / 1e6 / n;
        System.out.printf("AgentMetrics: %d scrapes of a primary with 4 replicas, %.3f ms per scrape, %d bytes each%n",
                n, perScrapeMs, bytes / n);
        assertTrue(bytes > 0);
    }
}
