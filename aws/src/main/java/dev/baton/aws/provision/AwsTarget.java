package dev.baton.aws.provision;

import dev.baton.config.HttpUrls;
import java.net.URI;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Which region and endpoints the clients use, resolved as the AWS CLI does: {@code --region},
 * else {@code AWS_REGION} / {@code AWS_DEFAULT_REGION}, else the SDK's region chain (profile,
 * instance metadata); {@code --endpoint-url}, else the service's {@code AWS_ENDPOINT_URL_<SERVICE>},
 * else {@code AWS_ENDPOINT_URL}, else AWS's own endpoint.
 *
 * @param ec2Endpoint   endpoint override for EC2, or null
 * @param elbv2Endpoint endpoint override for ELBv2, or null
 * @param s3Endpoint    endpoint override for S3 (then path-style addresses), or null
 * @param iamEndpoint   endpoint override for IAM, or null
 * @param ssmEndpoint   endpoint override for SSM (Parameter Store), or null
 */
public record AwsTarget(String region, URI ec2Endpoint, URI elbv2Endpoint, URI s3Endpoint, URI iamEndpoint,
                        URI ssmEndpoint) {

    /** One endpoint override for every service (or null for none): the emulator, tests. */
    public AwsTarget(String region, URI ec2Endpoint, URI elbv2Endpoint) {
        this(region, ec2Endpoint, elbv2Endpoint, ec2Endpoint, ec2Endpoint, ec2Endpoint);
    }

    /**
     * Resolves the target. Throws {@link InvalidSpecException} (naming the flag or variable) for
     * a malformed URL or when no region is found.
     *
     * @param regionFlag   {@code --region}, or null
     * @param endpointFlag {@code --endpoint-url}, or null
     * @param env          the environment
     * @param regionChain  the SDK's region chain (returns null when it finds none)
     */
    public static AwsTarget resolve(String regionFlag, String endpointFlag, Map<String, String> env,
                                    Supplier<String> regionChain) {
        String region = firstNonBlank(regionFlag, env.get("AWS_REGION"), env.get("AWS_DEFAULT_REGION"));
        if (region == null) {
            region = regionChain.get();
        }
        if (region == null || region.isBlank()) {
            throw new InvalidSpecException("no AWS region: pass --region or set AWS_REGION (or a region in the "
                    + "AWS config file)");
        }
        if (!region.matches("[a-z]{2,}(-[a-z0-9]+)+")) {
            throw new InvalidSpecException("--region: must be an AWS region such as eu-west-1, got \"" + region + "\"");
        }
        URI ec2;
        URI elbv2;
        URI s3;
        URI iam;
        URI ssm;
        if (endpointFlag != null) {
            ec2 = url("--endpoint-url", endpointFlag);
            elbv2 = ec2;
            s3 = ec2;
            iam = ec2;
            ssm = ec2;
        } else {
            ec2 = endpoint(env, "AWS_ENDPOINT_URL_EC2");
            elbv2 = endpoint(env, "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2");
            s3 = endpoint(env, "AWS_ENDPOINT_URL_S3");
            iam = endpoint(env, "AWS_ENDPOINT_URL_IAM");
            ssm = endpoint(env, "AWS_ENDPOINT_URL_SSM");
        }
        return new AwsTarget(region, ec2, elbv2, s3, iam, ssm);
    }

    private static URI endpoint(Map<String, String> env, String serviceVariable) {
        String specific = env.get(serviceVariable);
        if (specific != null && !specific.isBlank()) {
            return url(serviceVariable, specific);
        }
        String global = env.get("AWS_ENDPOINT_URL");
        return global == null || global.isBlank() ? null : url("AWS_ENDPOINT_URL", global);
    }

    private static URI url(String source, String text) {
        return HttpUrls.parse(text).orElseThrow(() -> new InvalidSpecException(source
                + ": must be an http:// or https:// URL, got \"" + text + "\""));
    }

    private static String firstNonBlank(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v.trim();
            }
        }
        return null;
    }
}
