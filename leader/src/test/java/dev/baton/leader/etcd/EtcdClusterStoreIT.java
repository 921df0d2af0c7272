package dev.baton.leader.etcd;

import dev.baton.leader.ClusterSnapshot;
import dev.baton.leader.LeaseRenewal;
import dev.baton.leader.testing.EtcdServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import static dev.baton.leader.etcd.StoreFixture.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EtcdClusterStoreIT {

    private static EtcdServer etcd;
    private StoreFixture fx;

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdServer.start();
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
    }

    @BeforeEach
    void fixture() {
        fx = new StoreFixture(etcd);
    }

    @AfterEach
    void closeStores() {
        fx.close();
    }

    @Test
    void exactlyOneOfTwoRacingStoresAcquiresTheLeaderKey() throws Exception {
        EtcdClusterStore a = fx.store("node1");
        EtcdClusterStore b = fx.store("node2");
        a.renewLease();
        b.renewLease();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            CountDownLatch go = new CountDownLatch(1);
            Future<Boolean> fa = pool.submit(() -> { go.await(); return a.tryAcquireLeader(); });
            Future<Boolean> fb = pool.submit(() -> { go.await(); return b.tryAcquireLeader(); });
            go.countDown();
            boolean wonA = fa.get(10, TimeUnit.SECONDS);
            boolean wonB = fb.get(10, TimeUnit.SECONDS);
            assertTrue(wonA ^ wonB, "exactly one must win, got a=" + wonA + " b=" + wonB);
            EtcdClusterStore winner = wonA ? a : b;
            EtcdClusterStore loser = wonA ? b : a;

            ClusterSnapshot snapshot = loser.read();
            assertEquals(winner.memberName(), snapshot.leader().name());
            assertEquals(winner.leaseId(), snapshot.leader().leaseId());
            assertFalse(loser.tryAcquireLeader(), "a held key cannot be taken");
            assertFalse(winner.tryAcquireLeader(), "creating twice fails even for the holder");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theWarmUpWritesNothing() {
        EtcdClusterStore a = fx.store("node1");
        a.renewLease();
        assertTrue(a.tryAcquireLeader());
        long before = a.read().revision();
        a.warmUp();
        fx.store("node2").warmUp();
        assertEquals(before, a.read().revision(), "a transaction without operations");
        assertEquals("node1", a.read().leader().name());
    }

    @Test
    void confirmLeaderIsTrueOnlyForTheHolderOnItsLease() {
        EtcdClusterStore a = fx.store("node1");
        EtcdClusterStore b = fx.store("node2");
        assertFalse(a.confirmLeader(), "no lease, no leadership");
        a.renewLease();
        b.renewLease();
        assertFalse(a.confirmLeader(), "no key yet");
        assertTrue(a.tryAcquireLeader());
        assertTrue(a.confirmLeader());
        assertFalse(b.confirmLeader());

        // Same member name, different lease (e.g. a restarted agent): not confirmed.
        EtcdClusterStore aAgain = fx.store("node1");
        aAgain.renewLease();
        assertFalse(aAgain.confirmLeader());
        assertFalse(aAgain.releaseLeader());
        assertTrue(a.confirmLeader());
    }

    @Test
    void rebindTakesBackOurOwnKeyLeftOnAnOldLeaseOnlyIfUnchanged() {
        EtcdClusterStore previousRun = fx.store("node1");
        previousRun.renewLease();
        assertTrue(previousRun.tryAcquireLeader());

        EtcdClusterStore restarted = fx.store("node1");
        EtcdClusterStore other = fx.store("node2");
        restarted.renewLease();
        other.renewLease();
        long rev = restarted.read().leader().modRevision();
        assertFalse(restarted.rebindLeader(rev + 1), "stale revision");
        assertFalse(other.rebindLeader(rev), "not our name");
        assertFalse(restarted.confirmLeader());

        assertTrue(restarted.rebindLeader(rev));
        assertTrue(restarted.confirmLeader());
        assertFalse(previousRun.confirmLeader());
        assertEquals(restarted.leaseId(), other.read().leader().leaseId());
        assertFalse(restarted.rebindLeader(rev), "the key moved on");
    }

    @Test
    void releaseDeletesTheLeaderKeyOnlyIfItIsOurs() {
        EtcdClusterStore a = fx.store("node1");
        EtcdClusterStore b = fx.store("node2");
        assertFalse(a.releaseLeader(), "nothing to release");
        a.renewLease();
        b.renewLease();
        assertTrue(a.tryAcquireLeader());

        assertFalse(b.releaseLeader());
        assertEquals("node1", b.read().leader().name());

        assertTrue(a.releaseLeader());
        assertNull(a.read().leader());
        assertFalse(a.confirmLeader());
        assertFalse(a.releaseLeader());
        assertTrue(b.tryAcquireLeader(), "free again after release");
    }

    @Test
    void renewLeaseGrantsOnceThenKeepsAliveTheSameLease() {
        // A ticker that follows real time, but from its own origin: sentAtNanos must come from it.
        long origin = System.nanoTime() - 1_000_000_000_000L;
        LongSupplier ticker = () -> System.nanoTime() - origin;
        EtcdClusterStore a = fx.store("node1", 5, Duration.ofSeconds(5), ticker);
        assertEquals(0, a.leaseId());

        long before = ticker.getAsLong();
        LeaseRenewal first = a.renewLease();
        long after = ticker.getAsLong();
        assertTrue(first.newLease());
        assertNotEquals(0, first.leaseId());
        assertEquals(first.leaseId(), a.leaseId());
        assertTrue(first.ttlSeconds() >= 5, "granted ttl " + first.ttlSeconds());
        assertTrue(before <= first.sentAtNanos() && first.sentAtNanos() <= after,
                "sentAtNanos comes from the injected ticker, taken during the call");

        LeaseRenewal second = a.renewLease();
        assertFalse(second.newLease());
        assertEquals(first.leaseId(), second.leaseId());
        assertTrue(second.ttlSeconds() >= 5);
        assertTrue(second.sentAtNanos() >= after && second.sentAtNanos() <= ticker.getAsLong());
        assertEquals(second.sentAtNanos() + second.ttlSeconds() * 1_000_000_000L, second.validUntilNanos());
    }

    @Test
    void aLeaseGrantedOutsideRenewLeaseIsReportedByTheNextRenewal() {
        EtcdClusterStore a = fx.store("node1");
        assertTrue(a.tryAcquireLeader(), "grants a lease on demand");
        long id = a.leaseId();
        assertNotEquals(0, id);
        LeaseRenewal renewal = a.renewLease();
        assertTrue(renewal.newLease());
        assertEquals(id, renewal.leaseId());
        assertFalse(a.renewLease().newLease());
        assertTrue(a.confirmLeader());
    }

    @Test
    void leaderAndMemberKeysExpireWithTheLeaseAndRenewalThenReportsANewLease() {
        EtcdClusterStore a = fx.store("node1", 2, Duration.ofSeconds(5), System::nanoTime);
        EtcdClusterStore observer = fx.store("observer");
        LeaseRenewal first = a.renewLease();
        assertTrue(a.tryAcquireLeader());
        a.publishMember("{\"role\":\"primary\"}");
        ClusterSnapshot before = observer.read();
        assertEquals(first.leaseId(), before.leader().leaseId());
        assertEquals(first.leaseId(), before.members().get("node1").leaseId());

        // No renewal: the server deletes both keys once the lease runs out.
        eventually(Duration.ofSeconds(20), "leader key expires", () -> observer.read().leader() == null);
        assertFalse(observer.read().members().containsKey("node1"));
        assertFalse(a.confirmLeader());

        LeaseRenewal after = a.renewLease();
        assertTrue(after.newLease(), "the old lease is gone, so a new one was granted");
        assertNotEquals(first.leaseId(), after.leaseId());
        assertEquals(after.leaseId(), a.leaseId());
        assertNull(a.read().leader(), "a new lease does not bring the key back");
        assertFalse(a.confirmLeader());
        assertTrue(a.tryAcquireLeader());
        assertTrue(a.confirmLeader());
    }

    @Test
    void acquireAndPublishGrantANewLeaseWhenTheOldOneExpired() {
        EtcdClusterStore a = fx.store("node1", 2, Duration.ofSeconds(5), System::nanoTime);
        long first = a.renewLease().leaseId();
        a.publishMember("{}");
        eventually(Duration.ofSeconds(20), "member key expires", () -> !a.read().members().containsKey("node1"));

        a.publishMember("{\"v\":2}");
        long second = a.leaseId();
        assertNotEquals(first, second);
        assertEquals(second, a.read().members().get("node1").leaseId());
        assertTrue(a.tryAcquireLeader());
        assertTrue(a.renewLease().newLease(), "the replacement lease is reported once");
        assertFalse(a.renewLease().newLease());
    }

    @Test
    void membersAreBoundToTheLeaseAndReadBack() {
        EtcdClusterStore a = fx.store("node1");
        EtcdClusterStore b = fx.store("node2");
        b.publishMember("{\"name\":\"b\"}");
        a.publishMember("{\"name\":\"a\"}");
        ClusterSnapshot s = a.read();
        assertEquals(List.of("node1", "node2"), new ArrayList<>(s.members().keySet()), "sorted by name");
        assertEquals("{\"name\":\"a\"}", s.members().get("node1").json());
        assertEquals(a.leaseId(), s.members().get("node1").leaseId());
        assertEquals(b.leaseId(), s.members().get("node2").leaseId());
        assertTrue(s.members().get("node1").modRevision() > 0);

        a.publishMember("{\"name\":\"a2\"}");
        assertEquals("{\"name\":\"a2\"}", b.read().members().get("node1").json());
        a.deleteMember();
        assertFalse(b.read().members().containsKey("node1"));
        assertTrue(b.read().members().containsKey("node2"));
    }

    @Test
    void initializeIsCreatedOnceAndReplacedOrDeletedOnlyFromTheExpectedValue() {
        EtcdClusterStore a = fx.store("node1");
        EtcdClusterStore b = fx.store("node2");
        assertTrue(a.createInitialize(""));
        assertFalse(b.createInitialize(""));
        assertFalse(b.createInitialize("999"));
        assertEquals("", a.read().initialize().value());
        assertEquals(0, a.read().initialize().leaseId(), "initialize has no lease");

        assertFalse(b.replaceInitialize("123", "456"));
        assertTrue(a.replaceInitialize("", "7000000000000000001"));
        assertEquals("7000000000000000001", b.read().initialize().value());

        assertFalse(b.deleteInitialize(""));
        assertTrue(a.deleteInitialize("7000000000000000001"));
        assertNull(a.read().initialize());
        assertFalse(a.replaceInitialize("", "x"), "a value compare on a missing key fails");
        assertFalse(a.deleteInitialize(""));
    }

    @Test
    void configCompareAndSetLosesWithAStaleRevision() {
        EtcdClusterStore a = fx.store("node1");
        EtcdClusterStore b = fx.store("node2");
        assertTrue(a.casConfig("{\"ttl\":30}", 0));
        assertFalse(b.casConfig("{\"ttl\":40}", 0), "create-only-if-absent loses when present");

        long rev = a.read().config().modRevision();
        assertTrue(b.casConfig("{\"ttl\":50}", rev));
        assertFalse(a.casConfig("{\"ttl\":60}", rev), "stale revision");
        assertEquals("{\"ttl\":50}", a.read().config().value());
        assertEquals(0, a.read().config().leaseId());
    }

    @Test
    void failoverSyncAndBackupCompareAndSet() {
        EtcdClusterStore a = fx.store("node1");
        assertTrue(a.casFailover("{\"leader\":\"node1\"}", 0));
        assertFalse(a.casFailover("{\"leader\":\"x\"}", 0));
        long rev = a.read().failover().modRevision();
        assertFalse(a.deleteFailover(rev + 100));
        assertNotNull(a.read().failover());
        assertTrue(a.deleteFailover(rev));
        assertNull(a.read().failover());
        assertTrue(a.casFailover("{\"member\":\"node2\"}", 0));
        assertTrue(a.deleteFailover(0), "unconditional delete");
        assertTrue(a.deleteFailover(0), "unconditional delete of a missing key");
        assertNull(a.read().failover());

        assertTrue(a.casSync("{\"leader\":\"node1\",\"sync_standby\":null}", 0));
        long syncRev = a.read().sync().modRevision();
        assertTrue(a.casSync("{\"leader\":\"node1\",\"sync_standby\":\"node2\"}", syncRev));
        assertFalse(a.casSync("{}", syncRev));
        assertEquals("{\"leader\":\"node1\",\"sync_standby\":\"node2\"}", a.read().sync().value());

        EtcdClusterStore b = fx.store("node2");
        assertTrue(a.casBackup("{\"full\":\"2026-12-06T03:00:00Z\"}", 0));
        assertFalse(b.casBackup("{}", 0), "create only if absent");
        long backupRev = a.read().backup().modRevision();
        assertTrue(b.casBackup("{\"full\":\"2026-12-13T03:00:00Z\"}", backupRev));
        assertFalse(a.casBackup("{\"full\":\"2026-12-13T03:00:00Z\"}", backupRev), "a claim lost to node2");
        assertEquals("{\"full\":\"2026-12-13T03:00:00Z\"}", a.read().backup().value());
    }

    @Test
    void historyStatusGetAndDeleteCluster() {
        EtcdClusterStore a = fx.store("node1");
        a.putHistory("[[1,25165984,\"no recovery target specified\",\"2024-01-01T00:00:00+00:00\",\"node1\"]]");
        a.putStatus("{\"optime\":67108960,\"slots\":{}}");
        a.putStatus("{\"optime\":67109000,\"slots\":{}}");
        a.publishMember("{}");
        ClusterSnapshot s = a.read();
        assertTrue(s.history().value().startsWith("[[1,"));
        assertEquals("{\"optime\":67109000,\"slots\":{}}", s.status().value());
        assertEquals(0, s.status().leaseId());
        assertTrue(s.revision() >= s.status().modRevision());
        assertEquals(Optional.of("{\"optime\":67109000,\"slots\":{}}"), a.get("status"));
        assertEquals(Optional.empty(), a.get("nothing"));

        EtcdClusterStore other = new StoreFixture(etcd).store("node1");
        try {
            other.putStatus("{}");   // a different cluster must survive deleteCluster
            a.deleteCluster();
            ClusterSnapshot empty = a.read();
            assertNull(empty.status());
            assertNull(empty.history());
            assertTrue(empty.members().isEmpty());
            assertTrue(other.get("status").isPresent());
        } finally {
            other.deleteCluster();
            other.close();
        }
    }

    @Test
    void keysAndValuesArePlainStringsUnderTheServicePrefix() {
        EtcdClusterStore a = fx.store("node1");
        a.renewLease();
        assertTrue(a.tryAcquireLeader());
        a.publishMember("{\"conn_url\":\"postgres://10.0.0.1:5432/postgres\",\"état\":\"ü\"}");
        assertTrue(a.createInitialize("7301234567890123456"));
        assertTrue(a.casConfig("{\"ttl\":30,\"loop_wait\":10}", 0));
        a.putStatus("{\"optime\":1}");

        // Read through the gRPC gateway, exactly like patronictl does.
        String p = "/service/" + fx.scope + "/";
        Map<String, String> raw = etcd.getPrefix(p);
        assertEquals(Map.of(
                p + "leader", "node1",
                p + "members/node1", "{\"conn_url\":\"postgres://10.0.0.1:5432/postgres\",\"état\":\"ü\"}",
                p + "initialize", "7301234567890123456",
                p + "config", "{\"ttl\":30,\"loop_wait\":10}",
                p + "status", "{\"optime\":1}"), raw);

        // And keys written by someone else (patronictl) are read back.
        etcd.put(p + "failover", "{\"leader\":\"node1\",\"member\":\"node2\"}");
        assertEquals("{\"leader\":\"node1\",\"member\":\"node2\"}", a.read().failover().value());
    }

    @Test
    void awaitChangeWakesOnAChangeByAnotherClient() throws Exception {
        EtcdClusterStore a = fx.store("node1");
        EtcdClusterStore b = fx.store("node2");
        a.read();
        assertFalse(a.awaitChange(Duration.ofMillis(300)), "nothing changed yet");

        Waiter waiting = Waiter.start(() -> a.awaitChange(Duration.ofSeconds(60)));
        waiting.awaitBlocked();
        assertTrue(b.tryAcquireLeader());
        assertTrue(waiting.result(), "woken by the change (a timeout returns false)");
        assertFalse(a.awaitChange(Duration.ofMillis(300)), "the change was consumed");
    }

    @Test
    void aChangeBetweenReadAndAwaitIsNotLost() {
        EtcdClusterStore a = fx.store("node1");
        EtcdClusterStore b = fx.store("node2");
        a.read();                      // the watch is not started yet
        assertTrue(b.casConfig("{}", 0));
        assertTrue(a.awaitChange(Duration.ofSeconds(30)), "a timeout would return false");
    }

    @Test
    void memberAndStatusChangesDoNotWakeTheLoop() {
        EtcdClusterStore a = fx.store("node1");
        EtcdClusterStore b = fx.store("node2");
        a.read();
        assertFalse(a.awaitChange(Duration.ofMillis(200)));
        b.publishMember("{\"state\":\"running\"}");
        b.putStatus("{\"optime\":7}");
        assertFalse(a.awaitChange(Duration.ofMillis(800)), "members/* and status change every cycle");
        assertTrue(b.casFailover("{}", 0));
        assertTrue(a.awaitChange(Duration.ofSeconds(10)), "failover wakes");
    }

    @Test
    void ownWritesDoNotWakeButLeaseExpiryDoes() {
        EtcdClusterStore a = fx.store("node1", 2, Duration.ofSeconds(5), System::nanoTime);
        a.read();
        assertFalse(a.awaitChange(Duration.ofMillis(200)));
        a.renewLease();
        assertTrue(a.tryAcquireLeader());
        a.publishMember("{}");
        a.putStatus("{\"optime\":1}");
        assertTrue(a.casConfig("{}", 0));
        assertFalse(a.awaitChange(Duration.ofMillis(500)), "own writes are not changes");

        // The lease is not renewed: its expiry deletes the keys, and that is a change.
        assertTrue(a.awaitChange(Duration.ofSeconds(30)), "a timeout would return false");
    }

    @Test
    void wakeUpWakesAWaiter() throws Exception {
        EtcdClusterStore a = fx.store("node1");
        Waiter waiting = Waiter.start(() -> a.awaitChange(Duration.ofSeconds(60)));
        waiting.awaitBlocked();
        a.wakeUp();
        assertTrue(waiting.result(), "woken (a timeout returns false)");
        a.wakeUp();   // a wake-up before the wait is not lost either
        assertTrue(a.awaitChange(Duration.ofSeconds(5)));
        assertFalse(a.awaitChange(Duration.ofMillis(100)));
    }

    /** etcd's own count of {@code counter} for one gRPC method ({@code /metrics}). */
    private static long grpc(String counter, String method) {
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(etcd.clientUrl() + "/metrics"))
                .timeout(Duration.ofSeconds(5)).build();
        String body;
        try {
            body = java.net.http.HttpClient.newHttpClient().send(request,
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        long sum = 0;
        for (String line : body.split("\n")) {
            if (line.startsWith(counter + "{") && line.contains("grpc_method=\"" + method + "\"")) {
                sum += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** Issue 19: one LeaseKeepAlive message per renewal, all on one stream. */
    @Test
    void eachRenewalIsOneKeepAliveMessageOnOneStream() throws Exception {
        // A 1 s request deadline: the stream outlives it (only each request on it is bounded).
        EtcdClusterStore a = fx.store("node1", 10, Duration.ofSeconds(1), System::nanoTime);
        long first = a.renewLease().leaseId();   // a grant
        long messages = grpc("grpc_server_msg_received_total", "LeaseKeepAlive");
        long streams = grpc("grpc_server_started_total", "LeaseKeepAlive");
        for (int i = 0; i < 5; i++) {
            LeaseRenewal r = a.renewLease();
            assertEquals(first, r.leaseId());
            assertFalse(r.newLease());
            assertTrue(r.ttlSeconds() > 0);
            if (i == 2) {
                Thread.sleep(1500);
            }
        }
        assertEquals(5, grpc("grpc_server_msg_received_total", "LeaseKeepAlive") - messages);
        assertTrue(grpc("grpc_server_started_total", "LeaseKeepAlive") - streams <= 1, "one stream, opened once");
    }

    /** Issue 19: with the watch running, reads need no request and still see every change. */
    @Test
    void readsComeFromTheWatchCacheAndSeeOtherClientsChanges() {
        EtcdClusterStore a = fx.store("node1");
        EtcdClusterStore b = fx.store("node2");
        a.read();
        assertFalse(a.awaitChange(Duration.ofMillis(200)));   // starts the watch after that read
        a.read();                                              // seeds the cache behind the watch
        long ranges = grpc("grpc_server_msg_received_total", "Range");
        for (int i = 0; i < 10; i++) {
            assertNull(a.read().leader());
        }
        assertEquals(0, grpc("grpc_server_msg_received_total", "Range") - ranges, "ten reads from the cache");

        b.renewLease();
        assertTrue(b.tryAcquireLeader());
        b.publishMember("{\"state\":\"running\"}");
        assertTrue(b.casFailover("{\"leader\":\"node2\"}", 0));
        eventually(Duration.ofSeconds(10), "the cache has node2's writes", () -> {
            ClusterSnapshot s = a.read();
            return s.leader() != null && "node2".equals(s.leader().name()) && s.members().containsKey("node2")
                    && s.failover() != null;
        });
        long revision = a.read().revision();
        assertTrue(b.releaseLeader());   // a read and a delete by b
        ranges = grpc("grpc_server_msg_received_total", "Range");
        eventually(Duration.ofSeconds(10), "the deletion reached the cache", () -> a.read().leader() == null);
        assertTrue(a.read().revision() > revision);

        // Own writes reach the cache too.
        a.renewLease();
        assertTrue(a.tryAcquireLeader());
        eventually(Duration.ofSeconds(10), "own write in the cache", () -> a.read().leader() != null);
        assertEquals("node1", a.read().leader().name());
        assertEquals(0, grpc("grpc_server_msg_received_total", "Range") - ranges, "no range read by a in all that");
    }

    /** A lost compare-and-set means the cache was stale: the next read is a range read. */
    @Test
    void aLostCompareAndSetMakesTheNextReadARangeRead() {
        EtcdClusterStore a = fx.store("node1");
        EtcdClusterStore b = fx.store("node2");
        a.read();
        a.awaitChange(Duration.ofMillis(200));
        a.read();
        long ranges = grpc("grpc_server_msg_received_total", "Range");
        a.read();
        assertEquals(0, grpc("grpc_server_msg_received_total", "Range") - ranges);
        assertTrue(b.casConfig("{}", 0));
        assertFalse(a.casConfig("{\"x\":1}", 0), "lost: the key exists");
        ClusterSnapshot s = a.read();
        assertNotNull(s.config(), "the range read found the config key");
        assertEquals(1, grpc("grpc_server_msg_received_total", "Range") - ranges);
    }

    /** Against a watch that stalls silently, a seed is trusted for half the ttl only. */
    @Test
    void theCacheIsReSeededAfterHalfTheTtl() throws Exception {
        EtcdClusterStore a = fx.store("node1", 2, Duration.ofSeconds(5), System::nanoTime);   // resync 1 s
        a.read();
        a.awaitChange(Duration.ofMillis(100));
        a.read();
        long ranges = grpc("grpc_server_msg_received_total", "Range");
        a.read();
        assertEquals(0, grpc("grpc_server_msg_received_total", "Range") - ranges);
        Thread.sleep(1100);
        a.read();
        assertEquals(1, grpc("grpc_server_msg_received_total", "Range") - ranges);
        a.read();
        assertEquals(1, grpc("grpc_server_msg_received_total", "Range") - ranges);
    }

    /** A thread blocked in {@code awaitChange}, so that a test acts only once it really waits. */
    private record Waiter(Thread thread, Future<Boolean> future) {
        static Waiter start(Callable<Boolean> wait) {
            FutureTask<Boolean> task = new FutureTask<>(wait);
            Thread t = new Thread(task, "await-change");
            t.setDaemon(true);
            t.start();
            return new Waiter(t, task);
        }

        /** Until the thread parks in its timed wait for a change. */
        void awaitBlocked() {
            eventually(Duration.ofSeconds(20), "the waiter blocks in awaitChange",
                    () -> thread.getState() == Thread.State.TIMED_WAITING || future.isDone());
        }

        boolean result() throws Exception {
            return future.get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void retimeMovesTheLeaderAndMemberKeysOntoALeaseOfTheNewTtlAndRevokesTheOld() throws Exception {
        EtcdClusterStore a = fx.store("node1");
        EtcdClusterStore b = fx.store("node2");
        LeaseRenewal first = a.renewLease();
        assertEquals(10, first.ttlSeconds());
        assertTrue(a.tryAcquireLeader());
        a.publishMember("{\"state\":\"running\"}");
        b.renewLease();
        b.publishMember("{}");

        assertEquals(Optional.empty(), a.retime(10, Duration.ofSeconds(4)), "same ttl: no new lease");
        LeaseRenewal moved = a.retime(60, Duration.ofSeconds(4)).orElseThrow();
        assertNotEquals(first.leaseId(), moved.leaseId());
        assertEquals(60, moved.ttlSeconds());
        assertEquals(moved.leaseId(), a.leaseId());

        ClusterSnapshot s = b.read();
        assertEquals("node1", s.leader().name(), "the leader key never went away");
        assertEquals(moved.leaseId(), s.leader().leaseId());
        assertEquals(moved.leaseId(), s.members().get("node1").leaseId());
        assertEquals("{\"state\":\"running\"}", s.members().get("node1").json());
        assertTrue(a.confirmLeader(), "confirmed on the new lease");
        LeaseRenewal renewed = a.renewLease();
        assertEquals(moved.leaseId(), renewed.leaseId());
        assertEquals(60, renewed.ttlSeconds());
        assertTrue(renewed.newLease(), "the member key is written again on the new lease");
        assertNotEquals(b.leaseId(), moved.leaseId());
        assertEquals(b.leaseId(), s.members().get("node2").leaseId(), "another member's key is not touched");

        try (io.etcd.jetcd.Client c = io.etcd.jetcd.Client.builder().endpoints("http://" + etcd.endpoint()).build()) {
            assertEquals(-1, c.getLeaseClient().timeToLive(first.leaseId(), io.etcd.jetcd.options.LeaseOption.DEFAULT)
                    .get(10, TimeUnit.SECONDS).getTTL(), "the old lease is revoked");
            long ttl = c.getLeaseClient().timeToLive(moved.leaseId(), io.etcd.jetcd.options.LeaseOption.DEFAULT)
                    .get(10, TimeUnit.SECONDS).getGrantedTTL();
            assertEquals(60, ttl);
        }

        // Back to a short ttl: the leader key is held by another member now, so only the member key moves.
        a.releaseLeader();
        assertTrue(b.tryAcquireLeader());
        LeaseRenewal back = a.retime(10, Duration.ofSeconds(4)).orElseThrow();
        s = b.read();
        assertEquals("node2", s.leader().name());
        assertEquals(back.leaseId(), s.members().get("node1").leaseId());
    }
}
