package dev.baton.agent.api;

import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * {@code restapi.allowlist} and {@code allowlist_include_members}: the addresses allowed to call
 * the unsafe endpoints. Entries are IP addresses, CIDR networks or host names; host names (the
 * allowlist's and the members' {@code api_url} and {@code conn_url} hosts, from the last cluster
 * view the HA loop read) are resolved when a request is checked and cached for {@link #TTL_NANOS},
 * failures too, so that a slow resolver costs at most one lookup per name and minute. Only unsafe
 * requests are checked, on their own handler thread: the health endpoints never wait for a lookup.
 */
final class RestAllowlist {
    private static final Logger LOG = Logger.getLogger(RestAllowlist.class.getName());
    /** How long a resolved (or failed) host name is used before it is looked up again. */
    static final long TTL_NANOS = 60_000_000_000L;

    /** Host name resolution, injected so that tests need no DNS. */
    interface Resolver {
        List<InetAddress> resolve(String host) throws UnknownHostException;

        static Resolver system() {
            return host -> Arrays.asList(InetAddress.getAllByName(host));
        }
    }

    /** An address prefix: {@code bits} leading bits of {@code address}. */
    record Network(byte[] address, int bits) {
        boolean contains(InetAddress a) {
            byte[] b = a.getAddress();
            if (b.length != address.length) {
                return false;
            }
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (b[i] != address[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (b[full] & mask) == (address[full] & mask);
        }

        /** An IP literal or a CIDR network; null for a host name. */
        static Network parse(String entry) {
            int slash = entry.indexOf('/');
            String addr = slash < 0 ? entry : entry.substring(0, slash);
            if (!addr.contains(":") && !addr.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
                return null;
            }
            try {
                byte[] b = InetAddress.getByName(addr).getAddress(); // a literal: never looked up
                int bits = slash < 0 ? b.length * 8 : Integer.parseInt(entry.substring(slash + 1));
                return new Network(b, Math.min(bits, b.length * 8));
            } catch (UnknownHostException | NumberFormatException e) {
                return null;
            }
        }
    }

    private record Cached(List<InetAddress> addresses, long until) {
    }

    private final List<Network> networks = new ArrayList<>();
    private final List<String> hostNames = new ArrayList<>();
    private final boolean includeMembers;
    private final Resolver resolver;
    private final LongSupplier ticker;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    /** Entries as the configuration validated them (addresses, networks, host names). */
    RestAllowlist(List<String> entries, boolean includeMembers, Resolver resolver, LongSupplier ticker) {
        for (String e : entries) {
            Network n = Network.parse(e);
            if (n != null) {
                networks.add(n);
            } else {
                hostNames.add(e);
            }
        }
        this.includeMembers = includeMembers;
        this.resolver = resolver;
        this.ticker = ticker;
    }

    /** Whether the allowlist applies at all (Patroni: either key set). */
    boolean active() {
        return !networks.isEmpty() || !hostNames.isEmpty() || includeMembers;
    }

    /** Whether {@code client} may call the unsafe endpoints; {@code view} (may be null) names the members. */
    boolean allows(InetAddress client, ClusterView view) {
        InetAddress a = normalized(client);
        for (Network n : networks) {
            if (n.contains(a)) {
                return true;
            }
        }
        for (String h : hostNames) {
            if (resolved(h).contains(a)) {
                return true;
            }
        }
        if (includeMembers && view != null) {
            for (MemberStatus m : view.members().values()) {
                for (String h : new String[] {host(m.apiUrl()), m.host()}) {
                    if (h != null && resolved(h).contains(a)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private List<InetAddress> resolved(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        Network literal = Network.parse(h);
        if (literal != null) {
            try {
                return List.of(normalized(InetAddress.getByAddress(literal.address())));
            } catch (UnknownHostException e) {
                return List.of();
            }
        }
        long now = ticker.getAsLong();
        Cached c = cache.get(h);
        if (c != null && now - c.until() < 0) {
            return c.addresses();
        }
        List<InetAddress> out = new ArrayList<>();
        try {
            for (InetAddress a : resolver.resolve(h)) {
                out.add(normalized(a));
            }
        } catch (UnknownHostException e) {
            LOG.warning("allowlist: cannot resolve " + RestApi.printable(h) + " (retried in a minute): " + e.getMessage());
        }
        cache.put(h, new Cached(List.copyOf(out), now + TTL_NANOS));
        return out;
    }

    /** The host of a URL, or null. */
    private static String host(String url) {
        if (url == null) {
            return null;
        }
        try {
            return URI.create(url).getHost();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** An IPv4-mapped IPv6 address (a dual-stack socket's view of an IPv4 client) as the IPv4 address. */
    static InetAddress normalized(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 16) {
            boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            for (int i = 0; i < 10 && mapped; i++) {
                mapped = b[i] == 0;
            }
            if (mapped) {
                try {
                    return InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16));
                } catch (UnknownHostException e) {
                    return a;
                }
            }
        }
        return a;
    }
}
