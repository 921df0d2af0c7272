package dev.baton.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads {@code etcd3} (or its alias {@code etcd}): the host list in any of Patroni's forms (a YAML
 * list, a comma-separated string, a Python-style list from an environment variable, or a single
 * {@code host}), each entry checked as host:port with its own key path.
 */
final class EtcdSection {
    private EtcdSection() {
    }

    static EtcdConfig read(ConfigNode n) {
        List<String> raw = new ArrayList<>();
        String listKey = "hosts";
        JsonNode hosts = n.value("hosts");
        if (hosts != null && hosts.isArray()) {
            for (int i = 0; i < hosts.size(); i++) {
                String s = n.text(hosts.get(i), n.path("hosts") + "[" + i + "]");
                raw.add(s == null ? "" : s);
            }
        } else if (hosts != null && hosts.isValueNode()) {
            raw.addAll(splitHostList(hosts.asText()));
        } else if (hosts != null) {
            n.issues().error(n.path("hosts"), "must be a list of host:port or a comma-separated string, got "
                    + ConfigNode.describe(hosts));
        }
        String urlProtocol = null;
        if (hosts != null) {
            n.ignore("host", "ignored, " + n.path("hosts") + " is set");
            n.ignore("url", "ignored, " + n.path("hosts") + " is set");
        } else if (n.value("host") != null) {
            listKey = "host";
            raw.add(n.string("host", ""));
            n.ignore("url", "ignored, " + n.path("host") + " is set");
        } else if (n.value("url") != null) {
            listKey = "url";
            urlProtocol = url(n, raw);
        }
        List<String> valid = new ArrayList<>();
        for (int i = 0; i < raw.size(); i++) {
            String itemPath = listKey.equals("hosts") ? n.path("hosts") + "[" + i + "]" : n.path(listKey);
            if (n.issues().hasError(itemPath)) {
                continue;
            }
            try {
                valid.add(HostPort.parse(raw.get(i)).toString());
            } catch (IllegalArgumentException e) {
                n.issues().error(itemPath, e.getMessage());
            }
        }
        if (raw.isEmpty() && !n.issues().hasError(n.path("hosts")) && !n.issues().hasError(n.path("url"))) {
            n.issues().error(n.path("hosts"), "at least one etcd host is required (" + n.path("hosts") + ", "
                    + n.path("host") + " or " + n.path("url") + ")");
        }
        EtcdConfig config = SecuritySections.etcd(n, valid, "protocol", urlProtocol);
        n.unsupported("urls", "proxy", "srv", "srv_suffix", "use_proxies");
        n.finish();
        return config;
    }

    /**
     * Patroni's {@code url: http(s)://host:port}, one etcd endpoint: its host:port goes into
     * {@code raw}, and its scheme is returned (the protocol, as Patroni takes it from the URL). A URL
     * holding a user and password (Patroni's etcd v2 form) is refused without being shown: they
     * belong in {@code username} and {@code password}. Null when it is not usable (reported).
     */
    static String url(ConfigNode n, List<String> raw) {
        String text = n.string("url", "").trim();
        String path = n.path("url");
        java.net.URI u;
        try {
            u = new java.net.URI(text);
        } catch (java.net.URISyntaxException e) {
            n.issues().error(path, "must be a URL such as https://host:2379");
            return null;
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (u.getRawUserInfo() != null) {
            n.issues().error(path, "must not hold a user or password: give " + n.path("username") + " and "
                    + n.path("password"));
        } else if (!scheme.equals("http") && !scheme.equals("https")) {
            n.issues().error(path, "must be an http:// or https:// URL such as https://host:2379");
        } else if (u.getHost() == null || u.getPort() < 0) {
            n.issues().error(path, "must name a host and a port, such as https://host:2379");
        } else if (u.getRawPath() != null && !u.getRawPath().isEmpty() && !u.getRawPath().equals("/")
                || u.getRawQuery() != null || u.getRawFragment() != null) {
            n.issues().error(path, "must be only scheme, host and port, such as https://host:2379");
        } else {
            raw.add(u.getHost() + ":" + u.getPort());
            return scheme;
        }
        return null;
    }

    /** Patroni's list syntax for env vars: "h1:2379,h2:2379", also "['h1:2379','h2:2379']". */
    static List<String> splitHostList(String text) {
        String s = text.trim();
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        List<String> out = new ArrayList<>();
        for (String item : s.split(",", -1)) {
            String h = item.trim();
            if (h.length() >= 2 && (h.charAt(0) == '\'' || h.charAt(0) == '"') && h.charAt(h.length() - 1) == h.charAt(0)) {
                h = h.substring(1, h.length() - 1);
            }
            out.add(h);
        }
        return out;
    }
}
