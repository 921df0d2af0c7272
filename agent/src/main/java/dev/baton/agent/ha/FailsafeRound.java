package dev.baton.agent.ha;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.Role;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The primary's side of failsafe mode in a cycle without the cluster store: {@code POST /failsafe}
 * to every other member of the {@code failsafe} key as last read, in parallel, and
 * {@link FailsafePolicy#judge} of the answers. Patroni's {@code check_failsafe_topology}.
 */
final class FailsafeRound {
    private static final Logger LOG = Logger.getLogger(FailsafeRound.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A round that ran: its outcome and when it started (monotonic nanoseconds). */
    record Result(FailsafePolicy.Round round, long startedAt) {
    }

    private final Supplier<dev.baton.config.BatonConfig> config;
    private final PeerClient peers;
    private final FailsafeState state;
    private final LongSupplier ticker;

    FailsafeRound(Supplier<dev.baton.config.BatonConfig> config, PeerClient peers, FailsafeState state,
                  LongSupplier ticker) {
        this.config = config;
        this.peers = peers;
        this.state = state;
        this.ticker = ticker;
    }

    /** Runs a round if failsafe applies to this node ({@link FailsafePolicy#peersToAsk}); null if it does not. */
    Result run(DynamicConfig dynamic, PgStatus status) {
        var c = config.get();
        Map<String, String> ask = FailsafePolicy.peersToAsk(dynamic.failsafeMode(), status.runningAsPrimary(), c.name(),
                state.topology());
        if (ask == null) {
            return null;
        }
        long started = ticker.getAsLong();
        List<FailsafePolicy.Answer> answers = ask.isEmpty() ? List.of()
                : peers.failsafe(ask, body(c, status), Duration.ofMillis(FailsafePolicy.callTimeoutMillis(dynamic.ttl(),
                        dynamic.loopWait(), dynamic.retryTimeout())));
        FailsafePolicy.Round round = FailsafePolicy.judge(ask, answers);
        if (!round.keep()) {
            LOG.warning(round.sentence());
        }
        return new Result(round, started);
    }

    /** Patroni's body: name, conn_url, api_url, and slots (here the primary's own WAL position). */
    static String body(dev.baton.config.BatonConfig c, PgStatus status) {
        var me = MemberPublisher.describe(c, "", Role.PRIMARY, MemberState.RUNNING, status, false, false);
        ObjectNode o = JSON.createObjectNode();
        o.put("name", c.name());
        o.put("conn_url", me.connUrl());
        o.put("api_url", me.apiUrl());
        o.putObject("slots").put(SlotPlanner.slotName(c.name()), status.walPosition());
        return o.toString();
    }
}
