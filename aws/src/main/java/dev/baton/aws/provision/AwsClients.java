package dev.baton.aws.provision;

import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.Ec2ClientBuilder;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2ClientBuilder;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.IamClientBuilder;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.SsmClientBuilder;

/**
 * The EC2, ELBv2, S3, IAM and SSM clients of one command, on the URLConnection HTTP client, with the SDK's
 * standard retries (5 attempts: throttling and 5xx are retried with backoff) and bounded calls.
 *
 * @param http the HTTP client both use; closed with them, since the SDK leaves a client it was
 *             given to its owner
 */
public record AwsClients(SdkHttpClient http, Ec2Client ec2, ElasticLoadBalancingV2Client elbv2, S3Client s3,
                         IamClient iam, SsmClient ssm) implements AutoCloseable {
    static final int MAX_ATTEMPTS = 5;

    /** Clients for {@code target}, signing with {@code credentials} (the caller closes those). */
    public static AwsClients open(AwsTarget target, AwsCredentialsProvider credentials, Pacing pacing) {
        SdkHttpClient http = UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(10))
                .socketTimeout(Duration.ofSeconds(60)).build();
        ClientOverrideConfiguration override = ClientOverrideConfiguration.builder()
                .retryStrategy(b -> {
                    b.maxAttempts(MAX_ATTEMPTS);
                    if (pacing.retryDelay() != null) {
                        b.backoffStrategy(BackoffStrategy.fixedDelay(pacing.retryDelay()));
                        b.throttlingBackoffStrategy(BackoffStrategy.fixedDelay(pacing.retryDelay()));
                    }
                })
                .apiCallAttemptTimeout(Duration.ofSeconds(60))
                .apiCallTimeout(Duration.ofMinutes(3))
                .build();
        Ec2ClientBuilder eb = Ec2Client.builder().region(Region.of(target.region())).credentialsProvider(credentials)
                .httpClient(http).overrideConfiguration(override);
        if (target.ec2Endpoint() != null) {
            eb.endpointOverride(target.ec2Endpoint());
        }
        ElasticLoadBalancingV2ClientBuilder lb = ElasticLoadBalancingV2Client.builder()
                .region(Region.of(target.region())).credentialsProvider(credentials).httpClient(http)
                .overrideConfiguration(override);
        if (target.elbv2Endpoint() != null) {
            lb.endpointOverride(target.elbv2Endpoint());
        }
        // S3 through an endpoint override (the emulator, S3-compatible servers) uses path-style
        // addresses; IAM is global (signed for us-east-1).
        S3ClientBuilder sb = S3Client.builder().region(Region.of(target.region())).credentialsProvider(credentials)
                .httpClient(http).overrideConfiguration(override);
        if (target.s3Endpoint() != null) {
            sb.endpointOverride(target.s3Endpoint()).forcePathStyle(true);
        }
        IamClientBuilder ib = IamClient.builder().region(Region.AWS_GLOBAL).credentialsProvider(credentials)
                .httpClient(http).overrideConfiguration(override);
        if (target.iamEndpoint() != null) {
            ib.endpointOverride(target.iamEndpoint());
        }
        SsmClientBuilder mb = SsmClient.builder().region(Region.of(target.region())).credentialsProvider(credentials)
                .httpClient(http).overrideConfiguration(override);
        if (target.ssmEndpoint() != null) {
            mb.endpointOverride(target.ssmEndpoint());
        }
        return new AwsClients(http, eb.build(), lb.build(), sb.build(), ib.build(), mb.build());
    }

    @Override
    public void close() {
        ec2.close();
        elbv2.close();
        s3.close();
        iam.close();
        ssm.close();
        http.close();
    }
}
