package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.aws.emulator.AwsEmulator;
import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Load balancer routing with real agents, PostgreSQL and etcd, and the in-process AWS emulator as
 * the load balancer: a target group whose health check really probes each member's
 * {@code /primary}, and agents (aws.mode both) that register and deregister through the real AWS
 * SDK. Deadlines are generous; the latencies are measured and printed, not asserted.
 */
class AwsRoutingIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Pattern AFTER_ROLE_CHANGE = Pattern.compile("\\((\\d+) ms after the role change\\)");

    /** One observation of the target group. */
    private record Sample(long nanos, List<String> registered, List<String> healthy) {
    }

    @Test
    void theLoadBalancerFollowsThePrimaryAndAwsTroubleNeverDisturbsTheHaLoop() throws Exception {
        try (AwsEmulator emu = AwsEmulator.start()) {
            emu.setDeregistrationDelay(Duration.ofSeconds(2));
            Map<String, String> instanceOf = new LinkedHashMap<>();
            for (int i = 1; i <= 3; i++) {
                instanceOf.put("node" + i, emu.addRunningInstance("10.0.0." + (10 + i), Map.of("Name", "node" + i)));
            }
            String arn = emu.createTargetGroup("pg", 5432, 8008, "/primary");
            Map<String, String> yaml = new LinkedHashMap<>();
            instanceOf.forEach((node, id) -> yaml.put(node, """
                    aws:
                      target_group_arn: %s
                      mode: both
                      instance_id: %s
                      endpoint_url: %s
                      call_timeout: 2
                      reconcile_interval: 1
                    """.formatted(arn, id, emu.endpoint())));
            // The agents are separate processes: the SDK's default chain finds these in their environment.
            LocalCluster.Options options = LocalCluster.Options.defaults().withHaproxy(false).withNodeYaml(yaml)
                    .withEnv(Map.of("AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test",
                            "AWS_EC2_METADATA_DISABLED", "true"));
            try (LocalCluster c = LocalCluster.start(Files.createTempDirectory("baton-it-aws-"), options)) {
                Map<String, Node> nodeOf = new LinkedHashMap<>();
                instanceOf.forEach((node, id) -> nodeOf.put(id, c.node(node)));
                // The load balancer's health check: HTTP GET /primary on each member's REST port.
                emu.probeTargetsOverHttp(id -> URI.create("http://127.0.0.1:" + nodeOf.get(id).restPort()),
                        Duration.ofMillis(500));
                awaitOrFail(c, "the cluster is up", () -> c.healthy(2));
                Node first = c.primary().orElseThrow();
                String firstId = instanceOf.get(first.name());

                // 1. After bootstrap: the primary is the only healthy target; the replicas stand by.
                awaitOrFail(c, "only " + firstId + " (" + first.name() + ") is healthy, the replicas stand by",
                        () -> healthy(emu, arn, instanceOf).equals(List.of(firstId))
                                && emu.registeredTargets(arn).size() == 3);

                // 2. Kill the primary: the new primary's instance becomes the only healthy,
                // registered target. A sampler records what the load balancer looked like.
                List<Sample> samples = new ArrayList<>();
                AtomicBoolean sampling = new AtomicBoolean(true);
                Thread sampler = new Thread(() -> {
                    while (sampling.get()) {
                        Sample s = new Sample(System.nanoTime(), emu.registeredTargets(arn), healthy(emu, arn, instanceOf));
                        synchronized (samples) {
                            if (samples.isEmpty() || !samples.get(samples.size() - 1).registered().equals(s.registered())
                                    || !samples.get(samples.size() - 1).healthy().equals(s.healthy())) {
                                samples.add(s);
                            }
                        }
                        try {
                            Thread.sleep(20);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }, "lb-sampler");
                sampler.start();
                emu.clearCalls();
                long killedAt = System.nanoTime();
                first.kill();
                awaitOrFail(c, "another node is primary", () -> c.primary().map(n -> n != first).orElse(false));
                Node second = c.primary().orElseThrow();
                String secondId = instanceOf.get(second.name());
                awaitOrFail(c, "only " + secondId + " (" + second.name() + ") is healthy and " + firstId + " is out",
                        () -> healthy(emu, arn, instanceOf).equals(List.of(secondId))
                                && !emu.registeredTargets(arn).contains(firstId));
                sampling.set(false);
                sampler.join();
                synchronized (samples) {
                    // What the await just saw, in case the sampler stopped before recording it.
                    samples.add(new Sample(System.nanoTime(), emu.registeredTargets(arn), healthy(emu, arn, instanceOf)));
                }

                long exclusiveAt = -1;
                long healthyAt = -1;
                synchronized (samples) {
                    for (Sample s : samples) {
                        if (s.nanos() - killedAt < 0) {
                            continue;
                        }
                        if (exclusiveAt < 0 && s.registered().equals(List.of(secondId))) {
                            exclusiveAt = s.nanos();
                        }
                        if (healthyAt < 0 && s.healthy().equals(List.of(secondId))) {
                            healthyAt = s.nanos();
                        }
                    }
                }
                assertTrue(exclusiveAt > 0, "the new primary was the only registered target at some point: " + samples);
                List<AwsEmulator.Call> routing = emu.calls().stream().filter(AwsEmulator.Call::mutating).toList();
                assertFalse(routing.isEmpty(), "the new primary changed the target group");
                OptionalLong afterRoleChange = loggedLatency(second);
                System.out.printf(Locale.ROOT,
                        "routing after killing %s: first change %d ms after the kill (%s), %s the only registered "
                                + "target %d ms after the kill, the only healthy one %d ms after it; the new primary "
                                + "logged its change %s ms after its promotion (ttl %d s)%n",
                        first.name(), ms(routing.get(0).nanoTime() - killedAt), routing.get(0).action(), secondId,
                        ms(exclusiveAt - killedAt), ms(healthyAt - killedAt),
                        afterRoleChange.isPresent() ? Long.toString(afterRoleChange.getAsLong()) : "?", 10);
                assertTrue(afterRoleChange.isPresent(), "the new primary logs its routing change with its latency:\n"
                        + second.lastLogLines(60));
                Files.readAllLines(second.agentLog()).stream().filter(l -> l.contains("routing:"))
                        .forEach(l -> System.out.println(second.name() + ": " + l));
                String metrics = metrics(second);
                assertTrue(metrics.contains("baton_routing_latency_seconds_count"), metrics);
                assertTrue(metrics.contains("baton_routing_registered{"), metrics);

                // 3. The AWS API throttles, fails and is slow: the HA loop does not notice.
                awaitOrFail(c, "the cluster is whole again", () -> c.healthy(1));
                emu.setLatency("DescribeTargetHealth", Duration.ofSeconds(3)); // beyond call_timeout: timeouts
                emu.throttleNext("DescribeTargetHealth", 40);
                emu.failNext("RegisterTargets", 20, 500, "InternalFailure", "injected");
                emu.failNext("DeregisterTargets", 20, 503, "ServiceUnavailable", "injected");
                long cyclesBefore = cycles(second);
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(12);
                int polls = 0;
                while (System.nanoTime() - until < 0) {
                    Optional<LocalCluster.Response> r = c.get(second, "/primary");
                    assertEquals(200, r.map(LocalCluster.Response::status).orElse(-1),
                            "the leader keeps its lease and answers /primary while AWS misbehaves");
                    polls++;
                    Thread.sleep(200);
                }
                long cyclesAfter = cycles(second);
                System.out.printf(Locale.ROOT, "with AWS throttled, failing and slow for 12 s: %d /primary polls all "
                        + "200, %d HA cycles finished on %s%n", polls, cyclesAfter - cyclesBefore, second.name());
                assertTrue(cyclesAfter - cyclesBefore >= 6, "the HA loop kept cycling (loop_wait 1 s): "
                        + (cyclesAfter - cyclesBefore));
                assertEquals(second, c.primary().orElseThrow(), "no failover");
                emu.setLatency("DescribeTargetHealth", Duration.ZERO);

                // 4. The old primary comes back as a replica and stands by; the primary stays the only healthy one.
                first.start();
                awaitOrFail(c, first.name() + " rejoins", () -> c.healthy(2));
                awaitOrFail(c, "after the trouble: " + secondId + " alone healthy, the others stand by",
                        () -> healthy(emu, arn, instanceOf).equals(List.of(secondId))
                                && emu.registeredTargets(arn).size() == 3);
                assertNotEquals(first, c.primary().orElseThrow());
            }
        }
    }

    private static List<String> healthy(AwsEmulator emu, String arn, Map<String, String> instanceOf) {
        List<String> out = new ArrayList<>();
        for (String id : instanceOf.values()) {
            if ("healthy".equals(emu.targetHealth(arn, id))) {
                out.add(id);
            }
        }
        return out;
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    /** The latency the agent logged with its last routing change ("(143 ms after the role change)"). */
    private static OptionalLong loggedLatency(Node n) throws IOException {
        OptionalLong last = OptionalLong.empty();
        for (String line : Files.readAllLines(n.agentLog())) {
            Matcher m = AFTER_ROLE_CHANGE.matcher(line);
            if (line.contains("routing:") && m.find()) {
                last = OptionalLong.of(Long.parseLong(m.group(1)));
            }
        }
        return last;
    }

    private static String metrics(Node n) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.restPort() + "/metrics"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** baton_ha_cycle_duration_seconds_count: HA cycles finished so far. */
    private static long cycles(Node n) throws IOException, InterruptedException {
        for (String line : metrics(n).split("\n")) {
            if (line.startsWith("baton_ha_cycle_duration_seconds_count")) {
                return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no baton_ha_cycle_duration_seconds_count on " + n);
    }
}
