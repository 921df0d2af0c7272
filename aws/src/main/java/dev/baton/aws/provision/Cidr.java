package dev.baton.aws.provision;

/** An IPv4 CIDR block: {@code network/prefix}, with the addresses AWS lets instances use. */
public record Cidr(long network, int prefix) {

    /** Parses {@code a.b.c.d/n}; IllegalArgumentException when malformed. */
    public static Cidr parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not a CIDR: " + text);
        }
        int prefix;
        try {
            prefix = Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a CIDR: " + text);
        }
        if (prefix < 0 || prefix > 32) {
            throw new IllegalArgumentException("not a CIDR: " + text);
        }
        long ip = ip(text.substring(0, slash));
        long mask = prefix == 0 ? 0 : (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
        return new Cidr(ip & mask, prefix);
    }

    /** An IPv4 address as a number; IllegalArgumentException when malformed. */
    public static long ip(String text) {
        String[] p = text.split("\\.", -1);
        if (p.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + text);
        }
        long v = 0;
        for (String s : p) {
            int o;
            try {
                o = Integer.parseInt(s);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            if (o < 0 || o > 255) {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            v = (v << 8) | o;
        }
        return v;
    }

    public static String ip(long v) {
        return ((v >> 24) & 255) + "." + ((v >> 16) & 255) + "." + ((v >> 8) & 255) + "." + (v & 255);
    }

    /** The first address AWS lets an instance have: it reserves the first four of a subnet. */
    public long firstUsable() {
        return network + 4;
    }

    /** How many addresses instances may have: all but the first four and the last (broadcast). */
    public long usableCount() {
        return Math.max(0, (1L << (32 - prefix)) - 5);
    }
}
