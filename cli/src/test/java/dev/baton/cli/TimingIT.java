package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitCyclesPast;
import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static dev.baton.cli.ClusterSupport.exec;
import static dev.baton.cli.ClusterSupport.primaryOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import dev.baton.leader.ClusterSnapshot;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.LeaseOption;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The agents follow the config key's timing (issue 14): after {@code edit-config --set ttl=60
 * --set loop_wait=25}, a Patroni habit, the leader's lease has the new ttl and the leader keeps
 * its key across many old ttls, where it used to renew a 10 s lease every 25 s and fail over
 * again and again.
 */
class TimingIT {

    private static int editConfig(LocalCluster c, StringWriter err, String... args) {
        List<String> a = new ArrayList<>(List.of("edit-config"));
        a.addAll(List.of(args));
        a.addAll(List.of("--force", "--etcd", c.etcdEndpoint(), "--scope", c.scope()));
        return Baton.commandLine(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true))
                .execute(a.toArray(String[]::new));
    }

    /** The TTL the lease {@code id} was granted with (-1 once it is gone). */
    private static long grantedTtl(Client etcd, long id) {
        try {
            return etcd.getLeaseClient().timeToLive(id, LeaseOption.DEFAULT).get(10, TimeUnit.SECONDS).getGrantedTTL();
        } catch (Exception e) {
            return -1;
        }
    }

    @Test
    void theLeaderFollowsALongerTtlAndLoopWaitAndKeepsItsKey() throws Exception {
        try (LocalCluster c = ClusterSupport.startCluster("baton-it-timing-",
                LocalCluster.Options.defaults().withNodes(2).withHaproxy(false), 1);
             Client etcd = Client.builder().endpoints("http://" + c.etcdEndpoint()).build()) {
            Node primary = primaryOf(c);
            long oldLease = ClusterSupport.snapshot(c).leader().leaseId();
            assertEquals(10, grantedTtl(etcd, oldLease));

            StringWriter err = new StringWriter();
            assertEquals(2, editConfig(c, err, "--set", "ttl=2147483647"), "no upper bound used to be checked");
            assertTrue(err.toString().contains("config.ttl: must be <= 3600, got 2147483647"), err.toString());

            assertEquals(0, editConfig(c, new StringWriter(), "--set", "ttl=60", "--set", "loop_wait=25"));
            awaitOrFail(c, "the leader key hangs on a lease of ttl 60", () -> {
                ClusterSnapshot s = ClusterSupport.snapshot(c);
                return s.leader() != null && grantedTtl(etcd, s.leader().leaseId()) == 60;
            });
            ClusterSnapshot regranted = ClusterSupport.snapshot(c);
            assertEquals(primary.name(), regranted.leader().name(), "the leader kept its key through the re-grant");
            awaitOrFail(c, "the replica's member key hangs on a lease of ttl 60", () -> ClusterSupport.snapshot(c)
                    .members().values().stream().allMatch(m -> grantedTtl(etcd, m.leaseId()) == 60));

            // More than two old ttls (2 x 10 s), and a full new loop_wait, pass without a failover.
            awaitCyclesPast(c, primary, Instant.now().plusSeconds(30));
            exec(c, primary, "CREATE TABLE still_primary (id int)");
            ClusterSnapshot after = ClusterSupport.snapshot(c);
            assertEquals(primary.name(), after.leader().name());
            assertEquals(regranted.leader().leaseId(), after.leader().leaseId(), "the same lease, renewed");
            assertEquals(regranted.leader().createRevision(), after.leader().createRevision(), "never lost the key");
            assertEquals(regranted.history() == null ? null : regranted.history().value(),
                    after.history() == null ? null : after.history().value(), "no failover in the history");
            assertEquals(-1, etcd.getLeaseClient().timeToLive(oldLease, LeaseOption.DEFAULT).get(10, TimeUnit.SECONDS)
                    .getTTL(), "the old lease was revoked");
        }
    }
}
