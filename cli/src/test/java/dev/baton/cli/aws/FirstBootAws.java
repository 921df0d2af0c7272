package dev.baton.cli.aws;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * The aws CLI's two calls the first boot makes, for {@link FirstBootIT} (its shim "aws" runs this
 * class): {@code aws s3 cp s3://BUCKET/KEY FILE} and {@code aws ssm get-parameter --name NAME
 * --with-decryption --query Parameter.Value --output text}. Like the aws CLI it takes the endpoint
 * from {@code AWS_ENDPOINT_URL} and the credentials from the SDK's default chain, which on an
 * instance (here: {@code AWS_EC2_METADATA_SERVICE_ENDPOINT}) are the instance role's. Anything
 * else is exit 2.
 */
public final class FirstBootAws {
    private FirstBootAws() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>();
        List<String> words = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--with-decryption") || a.equals("--only-show-errors")) {
                options.put(a, "");
            } else if (a.startsWith("--")) {
                if (i + 1 >= args.length) {
                    fail("option " + a + " needs a value");
                }
                options.put(a, args[++i]);
            } else {
                words.add(a);
            }
        }
        Region region = Region.of(options.getOrDefault("--region", System.getenv().getOrDefault("AWS_REGION", "us-east-1")));
        String endpoint = System.getenv("AWS_ENDPOINT_URL");
        if (words.size() == 4 && words.get(0).equals("s3") && words.get(1).equals("cp") && words.get(2).startsWith("s3://")) {
            String path = words.get(2).substring("s3://".length());
            int slash = path.indexOf('/');
            if (slash < 1) {
                fail("not s3://BUCKET/KEY: " + words.get(2));
            }
            var b = S3Client.builder().region(region);
            if (endpoint != null) {
                b.endpointOverride(URI.create(endpoint)).forcePathStyle(true);
            }
            try (S3Client s3 = b.build();
                 ResponseInputStream<GetObjectResponse> in = s3.getObject(r -> r.bucket(path.substring(0, slash))
                         .key(path.substring(slash + 1)))) {
                Files.copy(in, Path.of(words.get(3)), StandardCopyOption.REPLACE_EXISTING);
            }
            return;
        }
        if (words.size() == 2 && words.get(0).equals("ssm") && words.get(1).equals("get-parameter")
                && options.containsKey("--name") && "Parameter.Value".equals(options.get("--query"))
                && "text".equals(options.get("--output"))) {
            var b = SsmClient.builder().region(region);
            if (endpoint != null) {
                b.endpointOverride(URI.create(endpoint));
            }
            try (SsmClient ssm = b.build()) {
                String value = ssm.getParameter(r -> r.name(options.get("--name"))
                        .withDecryption(options.containsKey("--with-decryption"))).parameter().value();
                System.out.println(value);
            }
            return;
        }
        fail("the aws stand-in knows only s3 cp s3://... FILE and ssm get-parameter --query Parameter.Value"
                + " --output text: " + String.join(" ", args));
    }

    private static void fail(String message) {
        System.err.println("aws stand-in: " + message);
        System.exit(2);
    }
}
