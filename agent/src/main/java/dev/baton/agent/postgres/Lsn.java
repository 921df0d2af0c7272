package dev.baton.agent.postgres;

/** PostgreSQL WAL positions as Patroni publishes them: plain byte offsets ("0/3000060" → 50331744). */
public final class Lsn {
    private Lsn() {
    }

    public static long parse(String text) {
        if (text == null || text.isBlank()) {
            return 0;
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not an LSN: " + text);
        }
        long hi = Long.parseLong(text.substring(0, slash).trim(), 16);
        long lo = Long.parseLong(text.substring(slash + 1).trim(), 16);
        return (hi << 32) | lo;
    }

    public static String format(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase() + "/" + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase();
    }
}
