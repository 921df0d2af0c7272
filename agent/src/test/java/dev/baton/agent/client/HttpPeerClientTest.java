package dev.baton.agent.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.baton.agent.ha.Candidacy;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HttpPeerClientTest {
    private final FakeAgent primary;
    private final FakeAgent replica;
    private final FakeAgent garbage;
    private final FakeAgent silent;

    HttpPeerClientTest() throws IOException {
        primary = new FakeAgent().answer("/patroni", 200, AgentClientTest.PRIMARY);
        replica = new FakeAgent().answer("/patroni", 200, AgentClientTest.REPLICA);
        garbage = new FakeAgent().answer("/patroni", 200, "this is not json");
        silent = new FakeAgent().hang("/patroni");
    }

    @AfterEach
    void stop() {
        for (FakeAgent a : List.of(primary, replica, garbage, silent)) {
            a.close();
        }
    }

    private static MemberStatus member(String name, FakeAgent a, Role role, long xlog, int timeline,
                                       Map<String, Object> tags) {
        return new MemberStatus(name, "postgres://127.0.0.1:5432/postgres", a == null ? null : a.base() + "/patroni",
                MemberState.RUNNING, role, xlog, timeline, tags, "0.1.0", false, false, null);
    }

    @Test
    void asksEveryPeerAtOnceAndFallsBackToThePublishedPosition() {
        List<MemberStatus> peers = List.of(
                member("p", primary, Role.PRIMARY, 1, 2, Map.of()),
                member("r", replica, Role.REPLICA, 2, 2, Map.of("failover_priority", "3")),
                member("g", garbage, Role.REPLICA, 33, 2, Map.of("nofailover", true)),
                member("n", null, Role.PRIMARY, 55, 1, Map.of("failover_priority", "x")));
        // A generous timeout: every peer here answers (or has nothing to ask), so the poll does not wait for it.
        List<Candidacy.Peer> got = new HttpPeerClient().poll(peers, Duration.ofSeconds(30));
        assertEquals(List.of(
                new Candidacy.Peer("p", true, false, 50331800, 3, false, 1),
                new Candidacy.Peer("r", true, true, 700, 3, false, 3),
                new Candidacy.Peer("g", false, true, 33, 2, true, 0),
                new Candidacy.Peer("n", false, false, 55, 1, false, 1)), got);
    }

    @Test
    void aPeerThatDoesNotAnswerWithinTheTimeoutIsTakenAtItsPublishedPosition() {
        List<Candidacy.Peer> got = new HttpPeerClient().poll(
                List.of(member("s", silent, Role.REPLICA, 44, 1, Map.of())), Duration.ofMillis(300));
        assertEquals(List.of(new Candidacy.Peer("s", false, true, 44, 1, false, 1)), got);
    }

    @Test
    void reloadRebuildsTheClientAndKeepsTheOldOneWhenTheFilesCannotBeUsed() {
        java.util.concurrent.atomic.AtomicInteger builds = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean broken = new java.util.concurrent.atomic.AtomicBoolean();
        HttpPeerClient client = new HttpPeerClient(new AgentClient(Duration.ofSeconds(1)), () -> {
            builds.incrementAndGet();
            if (broken.get()) {
                throw new ClientSetupException("restapi.keyfile", "/k: cannot decrypt the private key: wrong password?", null);
            }
            return new AgentClient(Duration.ofSeconds(1));
        });
        client.reload();
        broken.set(true);
        client.reload();
        assertEquals(2, builds.get());
        List<Candidacy.Peer> got = client.poll(List.of(member("r", replica, Role.REPLICA, 2, 2, Map.of())),
                Duration.ofSeconds(30));
        assertEquals(true, got.get(0).reachable(), "the client kept after a failed reload still works");
        new HttpPeerClient().reload(); // nothing to re-read: no effect
    }

    @Test
    void freshAsksThePeerToReadItsPositionNow() {
        new HttpPeerClient().pollFresh(List.of(member("r", replica, Role.REPLICA, 2, 2, Map.of())), Duration.ofSeconds(30));
        new HttpPeerClient().poll(List.of(member("r", replica, Role.REPLICA, 2, 2, Map.of())), Duration.ofSeconds(30));
        assertEquals("fresh", replica.requests().get(0).query());
        assertEquals(null, replica.requests().get(1).query());
        assertEquals("/patroni", replica.requests().get(0).path());
    }
}
