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
        if (hosts != null) {
            n.ignore("host", "ignored, " + n.path("hosts") + " is set");
        } else if (n.value("host") != null) {
            listKey = "host";
            raw.add(n.string("host", ""));
        }
        List<String> valid = new ArrayList<>();
        for (int i = 0; i < raw.size(); i++) {
            String itemPath = listKey.equals("host") ? n.path("host") : n.path("hosts") + "[" + i + "]";
            if (n.issues().hasError(itemPath)) {
                continue;
            }
            try {
                valid.add(HostPort.parse(raw.get(i)).toString());
            } catch (IllegalArgumentException e) {
                n.issues().error(itemPath, e.getMessage());
            }
        }
        if (raw.isEmpty() && !n.issues().hasError(n.path("hosts"))) {
            n.issues().error(n.path("hosts"), "at least one etcd host is required (" + n.path("hosts") + " or "
                    + n.path("host") + ")");
        }
        EtcdConfig config = SecuritySections.etcd(n, valid, "protocol");
        n.unsupported("url", "urls", "proxy", "srv", "srv_suffix", "use_proxies");
        n.finish();
        return config;
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
