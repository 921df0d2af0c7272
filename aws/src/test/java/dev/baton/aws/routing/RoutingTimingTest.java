package dev.baton.aws.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.baton.config.AwsConfig;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The router's timing derived from aws.reconcile_interval and aws.call_timeout. */
class RoutingTimingTest {

    @ParameterizedTest(name = "reconcile {0} s, call timeout {1} s")
    @CsvSource({
        // reconcile, call timeout -> follow-up, backoff cap, close grace (all seconds)
        "1,    1,   1,  1,  2",
        "10,   3,   2,  10, 5",
        "3600, 60,  2,  10, 5",
        "5,    2,   2,  5,  4",
    })
    void derivedFromTheAwsSection(int reconcile, int callTimeout, int followUp, int cap, int grace) {
        AwsConfig aws = new AwsConfig("eu-west-1", null, "pg", AwsConfig.Mode.BOTH, null, null, null, 5432,
                Duration.ofSeconds(callTimeout), Duration.ofSeconds(reconcile));
        assertEquals(new RoutingTiming(Duration.ofSeconds(reconcile), Duration.ofSeconds(followUp), Duration.ofMillis(200),
                Duration.ofSeconds(1), Duration.ofSeconds(cap), Duration.ofSeconds(grace)), RoutingTiming.of(aws));
    }
}
