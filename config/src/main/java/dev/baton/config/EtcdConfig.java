package dev.baton.config;

import java.util.List;

/** {@code etcd3}: the etcd members as "host:port" and the scheme to reach them with. */
public record EtcdConfig(List<String> hosts, String protocol) {
    public static final String DEFAULT_PROTOCOL = "http";

    public EtcdConfig {
        hosts = Copies.list(hosts);
        if (protocol == null) {
            protocol = DEFAULT_PROTOCOL;
        }
    }

    /** The hosts as URLs, e.g. "http://127.0.0.1:2379", as etcd clients want them. */
    public List<String> endpoints() {
        return hosts.stream().map(h -> protocol + "://" + h).toList();
    }
}
