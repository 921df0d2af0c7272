package dev.baton.aws.routing;

import dev.baton.agent.routing.RoutingMetrics;
import dev.baton.config.AwsConfig;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.elasticloadbalancing.ElasticLoadBalancingClient;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;

/**
 * Builds the AWS load balancer router from the {@code aws} section: the composition root's only
 * entry into this package.
 *
 * <p>Credentials come from the AWS SDK's default chain (environment, profile, web identity,
 * container or instance role), never from Baton's configuration. The region is, in order:
 * {@code aws.region}, the target group ARN's region, {@code AWS_REGION}, {@code
 * AWS_DEFAULT_REGION}, and (unless {@code aws.instance_id} is set) the instance metadata service.
 * The endpoint is {@code aws.endpoint_url}, else the SDK's own resolution (which honours {@code
 * AWS_ENDPOINT_URL} and the per-service variables).
 *
 * <p>Every client uses the URLConnection HTTP client with short timeouts, and makes each call
 * once: the router retries, with backoff bounded by the newest desired state.
 */
public final class AwsRouting {
    private AwsRouting() {
    }

    /**
     * Builds and starts a router. Does no I/O here: the identity and region are resolved on the
     * router's thread, so an unreachable metadata service never delays the agent.
     *
     * @param aws      the {@code aws} section
     * @param metrics  where routing changes are counted (the agent's registry)
     * @param env      the process environment (for {@code AWS_REGION})
     */
    public static AwsRouter start(AwsConfig aws, RoutingMetrics metrics, Map<String, String> env) {
        Objects.requireNonNull(aws, "aws");
        Objects.requireNonNull(metrics, "metrics");
        Map<String, String> environment = Map.copyOf(env);
        InstanceMetadata imds = new InstanceMetadata(metadataUrl(aws, environment), metadataTimeout(aws));
        return new AwsRouter(aws.mode(), aws.port(), () -> connect(aws, metrics, environment, null, imds), metrics,
                RoutingTiming.of(aws), System::nanoTime, new Random()).start();
    }

    /**
     * Resolves identity and region and builds the clients; on the router's thread.
     *
     * @param credentials null for the SDK's default chain (production); tests pass fixed ones
     * @param imds        the instance metadata service (used unless aws.instance_id is set)
     */
    static AwsRouter.Connection connect(AwsConfig aws, RoutingMetrics metrics, Map<String, String> env,
                                        AwsCredentialsProvider credentials, InstanceMetadata imds) throws IOException {
        Duration connectTimeout = aws.callTimeout().compareTo(Duration.ofSeconds(1)) < 0
                ? aws.callTimeout() : Duration.ofSeconds(1);
        String self = aws.instanceId() != null ? aws.instanceId() : imds.instanceId();
        String region = region(aws, env, imds);
        List<TargetSet> sets = new ArrayList<>();
        if (aws.targetGroupArn() != null) {
            sets.add(new TargetGroupTargets(configure(ElasticLoadBalancingV2Client.builder(), aws, region, connectTimeout,
                    credentials).build(), aws.targetGroupArn(), metrics));
        }
        if (aws.loadBalancerName() != null) {
            sets.add(new ClassicElbTargets(configure(ElasticLoadBalancingClient.builder(), aws, region, connectTimeout,
                    credentials).build(), aws.loadBalancerName(), metrics));
        }
        return new AwsRouter.Connection(self, sets);
    }

    /** Region, HTTP client, one-attempt retries, endpoint and credentials: the same for both load balancer APIs. */
    private static <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B configure(B b, AwsConfig aws,
            String region, Duration connectTimeout, AwsCredentialsProvider credentials) {
        b.region(Region.of(region)).httpClientBuilder(http(aws, connectTimeout)).overrideConfiguration(overrides(aws));
        if (aws.endpointUrl() != null) {
            b.endpointOverride(endpoint(aws.endpointUrl()));
        }
        if (credentials != null) {
            b.credentialsProvider(credentials);
        }
        return b;
    }

    /**
     * The metadata service: aws.metadata_url when set to something else than the default, else
     * {@code AWS_EC2_METADATA_SERVICE_ENDPOINT} (the variable the SDK and the aws CLI read for the
     * same thing) when set, else 169.254.169.254.
     */
    static URI metadataUrl(AwsConfig aws, Map<String, String> env) {
        String fromEnv = env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT");
        if (aws.metadataUrl().equals(AwsConfig.DEFAULT_METADATA_URL) && fromEnv != null && !fromEnv.isBlank()) {
            return URI.create(fromEnv.trim());
        }
        return aws.metadataUrl();
    }

    /** The metadata service answers in milliseconds on an instance; at most 2 s per request. */
    static Duration metadataTimeout(AwsConfig aws) {
        return aws.callTimeout().compareTo(Duration.ofSeconds(2)) < 0 ? aws.callTimeout() : Duration.ofSeconds(2);
    }

    static String region(AwsConfig aws, Map<String, String> env, InstanceMetadata imds) throws IOException {
        for (String candidate : new String[] {aws.region(), aws.targetGroupRegion(), env.get("AWS_REGION"),
                env.get("AWS_DEFAULT_REGION")}) {
            if (candidate != null && !candidate.isBlank()) {
                return candidate.trim();
            }
        }
        if (aws.instanceId() == null) {
            return imds.region();
        }
        throw new IOException("no AWS region: set aws.region or AWS_REGION");
    }

    /** The SDK's own (URLConnection) client; the SDK owns it and closes it with the service client. */
    private static UrlConnectionHttpClient.Builder http(AwsConfig aws, Duration connectTimeout) {
        return UrlConnectionHttpClient.builder().connectionTimeout(connectTimeout).socketTimeout(aws.callTimeout());
    }

    /** One attempt per call, bounded by aws.call_timeout: the router owns retries. */
    private static ClientOverrideConfiguration overrides(AwsConfig aws) {
        return ClientOverrideConfiguration.builder()
                .apiCallTimeout(aws.callTimeout())
                .apiCallAttemptTimeout(aws.callTimeout())
                .retryStrategy(AwsRetryStrategy.doNotRetry())
                .build();
    }

    /** The SDK wants no trailing path on a query-protocol endpoint (it would drop it anyway). */
    private static URI endpoint(URI u) {
        return URI.create(u.getScheme() + "://" + u.getRawAuthority());
    }
}
