package dev.baton.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** restapi.ciphers: OpenSSL and IANA names, exclusions, and every way it cannot be honoured. */
class RestCiphersTest {
    private static final String ECDHE_RSA_128 = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
    private static final String ECDHE_ECDSA_256 = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384";
    private static final String CBC = "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256";
    private static final String OLD = "TLS_RSA_WITH_3DES_EDE_CBC_SHA"; // known, disabled by the policy
    private static final List<String> TLS13 = List.of("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256");
    private static final List<String> ENABLED = List.of(TLS13.get(0), TLS13.get(1), ECDHE_ECDSA_256, ECDHE_RSA_128, CBC);
    private static final Set<String> SUPPORTED = Set.of(TLS13.get(0), TLS13.get(1), ECDHE_ECDSA_256, ECDHE_RSA_128,
            CBC, OLD);

    private static RestCiphers.Result parse(String value) {
        return RestCiphers.parse(value, SUPPORTED, ENABLED);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "ECDHE-RSA-AES128-GCM-SHA256                                 | " + ECDHE_RSA_128 + " TLS_AES_256_GCM_SHA384 TLS_AES_128_GCM_SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256    | " + ECDHE_ECDSA_256 + " " + ECDHE_RSA_128 + " TLS_AES_256_GCM_SHA384 TLS_AES_128_GCM_SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256:!aNULL:!MD5:!RC4                 | " + ECDHE_RSA_128 + " TLS_AES_256_GCM_SHA384 TLS_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256 | " + ECDHE_RSA_128 + " TLS_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256                        | " + CBC + " TLS_AES_256_GCM_SHA384 TLS_AES_128_GCM_SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:-ECDHE-RSA-AES128-GCM-SHA256 | " + ECDHE_ECDSA_256 + " TLS_AES_256_GCM_SHA384 TLS_AES_128_GCM_SHA256",
    })
    void namedSuitesInTheirOrderWithTls13DefaultsUnlessListed(String value, String expected) {
        assertEquals(new RestCiphers.Result.Ok(List.of(expected.split(" "))), parse(value));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "HIGH:!aNULL                             | \"HIGH\" is not a cipher suite Baton knows",
        "ECDHE-RSA-AES128-GCM-SHA256:DEFAULT     | \"DEFAULT\" is not a cipher suite Baton knows",
        "ECDHE+AESGCM                            | \"ECDHE+AESGCM\" is not a cipher suite Baton knows",
        "ECDHE-RSA-AES128-GCM-SHA265             | \"ECDHE-RSA-AES128-GCM-SHA265\" is not a cipher suite Baton knows",
        "TLS_ECDHE_RSA_WITH_FOO                  | \"TLS_ECDHE_RSA_WITH_FOO\" is not supported by this Java runtime",
        "DHE-RSA-AES128-GCM-SHA256               | \"DHE-RSA-AES128-GCM-SHA256\" is not supported by this Java runtime",
        "TLS_RSA_WITH_3DES_EDE_CBC_SHA           | leaves no cipher suite that this Java runtime enables",
        "ECDHE-RSA-AES128-GCM-SHA256:!ECDHE-RSA-AES128-GCM-SHA256 | leaves no cipher suite that this Java runtime enables",
        "' : , '                                 | leaves no cipher suite that this Java runtime enables",
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256:!SHA1 | \"!SHA1\" is not applied to IANA names",
        "ECDHE-RSA-AES128-GCM-SHA256:!ECDSA      | \"!ECDSA\" is not a cipher suite Baton knows",
    })
    void whatCannotBeHonouredIsAnError(String value, String messageStart) {
        RestCiphers.Result r = parse(value);
        RestCiphers.Result.Bad bad = assertInstanceOf(RestCiphers.Result.Bad.class, r, value);
        assertTrue(bad.message().startsWith(messageStart), bad.message());
    }

    @Test
    void everyMappedOpenSslNameIsAnIanaNameThisRuntimeKnows() throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, null, null);
        Set<String> supported = Set.of(ctx.getSupportedSSLParameters().getCipherSuites());
        RestCiphers.OPENSSL.values().forEach(s -> assertTrue(supported.contains(s), s));
        assertEquals(List.of("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
                RestTls.suites("ECDHE-ECDSA-AES128-GCM-SHA256").stream().filter(s -> !RestCiphers.tls13(s)).toList());
        assertTrue(Arrays.asList(ctx.getDefaultSSLParameters().getCipherSuites())
                .containsAll(RestTls.suites("ECDHE-ECDSA-CHACHA20-POLY1305")));
    }
}
