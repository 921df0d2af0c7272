package dev.baton.leader.etcd;

import dev.baton.config.EtcdConfig;
import dev.baton.config.TlsFiles;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How to reach etcd: the scheme, the members as {@code host:port}, the TLS files and etcd's own
 * user and password, all of them applied alike to every host (Patroni's {@code etcd3} section).
 * What {@link EtcdClusterStore} and {@link EtcdGatewayReader} are built from; the TLS files are
 * read each time a client is built ({@link EtcdTls}), so that rotated certificates are picked up.
 *
 * <p>Fails closed: with {@link Scheme#HTTPS} every connection is TLS and a plaintext etcd is a
 * connection error, never a downgrade; TLS files with {@link Scheme#HTTP} are refused rather than
 * ignored.
 *
 * @param scheme   {@link Scheme#HTTP} or {@link Scheme#HTTPS}, for every host
 * @param hosts    the etcd members as {@code host:port}, at least one
 * @param tls      the client certificate and key ({@code etcd3.cert}, {@code key}, {@code key_password})
 *                 and the CA that server certificates must chain to ({@code etcd3.cacert}; none: the
 *                 JDK's CAs); {@link TlsFiles#NONE} for none
 * @param username etcd user ({@code etcd3.username}), null for none
 * @param password that user's password ({@code etcd3.password}), null exactly when username is
 */
public record EtcdAccess(Scheme scheme, List<String> hosts, TlsFiles tls, String username, String password) {

    /** How every connection to etcd is made. */
    public enum Scheme {
        HTTP("http://"), HTTPS("https://");

        private final String prefix;

        Scheme(String prefix) {
            this.prefix = prefix;
        }

        /** {@code http://} or {@code https://}. */
        public String prefix() {
            return prefix;
        }
    }

    public EtcdAccess {
        Objects.requireNonNull(scheme, "scheme");
        if (hosts == null || hosts.isEmpty()) {
            throw new IllegalArgumentException("at least one etcd endpoint is required");
        }
        List<String> parsed = new ArrayList<>();
        for (String h : hosts) {
            Endpoints.Endpoint e = Endpoints.parse(h);
            if (e.scheme() != null && e.scheme() != scheme) {
                throw new IllegalArgumentException("etcd endpoint " + h + " does not use " + scheme.prefix()
                        + " as the others do");
            }
            parsed.add(e.hostPort());
        }
        hosts = List.copyOf(parsed);
        tls = tls == null ? TlsFiles.NONE : tls;
        if (scheme == Scheme.HTTP && (tls.certfile() != null || tls.keyfile() != null || tls.cafile() != null)) {
            throw new IllegalArgumentException("etcd3.protocol: is http, but TLS files are set (cacert, cert, key)");
        }
        if ((username == null) != (password == null)) {
            throw new IllegalArgumentException(username == null ? "etcd3.username: required with etcd3.password"
                    : "etcd3.password: required with etcd3.username");
        }
    }

    /**
     * Plain access to {@code endpoints} ({@code host:port}, {@code http://host:port}, or
     * {@code https://host:port} for TLS trusting the JDK's CAs), without a user: what tests, the
     * demo and {@code --etcd} without TLS options use.
     */
    public static EtcdAccess plain(List<String> endpoints) {
        Objects.requireNonNull(endpoints, "endpoints");
        Scheme scheme = endpoints.stream().map(Endpoints::parse).map(Endpoints.Endpoint::scheme)
                .filter(Objects::nonNull).findFirst().orElse(Scheme.HTTP);
        return new EtcdAccess(scheme, endpoints, TlsFiles.NONE, null, null);
    }

    /** The {@code etcd3} section of a configuration. */
    public static EtcdAccess of(EtcdConfig c) {
        return new EtcdAccess(c.https() ? Scheme.HTTPS : Scheme.HTTP, c.hosts(), c.tls(), c.username(), c.password());
    }

    /** The same hosts with other TLS files ({@link Scheme#HTTPS} when any is set). */
    public EtcdAccess withTls(TlsFiles files) {
        boolean anyFile = files.certfile() != null || files.keyfile() != null || files.cafile() != null;
        return new EtcdAccess(anyFile ? Scheme.HTTPS : scheme, hosts, files, username, password);
    }

    /** The same hosts with etcd's user and password (both null: none). */
    public EtcdAccess withCredentials(String user, String pass) {
        return new EtcdAccess(scheme, hosts, tls, user, pass);
    }

    public boolean https() {
        return scheme == Scheme.HTTPS;
    }

    /** Whether requests authenticate as an etcd user. */
    public boolean authenticated() {
        return username != null;
    }

    /** Every host as a URI with the scheme, as jetcd wants them. */
    public List<URI> uris() {
        return urls().stream().map(URI::create).toList();
    }

    /** Every host as {@code scheme://host:port}. */
    public List<String> urls() {
        return hosts.stream().map(h -> scheme.prefix() + h).toList();
    }

    /** The URLs, comma separated, for messages. */
    public String describe() {
        return String.join(",", urls());
    }

    /** Never reveals the password. */
    @Override
    public String toString() {
        return "EtcdAccess[" + describe() + ", tls=" + tls + ", username=" + username + ", password="
                + (password == null ? "null" : "****") + "]";
    }
}
