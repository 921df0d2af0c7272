package dev.baton.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the security keys of {@code restapi}, {@code ctl} and {@code etcd3}, with Patroni's names
 * and meanings. Fail closed: a combination Baton cannot honour (a client CA without HTTPS, a
 * {@code verify_client} with nothing to verify against, half a credential, {@code protocol: http}
 * with certificates) is an error, never a warning. Whether the files hold usable key material is
 * checked at start ({@code dev.baton.config.tls.TlsContexts}), where the files are read.
 */
final class SecuritySections {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** An HTTP header name (RFC 9110 token). */
    private static final String TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";

    private SecuritySections() {
    }

    static RestApiConfig restapi(ConfigNode n) {
        String listen = n.address("listen", true, false);
        String connect = n.address("connect_address", false, true);
        Path certfile = n.file("certfile");
        Path keyfile = n.file("keyfile");
        String keyPassword = n.string("keyfile_password", null);
        Path cafile = n.file("cafile");
        String ciphers = n.string("ciphers", null);
        VerifyClient verify = VerifyClient.NONE;
        String vc = n.string("verify_client", null);
        if (vc != null) {
            verify = VerifyClient.parse(vc.trim()).orElse(null);
            if (verify == null) {
                n.issues().error(n.path("verify_client"), "must be none, optional or required, got \"" + vc + "\"");
                verify = VerifyClient.NONE;
            }
        }
        TlsFiles tls = null;
        if (certfile != null) {
            tls = new TlsFiles(certfile, keyfile, keyPassword, cafile);
            if (verify != VerifyClient.NONE && cafile == null) {
                n.issues().error(n.path("verify_client"), verify.wireName()
                        + " needs " + n.path("cafile") + ": the CA that client certificates are verified against");
            }
        } else if (!n.issues().hasError(n.path("certfile"))) {
            for (String key : List.of("keyfile", "keyfile_password", "cafile", "ciphers", "https_extra_headers")) {
                if (n.present(key)) {
                    n.issues().error(n.path(key), "needs " + n.path("certfile") + ": without it the REST API speaks plain HTTP");
                }
            }
            if (verify != VerifyClient.NONE) {
                n.issues().error(n.path("verify_client"), "needs " + n.path("certfile")
                        + ": client certificates exist only over HTTPS");
            }
        }
        BasicAuth auth = authentication(n, "authentication", "auth");
        List<String> allowlist = allowlist(n);
        boolean includeMembers = n.bool("allowlist_include_members", false);
        Map<String, String> httpHeaders = headers(n, "http_extra_headers");
        Map<String, String> httpsHeaders = headers(n, "https_extra_headers");
        n.unsupported("request_queue_size", "server_tokens", "proxy_address");
        n.finish();
        return new RestApiConfig(listen, connect, tls, ciphers, verify, auth, allowlist, includeMembers, httpHeaders,
                httpsHeaders);
    }

    static CtlConfig ctl(ConfigNode n) {
        Path certfile = n.file("certfile");
        Path keyfile = n.file("keyfile");
        String keyPassword = n.string("keyfile_password", null);
        Path cacert = n.file("cacert");
        if (cacert == null && !n.issues().hasError(n.path("cacert"))) {
            cacert = n.file("cafile"); // patronictl reads either
        } else {
            n.ignore("cafile", "ignored, " + n.path("cacert") + " is set");
        }
        if (certfile == null && !n.issues().hasError(n.path("certfile"))) {
            for (String key : List.of("keyfile", "keyfile_password")) {
                if (n.present(key)) {
                    n.issues().error(n.path(key), "needs " + n.path("certfile") + ": the client certificate");
                }
            }
        }
        boolean insecure = n.bool("insecure", false);
        BasicAuth auth = authentication(n, "authentication", "auth");
        n.finish();
        return new CtlConfig(new TlsFiles(certfile, keyfile, keyPassword, cacert), insecure, auth);
    }

    /**
     * The security keys of {@code etcd3}. {@code cacert}, {@code cert} or {@code key} with no
     * {@code protocol} means https (never a silent plaintext connection); with {@code protocol: http}
     * they are an error.
     */
    static EtcdConfig etcd(ConfigNode n, List<String> hosts, String protocolKey) {
        return etcd(n, hosts, protocolKey, null);
    }

    /** @param urlProtocol the scheme of {@code url} when the endpoint comes from it: the protocol, unless set otherwise (an error) */
    static EtcdConfig etcd(ConfigNode n, List<String> hosts, String protocolKey, String urlProtocol) {
        Path cacert = n.file("cacert");
        Path cert = n.file("cert");
        Path key = n.file("key");
        String keyPassword = n.string("key_password", null);
        String protocol = n.string(protocolKey, null);
        boolean tlsKeys = cacert != null || cert != null || key != null || keyPassword != null;
        if (protocol == null && urlProtocol != null) {
            protocol = urlProtocol;
            if (protocol.equals("http") && tlsKeys) {
                n.issues().error(n.path("url"), "is http://, but TLS files are set (cacert, cert, key):"
                        + " use https://, or remove them");
            }
        } else if (protocol == null) {
            protocol = tlsKeys ? "https" : EtcdConfig.DEFAULT_PROTOCOL;
        } else {
            protocol = protocol.trim().toLowerCase(java.util.Locale.ROOT);
            if (!protocol.equals("http") && !protocol.equals("https")) {
                n.issues().error(n.path(protocolKey), "must be http or https, got \"" + protocol + "\"");
                protocol = "https"; // never plaintext by mistake
            } else if (protocol.equals("http") && tlsKeys) {
                n.issues().error(n.path(protocolKey), "is http, but TLS files are set (cacert, cert, key):"
                        + " set protocol: https, or remove them");
            }
            if (urlProtocol != null && !urlProtocol.equals(protocol)) {
                n.issues().error(n.path(protocolKey), "is " + protocol + ", but " + n.path("url") + " is "
                        + urlProtocol + "://: give one");
            }
        }
        if (key != null && cert == null) {
            n.issues().error(n.path("key"), "needs " + n.path("cert") + ": the client certificate");
        }
        if (keyPassword != null && cert == null) {
            n.issues().error(n.path("key_password"), "needs " + n.path("cert") + ": the client certificate");
        }
        String username = n.string("username", null);
        String password = n.string("password", null);
        credentialsPair(n, username, password, "username", "password");
        return new EtcdConfig(hosts, protocol, new TlsFiles(cert, key, keyPassword, cacert), username, password);
    }

    /** {@code authentication: {username, password}}, or the older {@code auth: "user:pass"}; null when neither. */
    private static BasicAuth authentication(ConfigNode n, String mapKey, String legacyKey) {
        if (n.present(mapKey)) {
            n.ignore(legacyKey, "ignored, " + n.path(mapKey) + " is set");
            ConfigNode a = n.map(mapKey);
            String user = a.string("username", null);
            String password = a.string("password", null);
            a.finish();
            return credentialsPair(a, user, password, "username", "password") ? new BasicAuth(user, password) : null;
        }
        String legacy = n.string(legacyKey, null);
        if (legacy == null) {
            return null;
        }
        int colon = legacy.indexOf(':');
        if (colon <= 0 || colon == legacy.length() - 1) {
            n.issues().error(n.path(legacyKey), "must be \"username:password\"");
            return null;
        }
        String user = legacy.substring(0, colon);
        String password = legacy.substring(colon + 1);
        if (control(user) || control(password)) {
            n.issues().error(n.path(legacyKey), "contains a control character");
            return null;
        }
        return new BasicAuth(user, password);
    }

    /** Both or neither, non-empty, no control characters, no ':' in a user name (Basic cannot carry it). */
    private static boolean credentialsPair(ConfigNode a, String user, String password, String userKey, String passwordKey) {
        if (user == null && password == null) {
            return false;
        }
        boolean ok = true;
        if (user == null || user.isEmpty()) {
            a.issues().error(a.path(userKey), "is required with " + a.path(passwordKey));
            ok = false;
        } else if (control(user) || user.indexOf(':') >= 0) {
            a.issues().error(a.path(userKey), "must not contain ':' or control characters");
            ok = false;
        }
        if (password == null || password.isEmpty()) {
            a.issues().error(a.path(passwordKey), "is required with " + a.path(userKey));
            ok = false;
        } else if (control(password)) {
            // Named by its path only: the password never appears in a message.
            a.issues().error(a.path(passwordKey), "contains a control character");
            ok = false;
        }
        return ok;
    }

    /** A list, or Patroni's comma-separated string (as environment variables give it). */
    private static List<String> allowlist(ConfigNode n) {
        JsonNode v = n.value("allowlist");
        List<String> raw = new ArrayList<>();
        if (v == null) {
            return raw;
        }
        if (v.isArray()) {
            raw.addAll(n.strings("allowlist"));
        } else if (v.isValueNode()) {
            for (String s : EtcdSection.splitHostList(v.asText())) {
                if (!s.isBlank()) {
                    raw.add(s);
                }
            }
        } else {
            n.issues().error(n.path("allowlist"), "must be a list of addresses, networks or host names, got "
                    + ConfigNode.describe(v));
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < raw.size(); i++) {
            String entry = raw.get(i).trim();
            String problem = allowlistProblem(entry);
            if (problem != null) {
                n.issues().error(n.path("allowlist") + "[" + i + "]", problem + ", got \"" + shown(entry) + "\"");
            } else {
                out.add(entry);
            }
        }
        return out;
    }

    /** Null when {@code entry} is an IP address, a CIDR network or a host name; else what is wrong. */
    static String allowlistProblem(String entry) {
        String addr = entry;
        int slash = entry.indexOf('/');
        if (slash >= 0) {
            addr = entry.substring(0, slash);
            String bits = entry.substring(slash + 1);
            int max = addr.contains(":") ? 128 : 32;
            if (!bits.matches("\\d{1,3}") || Integer.parseInt(bits) > max || !isIpLiteral(addr)) {
                return "must be an address, a network (address/bits) or a host name";
            }
            return null;
        }
        if (isIpLiteral(addr) || addr.matches("(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\\.?")) {
            return null;
        }
        return "must be an address, a network (address/bits) or a host name";
    }

    private static boolean isIpLiteral(String s) {
        if (!s.matches("\\d{1,3}(\\.\\d{1,3}){3}") && !s.matches("[0-9A-Fa-f:.]+") || !s.matches(".*[.:].*")) {
            return false;
        }
        if (s.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            for (String part : s.split("\\.")) {
                if (Integer.parseInt(part) > 255) {
                    return false;
                }
            }
        }
        try {
            InetAddress.getByName(s); // a literal: parsed, never looked up
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** A map of header name to value, or the same as YAML/JSON text (as environment variables give it). */
    private static Map<String, String> headers(ConfigNode n, String key) {
        JsonNode v = n.value(key);
        if (v == null) {
            return Map.of();
        }
        if (v.isTextual()) {
            try {
                v = YAML.readTree(v.textValue());
            } catch (java.io.IOException e) {
                v = null;
            }
        }
        if (v == null || !v.isObject()) {
            n.issues().error(n.path(key), "must be a map of header names to values");
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            String path = n.path(key) + "." + e.getKey();
            if (!e.getKey().matches(TOKEN)) {
                n.issues().error(path, "is not a valid HTTP header name");
            } else if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                n.issues().error(path, "must be a string, got " + ConfigNode.describe(e.getValue()));
            } else if (control(e.getValue().asText())) {
                n.issues().error(path, "contains a control character (a header value cannot hold a line break)");
            } else {
                out.put(e.getKey(), e.getValue().asText());
            }
        }
        return out;
    }

    private static boolean control(String s) {
        return s.chars().anyMatch(c -> c < 0x20 || c == 0x7f);
    }

    private static String shown(String s) {
        String t = s.replaceAll("\\p{Cntrl}", "?");
        return t.length() > 80 ? t.substring(0, 80) + "..." : t;
    }
}
