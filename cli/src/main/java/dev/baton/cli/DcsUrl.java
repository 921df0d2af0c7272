package dev.baton.cli;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * patronictl's {@code --dcs-url}: {@code etcd3://HOST:PORT}, or {@code HOST:PORT} and {@code HOST}
 * alone, the port 2379 when left out (as patronictl fills in the DCS's default port). Baton keeps
 * its state in etcd's v3 API, so every other scheme is refused (exit 2), {@code etcd://} (the
 * v2 API in patronictl 3.0) included.
 */
final class DcsUrl {
    static final int DEFAULT_PORT = 2379;

    private DcsUrl() {
    }

    /** {@code HOST:PORT} for {@code url}; exit 2 naming what is wrong. */
    static String hostPort(String url) {
        String t = url == null ? "" : url.strip();
        if (t.isEmpty()) {
            throw bad(url, "it is empty");
        }
        String scheme = "";
        int sep = t.indexOf("://");
        if (sep >= 0) {
            scheme = t.substring(0, sep).toLowerCase(Locale.ROOT);
            t = t.substring(sep + 3);
        }
        switch (scheme) {
            case "", "etcd3" -> {
            }
            case "etcd" -> throw bad(url, "etcd:// is etcd's v2 API, and Baton keeps its keys in the v3 API: "
                    + "write etcd3://");
            default -> throw bad(url, "scheme \"" + dev.baton.config.Untrusted.shown(scheme, 40) + "\" is not supported: Baton uses etcd (v3) only");
        }
        if (t.endsWith("/")) {
            t = t.substring(0, t.length() - 1);
        }
        URI u;
        try {
            u = new URI("etcd3://" + t);
        } catch (URISyntaxException e) {
            throw bad(url, "not a HOST:PORT (" + e.getReason() + ")");
        }
        String host = u.getHost();
        if (host == null || host.isEmpty() || !(u.getPath() == null || u.getPath().isEmpty()) || u.getQuery() != null
                || u.getFragment() != null || u.getUserInfo() != null) {
            throw bad(url, "not a HOST:PORT");
        }
        if (u.getPort() == 0 || u.getPort() > 65535) {
            throw bad(url, "port " + u.getPort() + " is out of range");
        }
        return host + ":" + (u.getPort() > 0 ? u.getPort() : DEFAULT_PORT);
    }

    private static ExitException bad(String url, String why) {
        return ExitException.badInput("--dcs-url: cannot use \"" + dev.baton.config.Untrusted.shown(url, 200) + "\": " + why
                + "; give etcd3://HOST:PORT or HOST:PORT");
    }
}
