package dev.baton.agent.api;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code restapi.ciphers}: the cipher suites the HTTPS server offers. Patroni hands the value to
 * OpenSSL as a cipher string; Baton accepts the suites by name, in OpenSSL's spelling (the common
 * TLS 1.2 ECDHE/DHE AES-GCM and CHACHA20 suites, by a small table) or the IANA/JDK spelling
 * ({@code TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}), separated by ':', ',' or spaces.
 *
 * <p>Fail closed: a name that is neither (an OpenSSL keyword such as {@code HIGH}, a typo) is an
 * error, never skipped, and so is a list that leaves no suite this Java runtime enables. An
 * exclusion ({@code !aNULL}) of a weak class is accepted and changes nothing when every listed
 * suite is an AEAD suite of the table or TLS 1.3 (none of those is in such a class); with other
 * IANA names it is an error, as Baton does not classify them. An exclusion of a named suite
 * removes it.
 *
 * <p>As with OpenSSL, where the cipher string governs TLS 1.2 and below only, the TLS 1.3 suites
 * stay the runtime's defaults unless the list names TLS 1.3 suites itself.
 */
public final class RestCiphers {
    /** OpenSSL's names of the TLS 1.2 suites Baton maps, to IANA's (the JDK's). */
    static final Map<String, String> OPENSSL = Map.ofEntries(
            Map.entry("ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
            Map.entry("ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
            Map.entry("ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
            Map.entry("ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
            Map.entry("ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
            Map.entry("ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
            Map.entry("DHE-RSA-AES128-GCM-SHA256", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"),
            Map.entry("DHE-RSA-AES256-GCM-SHA384", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"),
            Map.entry("DHE-RSA-CHACHA20-POLY1305", "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"));

    /** OpenSSL classes that no suite of the table belongs to: excluding them is a no-op. */
    static final Set<String> WEAK_CLASSES = Set.of("aNULL", "eNULL", "NULL", "MD5", "RC4", "DES", "3DES", "EXPORT",
            "EXP", "LOW", "PSK", "SRP", "DSS", "CAMELLIA", "SEED", "IDEA", "ADH", "AECDH", "kRSA", "SHA1", "CBC");

    private RestCiphers() {
    }

    /** The suites to enable, or why the value cannot be honoured. */
    public sealed interface Result {
        /** The suites, in the order given, TLS 1.3 defaults added as described in the class comment. */
        record Ok(List<String> suites) implements Result {
        }

        /** The message for {@code restapi.ciphers: <message>}. */
        record Bad(String message) implements Result {
        }
    }

    /**
     * @param value     {@code restapi.ciphers} as written
     * @param supported the suites this runtime knows ({@code SSLContext.getSupportedSSLParameters})
     * @param enabled   the suites it enables by default (not disabled by the security policy), in its order
     */
    public static Result parse(String value, Set<String> supported, List<String> enabled) {
        Set<String> chosen = new LinkedHashSet<>();
        Set<String> excluded = new LinkedHashSet<>();
        String weakExclusion = null;
        for (String raw : value.trim().split("[:,\\s]+")) {
            if (raw.isEmpty()) {
                continue;
            }
            boolean exclude = raw.startsWith("!") || raw.startsWith("-");
            String name = exclude ? raw.substring(1) : raw;
            if (exclude && WEAK_CLASSES.contains(name)) {
                weakExclusion = raw;
                continue;
            }
            String suite = OPENSSL.getOrDefault(name, name);
            if (!suite.startsWith("TLS_") && !suite.startsWith("SSL_")) {
                return new Result.Bad("\"" + shown(raw) + "\" is not a cipher suite Baton knows: name suites one by one,"
                        + " in OpenSSL's spelling (" + String.join(", ", new java.util.TreeSet<>(OPENSSL.keySet()))
                        + ") or IANA's (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256); OpenSSL keywords such as HIGH are not"
                        + " supported");
            }
            if (!supported.contains(suite)) {
                return new Result.Bad("\"" + shown(raw) + "\" is not supported by this Java runtime");
            }
            (exclude ? excluded : chosen).add(suite);
        }
        chosen.removeAll(excluded);
        if (weakExclusion != null) {
            for (String s : chosen) {
                if (!OPENSSL.containsValue(s) && !tls13(s)) {
                    return new Result.Bad("\"" + shown(weakExclusion) + "\" is not applied to IANA names such as " + s
                            + ": list only the suites you want");
                }
            }
        }
        List<String> usable = new ArrayList<>();
        for (String s : chosen) {
            if (enabled.contains(s)) {
                usable.add(s);
            }
        }
        if (usable.isEmpty()) {
            return new Result.Bad("leaves no cipher suite that this Java runtime enables (TLS 1.2 or newer)");
        }
        if (usable.stream().noneMatch(RestCiphers::tls13)) {
            enabled.stream().filter(RestCiphers::tls13).forEach(usable::add);
        }
        return new Result.Ok(List.copyOf(usable));
    }

    /** TLS 1.3 suites have no key exchange in their name: TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256. */
    static boolean tls13(String suite) {
        return suite.startsWith("TLS_") && !suite.contains("_WITH_");
    }

    private static String shown(String s) {
        String t = s.replaceAll("\\p{Cntrl}", "?");
        return t.length() > 60 ? t.substring(0, 60) + "..." : t;
    }
}
