package dev.baton.aws.provision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The spec's checks, each naming its flag; region and endpoint resolution. */
class ClusterSpecTest {

    private static ClusterSpec.Builder valid() {
        return valid("demo");
    }

    private static ClusterSpec.Builder valid(String name) {
        return ClusterSpec.builder(name).instances(3).instanceType("t3.medium").ami("ami-0123456789abcdef0")
                .subnets(List.of("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")).etcdHosts(List.of("etcd1:2379"));
    }

    private static void refused(String expected, ClusterSpec spec) {
        List<String> problems = spec.validate();
        assertTrue(problems.stream().anyMatch(p -> p.contains(expected)), "expected '" + expected + "' in " + problems);
    }

    @Test
    void aValidSpecHasNoProblems() {
        assertEquals(List.of(), valid().build().validate());
        assertEquals(List.of(), valid().etcdHosts(List.of()).colocateEtcd(true).ipOffset(3).build().validate());
        assertEquals(List.of(), valid().publicLoadBalancer(true).clientCidrs(List.of("0.0.0.0/0"))
                .sshCidrs(List.of("203.0.113.0/24")).instanceProfile("baton-agent").keyName("ops")
                .batonSha256("0f".repeat(32)).build().validate());
    }

    @Test
    void thePackageTheImageAndTheBucket() {
        assertEquals(List.of(), valid().ami(null).packageFile("/tmp/baton_0.1.0_all.deb").build().validate(),
                "no --ami: the Debian image is looked up");
        assertTrue(valid().build().uploadsPackage());
        assertTrue(valid().backup(false).build().needsBucket(), "the package needs the bucket");
        ClusterSpec url = valid().batonUrl("https://example.com/baton.jar").backup(false).build();
        assertEquals(false, url.needsBucket());
        refused("--package and --baton-url: give only one", valid().packageFile("/tmp/p.deb")
                .batonUrl("https://example.com/baton.jar").build());
        refused("--baton-sha256: not with --package", valid().packageFile("/tmp/p.deb").batonSha256("0f".repeat(32)).build());
        refused("--bucket: not with --no-backup and --baton-url", valid().backup(false).backupBucket("mine")
                .batonUrl("https://example.com/baton.jar").build());
        assertEquals(List.of(), valid().backup(false).backupBucket("mine").build().validate(), "the package goes there");
        assertEquals("ami-0123456789abcdef0", valid().ami(null).build().withAmi("ami-0123456789abcdef0").ami());
    }

    @Test
    void everyProblemNamesItsFlag() {
        refused("NAME: must be 1 to 26 lowercase", valid("Demo").build());
        refused("NAME:", valid("a-very-long-cluster-name-indeed").build());
        refused("NAME:", valid("demo-").build());
        assertEquals(List.of(), valid("abcdefghijklmnopqrstuvwxyz").build().validate(), "26 characters");
        refused("--instances: must be between 1 and 15, got 0", valid().instances(0).build());
        refused("--instance-type:", valid().instanceType("big").build());
        refused("--ami:", valid().ami("ubuntu").build());
        refused("--subnets: give at least one", valid().subnets(List.of()).build());
        refused("--subnets: \"sub-1\" is not a subnet id", valid().subnets(List.of("sub-1")).build());
        refused("is given twice", valid().subnets(List.of("subnet-01234567", "subnet-01234567")).build());
        refused("give exactly one of --etcd", valid().etcdHosts(List.of()).build());
        refused("give only one of them", valid().colocateEtcd(true).build());
        refused("--etcd: must be HOST:PORT, got \"etcd1\"", valid().etcdHosts(List.of("etcd1")).build());
        refused("must be odd", valid().instances(2).etcdHosts(List.of()).colocateEtcd(true).build());
        refused("--ip-offset: only with --colocate-etcd", valid().ipOffset(1).build());
        refused("--public: also give --client-cidr", valid().publicLoadBalancer(true).build());
        refused("--ssh-cidr:", valid().sshCidrs(List.of("10.0.0.300/8")).build());
        refused("--client-cidr:", valid().clientCidrs(List.of("everyone")).build());
        refused("--baton-url:", valid().batonUrl("ftp://example.com/baton.jar").build());
        refused("--baton-url:", valid().batonUrl("https://example.com/it's.jar").build());
        refused("--baton-sha256:", valid().batonSha256("abc").build());
        refused("--instance-profile:", valid().instanceProfile("no spaces please").build());
    }

    @Test
    void regionAndEndpointsComeFromFlagsThenTheEnvironment() {
        AwsTarget t = AwsTarget.resolve("eu-west-1", null, Map.of("AWS_REGION", "us-east-2"), () -> "ap-south-1");
        assertEquals("eu-west-1", t.region());
        assertEquals(null, t.ec2Endpoint());
        assertEquals("us-east-2", AwsTarget.resolve(null, null, Map.of("AWS_REGION", "us-east-2",
                "AWS_DEFAULT_REGION", "us-west-1"), () -> null).region());
        assertEquals("us-west-1", AwsTarget.resolve(null, null, Map.of("AWS_DEFAULT_REGION", "us-west-1"), () -> null)
                .region());
        assertEquals("ap-south-1", AwsTarget.resolve(null, null, Map.of(), () -> "ap-south-1").region());
        assertTrue(assertThrows(InvalidSpecException.class, () -> AwsTarget.resolve(null, null, Map.of(), () -> null))
                .getMessage().contains("pass --region or set AWS_REGION"));
        assertTrue(assertThrows(InvalidSpecException.class, () -> AwsTarget.resolve("Europe", null, Map.of(), () -> null))
                .getMessage().startsWith("--region:"));

        AwsTarget env = AwsTarget.resolve("eu-west-1", null, Map.of("AWS_ENDPOINT_URL", "http://127.0.0.1:4566",
                "AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:5000"), () -> null);
        assertEquals("http://127.0.0.1:5000", env.ec2Endpoint().toString());
        assertEquals("http://127.0.0.1:4566", env.elbv2Endpoint().toString());
        AwsTarget flag = AwsTarget.resolve("eu-west-1", "http://localhost:1234", Map.of("AWS_ENDPOINT_URL",
                "http://127.0.0.1:4566"), () -> null);
        assertEquals("http://localhost:1234", flag.ec2Endpoint().toString());
        assertEquals("http://localhost:1234", flag.elbv2Endpoint().toString());
        assertTrue(assertThrows(InvalidSpecException.class, () -> AwsTarget.resolve("eu-west-1", "localhost:1234",
                Map.of(), () -> null)).getMessage().startsWith("--endpoint-url:"));
        assertTrue(assertThrows(InvalidSpecException.class, () -> AwsTarget.resolve("eu-west-1", null,
                Map.of("AWS_ENDPOINT_URL", "nope"), () -> null)).getMessage().startsWith("AWS_ENDPOINT_URL:"));
    }

    @Test
    void namesAndTokensAreStable() {
        assertEquals("baton-demo", Names.resource("demo"));
        assertEquals("demo-1", Names.member("demo", 0));
        assertEquals(2, Names.index("demo", "demo-3"));
        assertEquals(-1, Names.index("demo", "other-3"));
        assertEquals("baton-demo-2", Names.clientToken("demo", 1, 0));
        assertEquals("baton-demo-2-g1", Names.clientToken("demo", 1, 1));
        assertTrue(Names.clientToken("abcdefghijklmnopqrstuvwxyz", 14, 99).length() <= 64, "ClientToken limit");
    }
}
