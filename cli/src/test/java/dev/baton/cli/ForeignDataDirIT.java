package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.agent.postgres.PgBinaries;
import dev.baton.cli.local.LocalCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** A data directory of another cluster is refused with a clear error and left exactly as it was. */
class ForeignDataDirIT {

    @Test
    void anotherClustersDataDirectoryIsRefusedAndUntouched() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(Files.createTempDirectory("baton-it-foreign-"),
                LocalCluster.Options.defaults().withNodes(1).withHaproxy(false))) {
            awaitOrFail(cluster, "the one-node cluster runs", () -> cluster.primary().isPresent());

            LocalCluster.Node stranger = cluster.addNode();
            Path data = stranger.dataDir();
            Process initdb = new ProcessBuilder(PgBinaries.locate(null).path("initdb"), "-D", data.toString(),
                    "-U", "postgres", "--auth=trust").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            assertTrue(initdb.waitFor(120, TimeUnit.SECONDS) && initdb.exitValue() == 0, "initdb of the stranger");
            String before = fingerprint(data);

            stranger.start();
            Process agent = stranger.agentProcess();
            assertTrue(agent.waitFor(120, TimeUnit.SECONDS), "the agent stops by itself");
            assertEquals(2, agent.exitValue(), "bad input: exit code 2");
            String log = Files.readString(stranger.agentLog());
            assertTrue(log.contains("the data directory belongs to database system"), log);
            assertTrue(log.contains("left untouched"), log);
            assertEquals(before, fingerprint(data), "the foreign data directory is unchanged");
            assertEquals(-1, stranger.postmasterPid(), "postgres was not started on foreign data");
            assertTrue(ClusterSupport.view(cluster).members().values().stream()
                    .noneMatch(m -> m.name().equals(stranger.name()) && m.isRunning()), "the stranger never claimed to run");
            assertTrue(cluster.primary().isPresent(), "the cluster is unaffected");
        }
    }

    /** Names, sizes and contents of every file below {@code dir}. */
    static String fingerprint(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Path p : files.sorted().toList()) {
                md.update(dir.relativize(p).toString().getBytes());
                if (Files.isRegularFile(p)) {
                    md.update(Files.readAllBytes(p));
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
