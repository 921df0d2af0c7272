package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The aws section's value helpers and its environment rule; AwsConfigTest covers it through the loader. */
class AwsSectionTest {
    private static final PostgresConfig PG = new PostgresConfig("h:5433", null, null, null, null, null, null, null,
            null, false, null);

    @ParameterizedTest
    @ValueSource(strings = {"http://h", "https://h:9/x", "HTTP://h", " http://169.254.169.254 "})
    void httpUrls(String url) {
        Sections s = new Sections();
        assertEquals(URI.create(url.trim()), AwsSection.httpUrl(s.node("aws", "u: '" + url + "'"), "u"));
        assertEquals(Map.of(), s.errors());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://h", "h:80", "http://", "http:// x", "/path"})
    void notHttpUrls(String url) {
        Sections s = new Sections();
        assertNull(AwsSection.httpUrl(s.node("aws", "u: '" + url + "'"), "u"));
        assertEquals(Map.of("aws.u", "must be an http:// or https:// URL with a host, got \"" + url + "\""), s.errors());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "''       | PT7S  |",
        "s: 1     | PT1S  |",
        "s: 60    | PT1M  |",
        "s: 0     | PT7S  | must be between 1 and 60 seconds, got 0",
        "s: 61    | PT7S  | must be between 1 and 60 seconds, got 61",
    })
    void seconds(String yaml, Duration expected, String error) {
        Sections s = new Sections();
        assertEquals(expected, AwsSection.seconds(s.node("aws", yaml), "s", Duration.ofSeconds(7), 1, 60));
        assertEquals(error == null ? Map.of() : Map.of("aws.s", error), s.errors());
    }

    @Test
    void theTargetPortDefaultsToPostgresqlsAndTheRegionMayComeFromTheEnvironment() {
        String yaml = "{load_balancer_name: pg, instance_id: i-0123456789abcdef0}";
        Sections s = new Sections();
        AwsConfig aws = AwsSection.read(s.node("aws", yaml), PG, Map.of("AWS_DEFAULT_REGION", "eu-west-1"));
        assertEquals(5433, aws.port());
        assertNull(aws.region(), "the SDK reads the environment itself");
        assertEquals(Map.of(), s.errors());

        Sections without = new Sections();
        AwsSection.read(without.node("aws", yaml), PG, Map.of("AWS_REGION", " "));
        assertEquals(Map.of("aws.region", "is required: with instance_id set Baton does not ask the instance "
                + "metadata service, so set aws.region (or AWS_REGION)"), without.errors());
    }
}
