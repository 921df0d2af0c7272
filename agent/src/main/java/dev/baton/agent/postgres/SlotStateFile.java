package dev.baton.agent.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.regex.Pattern;

/**
 * Writes a replication slot's state file copied from the primary into a stopped server's
 * {@code pg_replslot/<name>/state} (Patroni's copy of logical slots to replicas, PostgreSQL 11-16):
 * the directory 0700 and the file 0600 as PostgreSQL makes them, the file written beside and
 * renamed, then synced, so that a crash leaves either no slot or the whole one.
 */
public final class SlotStateFile {
    private static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");
    /** PostgreSQL's ReplicationSlotOnDisk: magic, checksum, version, length, then the slot (PG 11-17: 200 bytes). */
    private static final int MIN_SIZE = 16;
    private static final int MAX_SIZE = 8192;
    private static final int MAGIC = 0x1051CA1;
    private static final int RESTART_LSN_OFFSET = 96;

    private SlotStateFile() {
    }

    static void install(Path dataDir, String name, byte[] state) {
        if (!SLOT_NAME.matcher(name).matches()) {
            throw new PostgresException("not a replication slot name: " + name, null);
        }
        check(state);
        Path dir = dataDir.resolve("pg_replslot").resolve(name);
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            Path tmp = dir.resolve("state.tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (var ch = java.nio.channels.FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(state));
                ch.force(true);
            }
            Files.move(tmp, dir.resolve("state"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (var ch = java.nio.channels.FileChannel.open(dir, StandardOpenOption.READ)) {
                ch.force(true);
            }
        } catch (IOException e) {
            throw new PostgresException("cannot write the state of replication slot " + name + " to " + dir + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * The slot's restart_lsn in a state file ({@link #check checked}): ReplicationSlotOnDisk's
     * 16-byte header, then ReplicationSlotPersistentData (name 64, database, persistency, xmin,
     * catalog_xmin: 4 each), then restart_lsn (8 bytes, the server's byte order) at offset 96;
     * unchanged from PostgreSQL 10 to 17.
     */
    public static long restartLsn(byte[] state) {
        check(state);
        if (state.length < RESTART_LSN_OFFSET + 8) {
            throw new PostgresException("not a replication slot state file (" + state.length + " bytes)", null);
        }
        boolean little = ((state[0] & 0xff) | (state[1] & 0xff) << 8 | (state[2] & 0xff) << 16
                | (state[3] & 0xff) << 24) == MAGIC;
        return java.nio.ByteBuffer.wrap(state, RESTART_LSN_OFFSET, 8)
                .order(little ? java.nio.ByteOrder.LITTLE_ENDIAN : java.nio.ByteOrder.BIG_ENDIAN).getLong();
    }

    /** A state file starts with PostgreSQL's slot magic number (little or big endian, as the server's). */
    static void check(byte[] state) {
        if (state == null || state.length < MIN_SIZE || state.length > MAX_SIZE) {
            throw new PostgresException("not a replication slot state file ("
                    + (state == null ? "none" : state.length + " bytes") + ")", null);
        }
        int le = (state[0] & 0xff) | (state[1] & 0xff) << 8 | (state[2] & 0xff) << 16 | (state[3] & 0xff) << 24;
        int be = (state[3] & 0xff) | (state[2] & 0xff) << 8 | (state[1] & 0xff) << 16 | (state[0] & 0xff) << 24;
        if (le != MAGIC && be != MAGIC) {
            throw new PostgresException("not a replication slot state file (wrong magic number)", null);
        }
    }
}
