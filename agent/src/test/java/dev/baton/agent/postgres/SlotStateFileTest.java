package dev.baton.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The copy of a logical slot's state file into a replica's pg_replslot. */
class SlotStateFileTest {
    @TempDir
    Path data;

    /** A state file as PostgreSQL 15 writes it on x86: the magic number little endian, then the rest. */
    private static byte[] state() {
        byte[] b = new byte[200];
        b[0] = (byte) 0xa1;
        b[1] = 0x1c;
        b[2] = 0x05;
        b[3] = 0x01;
        b[199] = 42;
        return b;
    }

    @Test
    void restartLsnIsReadInTheServersByteOrder() {
        byte[] le = state();
        java.nio.ByteBuffer.wrap(le).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(96, 0x2000028L);
        assertEquals(0x2000028L, SlotStateFile.restartLsn(le));
        byte[] be = new byte[200];
        java.nio.ByteBuffer.wrap(be).order(java.nio.ByteOrder.BIG_ENDIAN).putInt(0, 0x1051CA1).putLong(96, 0x3018570L);
        assertEquals(0x3018570L, SlotStateFile.restartLsn(be));
        assertThrows(PostgresException.class, () -> SlotStateFile.restartLsn(new byte[]{1, 2, 3}));
        assertThrows(PostgresException.class, () -> SlotStateFile.restartLsn(java.util.Arrays.copyOf(le, 100)));
    }

    @Test
    void writtenWithPostgresPermissionsAndNothingBeside() throws Exception {
        SlotStateFile.install(data, "cdc", state());
        Path dir = data.resolve("pg_replslot/cdc");
        assertArrayEquals(state(), Files.readAllBytes(dir.resolve("state")));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("state"))));
        assertFalse(Files.exists(dir.resolve("state.tmp")));
        SlotStateFile.install(data, "cdc", state()); // again: replaced
        assertArrayEquals(state(), Files.readAllBytes(dir.resolve("state")));
    }

    @Test
    void aBadNameOrSomethingThatIsNoStateFileWritesNothing() {
        assertThrows(PostgresException.class, () -> SlotStateFile.install(data, "../global", state()));
        assertThrows(PostgresException.class, () -> SlotStateFile.install(data, "cdc", new byte[200]));
        assertThrows(PostgresException.class, () -> SlotStateFile.install(data, "cdc", new byte[3]));
        assertThrows(PostgresException.class, () -> SlotStateFile.install(data, "cdc", null));
        assertFalse(Files.exists(data.resolve("pg_replslot")));
    }
}
