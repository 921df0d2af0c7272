package dev.baton.cli.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.cli.Baton;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code baton drill --fault lose-cluster} end to end: a 2-member local cluster with a posix
 * repository, a full backup, writes, every node killed and wiped, a new cluster restored to latest.
 */
class LoseClusterIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void theRestoredClusterAcceptsWritesAndTheReportHasTheRestoreTimeAndTheLoss() throws Exception {
        Path out = tmp.resolve("lose-cluster");
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Baton.commandLine(new PrintWriter(o, true), new PrintWriter(e, true)).execute("drill", "--fault",
                "lose-cluster", "--iterations", "1", "--nodes", "2", "--ttl", "5", "--duration", "8",
                "--archive-timeout", "3", "--writers", "2", "--out", out.toString(), "--format", "json");
        String text = o + "\n--- stderr (progress)\n" + e;
        assertEquals(0, code, text);
        JsonNode report = JSON.readTree(Files.readString(out.resolve("drill.json")));
        assertEquals(JSON.readTree(o.toString()), report, "stdout and drill.json differ");
        JsonNode it = report.path("iterations").get(0);
        assertTrue(it.path("problem").isNull(), text);
        assertTrue(it.path("backup_label").asText().matches("\\d{8}-\\d{6}F"), text);
        assertTrue(it.path("restore_s").asDouble() > 0, text);
        assertTrue(it.path("acknowledged_writes").asInt() > 0, text);
        assertTrue(it.path("lost_writes").asInt() < it.path("acknowledged_writes").asInt(),
                "the restore kept the writes archived before the loss: " + text);
        assertEquals("demo-r1", it.path("restored_scope").asText(), text);
        assertEquals(1, report.path("summary").path("lose-cluster").path("restore_s").path("n").asInt(), text);
        assertTrue(Files.readString(out.resolve("drill.txt")).contains("restore (wipe to a writable primary)"), text);
        assertTrue(e.toString().contains("[lose-cluster 1/1] done: backup "), text);
    }
}
