package dev.baton.cli.aws;

import dev.baton.aws.provision.ClusterDeleter;
import dev.baton.aws.provision.MemberRoles;
import dev.baton.aws.provision.Pacing;
import dev.baton.aws.provision.RandomPasswords;
import dev.baton.aws.provision.RestApiRoles;
import dev.baton.aws.provision.ClusterSpec;
import java.net.http.HttpClient;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;

/**
 * What the aws commands take from the machine they run on: the environment, the SDK's region
 * and credential chains, how fast to poll, how to ask agents for their role, where passwords
 * come from. {@link #system()} in production; tests put in the emulator's and fast polling.
 *
 * @param env         the process environment (AWS_REGION, AWS_ENDPOINT_URL, ...)
 * @param regionChain the SDK's region chain (AWS config file, instance metadata); null when it finds none
 * @param credentials a new credentials provider for one command (closed after it when closeable)
 */
record AwsEnvironment(Map<String, String> env, Supplier<String> regionChain,
                      Supplier<AwsCredentialsProvider> credentials, Pacing pacing, MemberRoles roles,
                      Supplier<String> passwords, ClusterDeleter.Sleeper sleeper) {

    /** Timeout of one agent REST API call in {@code aws describe}. */
    static final Duration ROLE_TIMEOUT = Duration.ofSeconds(2);

    static AwsEnvironment system() {
        return new AwsEnvironment(System.getenv(), AwsEnvironment::sdkRegion,
                () -> DefaultCredentialsProvider.builder().build(), Pacing.DEFAULT,
                new RestApiRoles(HttpClient.newBuilder().connectTimeout(ROLE_TIMEOUT).build(), ClusterSpec.RESTAPI_PORT,
                        ROLE_TIMEOUT),
                new RandomPasswords(new SecureRandom()), d -> Thread.sleep(d.toMillis()));
    }

    private static String sdkRegion() {
        try {
            return DefaultAwsRegionProviderChain.builder().build().getRegion().id();
        } catch (SdkClientException e) {
            return null;
        }
    }
}
