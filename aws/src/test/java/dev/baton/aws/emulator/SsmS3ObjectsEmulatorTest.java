package dev.baton.aws.emulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.GetParametersByPathResponse;
import software.amazon.awssdk.services.ssm.model.Parameter;
import software.amazon.awssdk.services.ssm.model.ParameterAlreadyExistsException;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;
import software.amazon.awssdk.services.ssm.model.ParameterType;
import software.amazon.awssdk.services.ssm.model.SsmException;

/** The emulator's SSM Parameter Store and S3 object operations through the real SDK clients. */
class SsmS3ObjectsEmulatorTest {
    private AwsEmulator emu;
    private SsmClient ssm;
    private S3Client s3;

    @BeforeEach
    void setUp() throws Exception {
        emu = AwsEmulator.start();
        StaticCredentialsProvider creds = StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));
        ssm = SsmClient.builder().endpointOverride(emu.endpoint()).region(Region.of(emu.region()))
                .credentialsProvider(creds).httpClient(UrlConnectionHttpClient.create()).build();
        s3 = S3Client.builder().endpointOverride(emu.endpoint()).forcePathStyle(true).region(Region.of(emu.region()))
                .credentialsProvider(creds).httpClient(UrlConnectionHttpClient.create()).build();
    }

    @AfterEach
    void tearDown() {
        ssm.close();
        s3.close();
        emu.close();
    }

    @Test
    void secureStringParametersAreDecryptedOnlyWhenAsked() {
        ssm.putParameter(r -> r.name("/baton/demo/superuser-password").value("s3cr3t'x").type(ParameterType.SECURE_STRING)
                .tags(t -> t.key("baton:cluster").value("demo")));
        ssm.putParameter(r -> r.name("/baton/demo/ca-cert").value("-----BEGIN CERTIFICATE-----\nMII\n")
                .type(ParameterType.STRING));
        Parameter clear = ssm.getParameter(r -> r.name("/baton/demo/superuser-password").withDecryption(true)).parameter();
        assertEquals("s3cr3t'x", clear.value());
        assertEquals(ParameterType.SECURE_STRING, clear.type());
        assertTrue(clear.arn().endsWith(":parameter/baton/demo/superuser-password"), clear.arn());
        assertNotEquals("s3cr3t'x", ssm.getParameter(r -> r.name("/baton/demo/superuser-password")).parameter().value());
        assertEquals("SecureString", emu.parameter("/baton/demo/superuser-password").type());
        assertEquals("demo", emu.parameter("/baton/demo/superuser-password").tags().get("baton:cluster"));

        assertThrows(ParameterAlreadyExistsException.class, () -> ssm.putParameter(r -> r
                .name("/baton/demo/superuser-password").value("other").type(ParameterType.SECURE_STRING)));
        assertEquals(2L, ssm.putParameter(r -> r.name("/baton/demo/superuser-password").value("other")
                .type(ParameterType.SECURE_STRING).overwrite(true)).version());
        assertThrows(ParameterNotFoundException.class, () -> ssm.getParameter(r -> r.name("/baton/demo/none")));

        var both = ssm.getParameters(r -> r.names("/baton/demo/ca-cert", "/baton/demo/none").withDecryption(true));
        assertEquals(List.of("/baton/demo/ca-cert"), both.parameters().stream().map(Parameter::name).toList());
        assertEquals(List.of("/baton/demo/none"), both.invalidParameters());
        assertEquals("-----BEGIN CERTIFICATE-----\nMII\n", both.parameters().get(0).value());
    }

    @Test
    void byPathPagesAndDeletes() {
        for (int i = 0; i < 12; i++) {
            int n = i;
            ssm.putParameter(r -> r.name("/baton/demo/p" + (char) ('a' + n)).value("v" + n).type(ParameterType.SECURE_STRING));
        }
        ssm.putParameter(r -> r.name("/baton/demo/deeper/x").value("x").type(ParameterType.STRING));
        ssm.putParameter(r -> r.name("/baton/demo2/p").value("y").type(ParameterType.STRING));
        GetParametersByPathResponse first = ssm.getParametersByPath(r -> r.path("/baton/demo/").withDecryption(true));
        assertEquals(10, first.parameters().size());
        assertTrue(first.nextToken() != null);
        List<String> all = ssm.getParametersByPathPaginator(r -> r.path("/baton/demo/").withDecryption(true)).stream()
                .flatMap(p -> p.parameters().stream()).map(Parameter::name).toList();
        assertEquals(12, all.size(), all.toString());
        assertTrue(all.stream().noneMatch(n -> n.contains("deeper") || n.contains("demo2")), all.toString());
        assertEquals(13, ssm.getParametersByPathPaginator(r -> r.path("/baton/demo").recursive(true)).stream()
                .mapToInt(p -> p.parameters().size()).sum());

        var deleted = ssm.deleteParameters(r -> r.names("/baton/demo/pa", "/baton/demo/pb", "/baton/demo/none"));
        assertEquals(List.of("/baton/demo/pa", "/baton/demo/pb"), deleted.deletedParameters());
        assertEquals(List.of("/baton/demo/none"), deleted.invalidParameters());
        ssm.deleteParameter(r -> r.name("/baton/demo/pc"));
        assertThrows(ParameterNotFoundException.class, () -> ssm.deleteParameter(r -> r.name("/baton/demo/pc")));
        assertEquals(9 + 1 + 1, emu.parameterNames().size());
    }

    @Test
    void thePublicDebianImageParameterIsThereAndReserved() {
        assertEquals(AwsEmulator.DEBIAN_AMI, ssm.getParameter(r -> r.name(AwsEmulator.DEBIAN_AMI_PARAMETER)).parameter().value());
        assertEquals(List.of(), emu.parameterNames(), "public parameters are not the account's own");
        SsmException e = assertThrows(SsmException.class, () -> ssm.putParameter(r -> r.name(AwsEmulator.DEBIAN_AMI_PARAMETER)
                .value("ami-0000000000000000").type(ParameterType.STRING).overwrite(true)));
        assertEquals("AccessDeniedException", e.awsErrorDetails().errorCode());
    }

    @Test
    void objectsRoundTripByteForByte() {
        emu.addBucket("bk1");
        byte[] big = new byte[300_000];
        new Random(7).nextBytes(big);
        s3.putObject(r -> r.bucket("bk1").key("demo/package/baton_1_all.deb"), RequestBody.fromBytes(big));
        assertArrayEquals(big, emu.object("bk1", "demo/package/baton_1_all.deb"), "the SDK's chunked upload is decoded");
        assertArrayEquals(big, s3.getObjectAsBytes(r -> r.bucket("bk1").key("demo/package/baton_1_all.deb")).asByteArray());
        String etag = s3.headObject(r -> r.bucket("bk1").key("demo/package/baton_1_all.deb")).eTag();
        assertEquals(34, etag.length(), etag);
        assertThrows(NoSuchKeyException.class, () -> s3.headObject(r -> r.bucket("bk1").key("nope")));
        assertThrows(NoSuchKeyException.class, () -> s3.getObject(r -> r.bucket("bk1").key("nope")));
        s3.deleteObject(r -> r.bucket("bk1").key("demo/package/baton_1_all.deb"));
        assertEquals(List.of(), emu.objectKeys("bk1"));
    }
}
