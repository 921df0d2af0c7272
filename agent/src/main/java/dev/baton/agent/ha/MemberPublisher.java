package dev.baton.agent.ha;

import dev.baton.agent.postgres.DataDirInfo;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.config.BatonConfig;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.MemberKey;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberState;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Role;
import java.time.Clock;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * This member as others see it: its {@code members/<name>} key (written when it changes or the
 * lease is new) and the {@link NodeState} the REST API and metrics read. How role and state follow
 * from the local facts is pure ({@link #role}, {@link #state}, {@link #describe}).
 */
final class MemberPublisher {
    /** The cycle's configuration snapshot ({@link #follow}): only its tags may differ from the start's. */
    private volatile BatonConfig config;
    private final String version;
    private final ClusterStore store;
    private final LongSupplier ticker;
    private final Clock clock;
    private final AtomicReference<NodeState> state;
    private MemberStatus lastPublished;
    private String lastJson;
    /** With backup.server: where this member's pgBackRest TLS server is, added to the member key. */
    private final dev.baton.agent.backup.PgBackRestPeer pgbackrest;

    MemberPublisher(BatonConfig config, String version, ClusterStore store, LongSupplier ticker, Clock clock) {
        this.pgbackrest = dev.baton.agent.backup.PgBackRestPeer.of(config);
        this.config = config;
        this.version = version;
        this.store = store;
        this.ticker = ticker;
        this.clock = clock;
        this.state = new AtomicReference<>(NodeState.initial(identity(config)));
    }

    private static NodeState.Identity identity(BatonConfig config) {
        return new NodeState.Identity(config.name(), config.scope(), config.tags().noloadbalance(),
                config.tags().nofailover(), new TreeMap<>(config.tags().all()));
    }

    /**
     * The cycle's configuration (a local reload may have changed the tags): published from this
     * cycle on, in the member key and the REST API.
     */
    void follow(BatonConfig now) {
        if (now == config) {
            return;
        }
        boolean retag = !now.tags().equals(config.tags());
        config = now;
        if (retag) {
            NodeState.Identity id = identity(now);
            state.updateAndGet(s -> s.withIdentity(id));
        }
    }

    /** The scheduled restart to publish (Patroni's {@code scheduled_restart}), or null. */
    private volatile Supplier<ScheduledRestart> scheduledRestart = () -> null;

    void setScheduledRestart(Supplier<ScheduledRestart> scheduledRestart) {
        this.scheduledRestart = scheduledRestart;
    }

    /** The node state, with the scheduled restart as it is now (an answer to POST /restart shows at once). */
    NodeState state() {
        ScheduledRestart scheduled = scheduledRestart.get();
        return state.get().withScheduledRestart(scheduled == null ? null : scheduled.describe(false));
    }

    /** What postgres runs as; stopped, what its data directory would start as. */
    static Role role(PgStatus status, DataDirInfo dir) {
        if (status.running()) {
            return status.inRecovery() ? Role.REPLICA : Role.PRIMARY;
        }
        return dir != null && dir.hasData() ? Role.REPLICA : Role.UNINITIALIZED;
    }

    /**
     * A replica holding the leader key of a standby cluster is its standby leader (Patroni's
     * {@code standby_leader} role, in the member key, /patroni and the callbacks).
     */
    static Role standbyLeader(Role role, ClusterView view, String me, long lockUntil) {
        return role == Role.REPLICA && lockUntil != 0 && view.dynamic().isStandbyCluster() && me.equals(view.leader())
                ? Role.STANDBY_LEADER : role;
    }

    /**
     * The member state: the running long action's, else from postgres; {@code running} as soon as
     * postgres answers during an action that does not hold it down ({@link LongAction#runningOncePostgresAnswers}).
     */
    static MemberState state(PgStatus status, boolean postmasterAlive, LongAction.Running busy, boolean rewindFailed) {
        if (busy != null && !(status.running() && busy.action().runningOncePostgresAnswers())) {
            return busy.action().memberState();
        }
        if (rewindFailed && !postmasterAlive) {
            return MemberState.REWIND_FAILED;
        }
        if (status.running()) {
            return MemberState.RUNNING;
        }
        return postmasterAlive ? MemberState.STARTING : MemberState.STOPPED;
    }

    /** The member key's content in Patroni's shape. */
    static MemberStatus describe(BatonConfig config, String version, Role role, MemberState state, PgStatus status,
                                 boolean paused, boolean checkpointPending) {
        Map<String, Object> tags = new TreeMap<>(config.tags().all());
        return new MemberStatus(config.name(),
                "postgres://" + hostPort(config.postgresql().connectHost(), config.postgresql().connectPort()) + "/postgres",
                apiUrl(config),
                state, role, status.walPosition(), status.timeline(), tags, version, status.pendingRestart(), paused,
                checkpointPending && status.runningAsPrimary() ? Boolean.FALSE : null);
    }

    /** The member key's {@code api_url}: this agent's {@code GET /patroni}, as its peers call it. */
    static String apiUrl(BatonConfig config) {
        return config.restapi().scheme() + "://" + hostPort(config.restapi().connectHost(), config.restapi().connectPort())
                + "/patroni";
    }

    static String hostPort(String host, int port) {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** Publishes after a cycle that read {@code view}: the member key when it changed, and the node state. */
    void publish(ClusterView view, PgStatus status, boolean alive, boolean newLease, DataDirInfo dir,
                 LongAction.Running busy, boolean rewindFailed, boolean checkpointPending, long lockUntil) {
        Role role = standbyLeader(role(status, dir), view, config.name(), lockUntil);
        MemberState st = state(status, alive, busy, rewindFailed);
        ScheduledRestart scheduled = scheduledRestart.get();
        MemberStatus me = describe(config, version, role, st, status, view.dynamic().pause(), checkpointPending)
                .withScheduledRestart(scheduled == null ? null : scheduled.describe(true));
        String json = pgbackrest == null ? me.toJson() : pgbackrest.addTo(me.toJson());
        // Also when the stored key is not what I wrote (someone overwrote it, or it expired):
        // my member key says what I am, whatever else was put there.
        MemberKey stored = view.snapshot().members().get(config.name());
        boolean drifted = lastJson != null && (stored == null || !lastJson.equals(stored.json()));
        if (newLease || drifted || !json.equals(lastJson)) {
            store.publishMember(json);
            lastJson = json;
            lastPublished = me;
        }
        state.updateAndGet(s -> s.withCluster(view, lockUntil, ticker.getAsLong(), clock.instant().getEpochSecond())
                .withLocal(new NodeState.Local(role, st, status, dir == null ? null : dir.systemId())));
    }

    /** After a promotion: how it went ({@code baton.promotion} of /patroni). */
    void promoted(PromotionReport report) {
        state.updateAndGet(s -> s.withPromotion(report));
    }

    /** Publishes the local state to the REST API only (no store write): after a promotion or a fence. */
    void publishLocal(PgStatus status, boolean alive, LongAction.Running busy, boolean rewindFailed, long lockUntil) {
        state.updateAndGet(s -> {
            Role role = status.running() ? role(status, null) : s.role();
            if (role == Role.REPLICA && s.role() == Role.STANDBY_LEADER) {
                role = Role.STANDBY_LEADER; // the next cycle says whether it still is
            }
            return s.withLocal(new NodeState.Local(role, state(status, alive, busy, rewindFailed), status, s.systemId()))
                    .withCycle(s.lastSentence(), lockUntil, ticker.getAsLong());
        });
    }

    /** The end of a cycle: its sentence and the lock as it stands. */
    void cycleFinished(String sentence, long lockUntil, long now) {
        state.updateAndGet(s -> s.withCycle(sentence, lockUntil, now));
    }

    /** postgres is being stopped for good or handed over: no longer a primary for the REST API. */
    void stopped(MemberState how) {
        state.updateAndGet(s -> s.withLocal(new NodeState.Local(
                s.role() == Role.UNINITIALIZED ? s.role() : Role.REPLICA, how, PgStatus.stopped(), s.systemId()))
                .withCycle("shutting down", 0, ticker.getAsLong()));
    }

    /** The agent shuts down: the REST API says stopping, with no lock. */
    void stopping() {
        state.updateAndGet(s -> s.withLocal(new NodeState.Local(s.role(), MemberState.STOPPING, s.pg(), s.systemId()))
                .withCycle("shutting down", 0, ticker.getAsLong()));
    }

    /** The last words in the member key on a clean shutdown: stopped, without a WAL position. */
    void publishStopped() {
        MemberStatus last = lastPublished != null ? lastPublished
                : describe(config, version, Role.UNINITIALIZED, MemberState.STOPPED, PgStatus.stopped(), false, false);
        store.publishMember(new MemberStatus(last.name(), last.connUrl(), last.apiUrl(), MemberState.STOPPED,
                last.role(), 0, last.timeline(), last.tags(), last.version(), last.pendingRestart(), last.paused(),
                last.checkpointAfterPromote()).toJson());
    }

    void shutDown() {
        state.updateAndGet(s -> s.withCycle("shut down", s.lockValidUntilNanos(), s.lastCycleNanos()));
    }
}
