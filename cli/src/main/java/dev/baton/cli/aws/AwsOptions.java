package dev.baton.cli.aws;

import dev.baton.aws.provision.AwsClients;
import dev.baton.aws.provision.AwsTarget;
import dev.baton.aws.provision.ClusterProvisioner;
import dev.baton.aws.provision.InvalidSpecException;
import dev.baton.aws.provision.Names;
import dev.baton.cli.ExitException;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import picocli.CommandLine.Option;

/**
 * The options every {@code baton aws} command shares: region, endpoint, output format.
 * Credentials come from the SDK's standard chain only (environment, profile, SSO, instance role).
 */
public final class AwsOptions {

    @Option(names = "--region", paramLabel = "REGION", description = "AWS region (default: AWS_REGION, "
            + "AWS_DEFAULT_REGION, the AWS config file, the instance metadata).")
    String region;

    @Option(names = "--endpoint-url", paramLabel = "URL", description = "Endpoint for the EC2 and ELB APIs, e.g. an "
            + "emulator or a VPC endpoint (default: AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2, "
            + "else AWS_ENDPOINT_URL, else AWS's).")
    String endpointUrl;

    @Option(names = {"-f", "--format"}, defaultValue = "text", paramLabel = "FORMAT",
            description = "text or json (default: ${DEFAULT-VALUE}).")
    String format;

    /**
     * Set by tests (same package) before the command runs; else {@link AwsEnvironment#system()},
     * made on first use: picocli builds every command for every {@code baton} invocation, and
     * the system environment starts an HTTP client.
     */
    AwsEnvironment environment;

    AwsEnvironment environment() {
        if (environment == null) {
            environment = AwsEnvironment.system();
        }
        return environment;
    }

    boolean json() {
        return "json".equals(format);
    }

    /** The clients of one command, and what they were made for. */
    record Session(AwsTarget target, AwsCredentialsProvider credentials, AwsClients clients) implements AutoCloseable {

        Ec2Client ec2() {
            return clients.ec2();
        }

        ElasticLoadBalancingV2Client elbv2() {
            return clients.elbv2();
        }

        software.amazon.awssdk.services.s3.S3Client s3() {
            return clients.s3();
        }

        software.amazon.awssdk.services.iam.IamClient iam() {
            return clients.iam();
        }

        software.amazon.awssdk.services.ssm.SsmClient ssm() {
            return clients.ssm();
        }

        String region() {
            return target.region();
        }

        /** Never the credentials (a record would print the provider, and with it the access key id). */
        @Override
        public String toString() {
            return "Session[" + target.region() + "]";
        }

        @Override
        public void close() {
            clients.close();
            if (credentials instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    // nothing to do about a provider that fails to close
                }
            }
        }
    }

    /** Resolves region and endpoints (bad ones are exit 2) and opens the clients. */
    Session open() {
        AwsTarget target;
        try {
            target = AwsTarget.resolve(region, endpointUrl, environment().env(), environment().regionChain());
        } catch (InvalidSpecException e) {
            throw ExitException.badInput(e.getMessage());
        }
        AwsCredentialsProvider credentials = environment().credentials().get();
        return new Session(target, credentials, AwsClients.open(target, credentials, environment().pacing()));
    }

    /** A cluster name as NAME: exit 2 unless it could be one (the commands that create one check more). */
    static String requireClusterName(String name) {
        if (!Names.isClusterName(name)) {
            throw ExitException.badInput("NAME: not a cluster name (lowercase letters, digits and '-'), got \""
                    + name + "\"");
        }
        return name;
    }

    /** An AWS failure as exit 1, in one line, with a hint when the credentials are missing. */
    static ExitException failure(String what, SdkException e) {
        String text = ClusterProvisioner.describe(e);
        if (text != null && text.contains("Unable to load credentials")) {
            text = "no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where "
                    + "an instance role or SSO session provides them";
        }
        return ExitException.failed(what + ": " + text);
    }
}
