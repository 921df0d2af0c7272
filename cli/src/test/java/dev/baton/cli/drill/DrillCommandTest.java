package dev.baton.cli.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.cli.Baton;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** {@code baton drill}'s refusals: bad input is exit 2, before anything is started. */
class DrillCommandTest {

    private static String[] run(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        String[] all = new String[args.length + 1];
        all[0] = "drill";
        System.arraycopy(args, 0, all, 1, args.length);
        int code = Baton.commandLine(new PrintWriter(o, true), new PrintWriter(e, true)).execute(all);
        return new String[] {Integer.toString(code), o.toString(), e.toString()};
    }

    private static void refused(String expected, String... args) {
        String[] r = run(args);
        assertEquals("2", r[0], String.join(" ", args) + "\n" + r[1] + r[2]);
        assertTrue(r[2].contains(expected), "expected '" + expected + "' in: " + r[2]);
    }

    @Test
    void badOptionsAreExit2() {
        refused("unknown fault \"boom\"", "--fault", "kill-node,boom");
        refused("--iterations: must be between 1 and 1000", "--iterations", "0");
        refused("--writers: must be between 1 and 64", "--writers", "0");
        refused("--format: must be table, json", "--format", "xml");
        refused("--nodes: must be between 2 and 9", "--nodes", "1");
        refused("--ttl: must be between 3 and 120", "--ttl", "2");
        refused("--duration: must be between 1 and 3600", "--duration", "0");
        refused("--synchronous-mode: expected on, true or quorum, got \"maybe\"", "--synchronous-mode", "maybe");
    }

    @Test
    void anExistingClusterTakesNoPartitionNorEtcdDown() {
        refused("--fault partition-primary,etcd-down: partition-primary, etcd-down, term-agent, stop-agent-tree and "
                + "lose-cluster need a local cluster started by the drill", "-c", "/nonexistent/baton.yml", "--dsn",
                "postgresql://lb:5000/app", "--fault", "switchover,kill-node,partition-primary,etcd-down");
        refused("--fault stop-agent-tree: ", "-c", "/nonexistent/baton.yml", "--dsn", "postgresql://lb:5000/app",
                "--fault", "stop-agent-tree");
        refused("an existing cluster needs --dsn", "-c", "/nonexistent/baton.yml", "--fault", "switchover");
        refused("--dsn needs -c FILE", "--dsn", "postgresql://lb:5000/app", "--fault", "switchover");
        refused("apply to the local cluster only", "-c", "/nonexistent/baton.yml", "--dsn", "postgresql://lb/app",
                "--fault", "switchover", "--ttl", "5");
        refused("failsafe_mode are read from its config key", "-c", "/nonexistent/baton.yml", "--dsn",
                "postgresql://lb/app", "--fault", "switchover", "--failsafe");
    }

    @Test
    void loseClusterRunsAloneOnALocalClusterOnly() {
        refused("--fault lose-cluster: runs alone", "--fault", "kill-node,lose-cluster");
        refused("--fault lose-cluster: ", "-c", "/nonexistent/baton.yml", "--dsn", "postgresql://lb:5000/app",
                "--fault", "lose-cluster");
        refused("--archive-timeout: applies to --fault lose-cluster only", "--archive-timeout", "5");
        refused("--archive-timeout: must be between 1 and 3600", "--fault", "lose-cluster", "--archive-timeout", "0");
        refused("--nodes: must be between 1 and 9", "--fault", "lose-cluster", "--nodes", "0");
    }

    @Test
    void theProcessFaultsPassTheFaultCheckForAnExistingCluster() {
        // Whether they can be injected is only known once the members' processes were looked for
        // on this machine; here the configuration is what is missing.
        for (String f : new String[] {"kill-node", "kill-postgres", "kill-agent", "stop-agent", "switchover,kill-node"}) {
            String[] r = run("-c", "/nonexistent/baton.yml", "--dsn", "postgresql://lb:5000/app", "--fault", f);
            assertEquals("2", r[0], f + ": " + r[2]);
            assertTrue(r[2].contains("cannot read the configuration file /nonexistent/baton.yml"), f + ": " + r[2]);
            assertFalse(r[2].contains("need a local cluster"), f + ": " + r[2]);
        }
    }
}
