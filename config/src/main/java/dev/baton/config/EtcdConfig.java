package dev.baton.config;

import java.util.List;

/**
 * {@code etcd3}: the etcd members as "host:port", the scheme to reach them with, and Patroni's
 * security keys: {@code cacert}, {@code cert}, {@code key}, {@code key_password} (held in
 * {@link TlsFiles} as cafile, certfile, keyfile, keyfilePassword) and {@code username} /
 * {@code password} (etcd's own authentication). With {@code protocol: https} the client speaks TLS
 * only: a plaintext etcd is a connection error, never a downgrade.
 */
public record EtcdConfig(List<String> hosts, String protocol, TlsFiles tls, String username, String password) {
    public static final String DEFAULT_PROTOCOL = "http";

    public EtcdConfig {
        hosts = Copies.list(hosts);
        if (protocol == null) {
            protocol = DEFAULT_PROTOCOL;
        }
        if (tls == null) {
            tls = TlsFiles.NONE;
        }
    }

    /** Plain HTTP, no authentication. */
    public EtcdConfig(List<String> hosts, String protocol) {
        this(hosts, protocol, TlsFiles.NONE, null, null);
    }

    public boolean https() {
        return protocol.equals("https");
    }

    /** The hosts as URLs, e.g. "http://127.0.0.1:2379", as etcd clients want them. */
    public List<String> endpoints() {
        return hosts.stream().map(h -> protocol + "://" + h).toList();
    }

    /** Never reveals the password. */
    @Override
    public String toString() {
        return "EtcdConfig[hosts=" + hosts + ", protocol=" + protocol + ", tls=" + tls + ", username=" + username
                + ", password=" + (password == null ? "null" : "****") + "]";
    }
}
