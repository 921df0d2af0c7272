package dev.baton.cli;

import static dev.baton.cli.ClusterSupport.awaitMoreCycles;
import static dev.baton.cli.ClusterSupport.awaitOrFail;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.LocalCluster.Node;
import dev.baton.leader.KeyLayout;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Garbage in every etcd key of a running cluster (values a buggy tool, a half-migrated Patroni
 * or a hostile writer could leave): the cluster keeps its leader, its pause state and its
 * synchronous mode, and no postgres is restarted. Keys bound to a lease keep their lease, so the
 * garbage lives as long as the real value would.
 */
class EtcdGarbageIT {

    private static final List<String> ANY_KEY = List.of("garbage{", "", "null", "[]", "42", "\"text\"",
            "{\"x\":" + "[".repeat(2000) + "}", "\u0000\u0001\n\\");

    @Test
    void garbageInEveryKeyLeavesTheLeaderThePauseStateAndSynchronousModeAlone() throws Exception {
        LocalCluster.Options options = LocalCluster.Options.defaults().withHaproxy(false)
                .withDcs("synchronous_mode: true");
        try (LocalCluster c = ClusterSupport.startCluster("baton-it-garbage-", options, 2);
             Client etcd = Client.builder().endpoints("http://" + c.etcdEndpoint()).build()) {
            KeyLayout keys = new KeyLayout("/service/", c.scope());
            Node leader = ClusterSupport.primaryOf(c);
            Node replica = c.nodes().stream().filter(n -> n != leader).findFirst().orElseThrow();
            awaitOrFail(c, "synchronous replication is on", () -> !syncNames(c, leader).isEmpty());
            Map<Node, Long> postmasters = postmasters(c);
            String goodConfig = get(etcd, keys.config());
            Map<String, String> originals = new LinkedHashMap<>();
            for (String key : List.of(keys.config(), keys.failover(), keys.history())) {
                originals.put(key, get(etcd, key));
            }

            Map<String, List<String>> garbage = new LinkedHashMap<>();
            garbage.put(keys.failover(), concat(ANY_KEY, List.of(
                    "{\"leader\":\"" + leader.name() + "\",\"member\":\"" + replica.name()
                            + "\",\"scheduled_at\":\"not a time\"}",
                    "{\"leader\":\"" + leader.name() + "\",\"scheduled_at\":\"2026-13-45T25:00:00Z\"}",
                    "{\"leader\":5,\"member\":{\"x\":1}}")));
            garbage.put(keys.sync(), concat(ANY_KEY, List.of("{\"leader\":[\"x\"],\"sync_standby\":5}",
                    "{\"leader\":\"" + leader.name() + "\",\"sync_standby\":\"nobody\\u0000\"}")));
            garbage.put(keys.history(), concat(ANY_KEY, List.of("[[1,\"x\"]]", "[[-1,-1,null,null]]", "{\"a\":1}")));
            garbage.put(keys.status(), concat(ANY_KEY, List.of("{\"optime\":\"zz\"}", "{\"optime\":-1}",
                    "{\"optime\":1e400}")));
            garbage.put(keys.member(replica.name()), concat(ANY_KEY, List.of(
                    "{\"role\":7,\"xlog_location\":-5,\"state\":\"running\",\"timeline\":\"x\"}")));
            garbage.put(keys.member(leader.name()), concat(ANY_KEY, List.of("{\"role\":\"replica\",\"state\":9}")));
            garbage.put(keys.leader(), List.of("garbage{", "", "\n", replica.name() + "\u0000"));
            garbage.put(keys.config(), concat(ANY_KEY, List.of(
                    "{\"ttl\":\"x\",\"loop_wait\":-3,\"synchronous_mode\":\"sometimes\"}",
                    "{\"synchronous_mode\":\"maybe\",\"pause\":[1]}",
                    // Keys left out are read as their defaults (as in Patroni), so these name synchronous_mode.
                    "{\"synchronous_mode\":true,\"postgresql\":{\"parameters\":{\"work_mem\":\"1\\n\",\"x = 1\\ninclude_dir\":\"/\",\"port\":1}}}")));

            for (Map.Entry<String, List<String>> e : garbage.entrySet()) {
                for (String value : e.getValue()) {
                    put(etcd, e.getKey(), value);
                    awaitMoreCycles(c, leader, 2);
                    assertSteady(c, leader, postmasters, false, e.getKey() + " = " + printable(value));
                }
                restore(etcd, e.getKey(), originals);
            }

            // A plain put takes the leader key's lease away: the leader repairs it while it holds the lock.
            etcd.getKVClient().put(bytes(keys.leader()), bytes("garbage-without-lease{")).get(10, TimeUnit.SECONDS);
            awaitMoreCycles(c, leader, 2);
            assertSteady(c, leader, postmasters, false, "leader = garbage without a lease");
            awaitOrFail(c, "the leader key names " + leader.name() + " on a lease again",
                    () -> leaseOf(etcd, keys.leader()) != 0 && leader.name().equals(value(etcd, keys.leader())));

            // Paused: garbage in config never turns maintenance mode off.
            put(etcd, keys.config(), goodConfig.replaceFirst("\\{", "{\"pause\":true,"));
            awaitOrFail(c, "the cluster is paused", () -> paused(c, leader));
            for (String value : concat(ANY_KEY, List.of("{\"synchronous_mode\":true,\"pause\":\"yes please\"}",
                    "{\"pause\":\"null\",\"synchronous_mode\":\"sometimes\"}"))) {
                put(etcd, keys.config(), value);
                awaitMoreCycles(c, leader, 2);
                assertSteady(c, leader, postmasters, true, "config = " + printable(value));
            }
        }
    }

    private static void assertSteady(LocalCluster c, Node leader, Map<Node, Long> postmasters, boolean paused,
                                     String after) throws InterruptedException {
        awaitOrFail(c, leader.name() + " is the only primary after " + after,
                () -> c.primary().map(p -> p == leader).orElse(false));
        assertTrue(!syncNames(c, leader).isEmpty(), "synchronous_standby_names is empty after " + after);
        assertEquals(paused, paused(c, leader), "pause after " + after);
        assertEquals(postmasters, postmasters(c), "a postgres was restarted after " + after);
    }

    private static boolean paused(LocalCluster c, Node n) {
        return c.get(n, "/patroni").map(r -> r.body().path("pause").asBoolean(false)).orElse(false);
    }

    private static Map<Node, Long> postmasters(LocalCluster c) {
        Map<Node, Long> pids = new LinkedHashMap<>();
        c.nodes().forEach(n -> pids.put(n, n.postmasterPid()));
        return pids;
    }

    private static String syncNames(LocalCluster c, Node n) {
        try (Connection conn = ClusterSupport.connect(c, n); Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SHOW synchronous_standby_names")) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            return "";
        }
    }

    /** Puts {@code value}; a key bound to a lease stays bound to it. */
    private static void put(Client etcd, String key, String value) throws Exception {
        ByteSequence k = bytes(key);
        List<KeyValue> kvs = etcd.getKVClient().get(k).get(10, TimeUnit.SECONDS).getKvs();
        long lease = kvs.isEmpty() ? 0 : kvs.get(0).getLease();
        PutOption option = lease == 0 ? PutOption.DEFAULT : PutOption.builder().withLeaseId(lease).build();
        etcd.getKVClient().put(k, bytes(value), option).get(10, TimeUnit.SECONDS);
    }

    private static String get(Client etcd, String key) throws Exception {
        List<KeyValue> kvs = etcd.getKVClient().get(bytes(key)).get(10, TimeUnit.SECONDS).getKvs();
        return kvs.isEmpty() ? null : kvs.get(0).getValue().toString(StandardCharsets.UTF_8);
    }

    /** Takes the garbage away where no agent rewrites the key by itself. */
    private static void restore(Client etcd, String key, Map<String, String> originals) throws Exception {
        if (!originals.containsKey(key)) {
            return;
        }
        String original = originals.get(key);
        if (original == null) {
            etcd.getKVClient().delete(bytes(key)).get(10, TimeUnit.SECONDS);
        } else {
            put(etcd, key, original);
        }
    }

    private static long leaseOf(Client etcd, String key) {
        try {
            List<KeyValue> kvs = etcd.getKVClient().get(bytes(key)).get(10, TimeUnit.SECONDS).getKvs();
            return kvs.isEmpty() ? 0 : kvs.get(0).getLease();
        } catch (Exception e) {
            return 0;
        }
    }

    private static String value(Client etcd, String key) {
        try {
            return get(etcd, key);
        } catch (Exception e) {
            return null;
        }
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }

    private static String printable(String s) {
        String shown = s.length() > 60 ? s.substring(0, 60) + "…" : s;
        return shown.chars().mapToObj(ch -> ch < 0x20 ? "\\x" + Integer.toHexString(ch) : Character.toString(ch))
                .reduce("", String::concat);
    }
}
