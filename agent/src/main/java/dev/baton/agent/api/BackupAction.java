package dev.baton.agent.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.agent.backup.BackupInfo;
import dev.baton.agent.backup.BackupRunner;
import dev.baton.agent.backup.PgBackRestPeer;
import dev.baton.agent.backup.StandbyBackups;
import dev.baton.agent.ha.NodeState;
import dev.baton.config.Untrusted;
import dev.baton.leader.model.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * {@code POST /backup}, {@code GET /backup} and {@code GET /backups} (docs/backup.md). Without a
 * backup repository every one answers 404. A backup is started on the leader (the primary holding
 * the leader key); anywhere else 503. A backup from a replica ({@code "from_replica": true}) is
 * started on a running replica whose configuration has {@code backup.server} (else 501), with the
 * leader's published pgBackRest server (else 503): pgBackRest copies the files here and starts and
 * stops the backup on the primary through that server.
 *
 * <ul>
 *   <li>{@code POST /backup} {@code {"type":"full|diff|incr","from_replica":bool}} (empty body: a full
 *       backup from the leader): 202 with the status object; 409 with the running backup's status
 *       object while one runs; 400 for a bad body; 501 for {@code from_replica} without
 *       {@code backup.server}; 503 on a member that is not the leader (with {@code from_replica}:
 *       not a running replica, or the leader publishes no pgBackRest server).</li>
 *   <li>{@code GET /backup}: 200 with the status object of the last (or running) backup this agent
 *       started ({@link BackupRunner.Status#toJson()}; {@code "state":"none"} before the first).</li>
 *   <li>{@code GET /backups}: 200 with the repository's backups, oldest first
 *       ({@link BackupInfo#toJson()}); 503 when pgBackRest fails.</li>
 * </ul>
 * Errors are {@code {"error": "..."}}.
 */
public final class BackupAction {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String NO_REPOSITORY = "no backup repository is configured (no backup section)";
    /** Why {@code from_replica} is refused on a member without {@code backup.server}. */
    public static final String FROM_REPLICA_NEEDS_SERVER = dev.baton.config.BackupConfig.FROM_REPLICA_NEEDS_SERVER;

    private final BackupRunner runner;
    private final Supplier<NodeState> state;
    private final LongSupplier ticker;
    private final boolean server;

    /** @param runner the backup runner, or null without a backup repository */
    public BackupAction(BackupRunner runner, Supplier<NodeState> state, LongSupplier ticker) {
        this(runner, state, ticker, false);
    }

    /** @param server whether this member has {@code backup.server} (can take a backup as a replica) */
    public BackupAction(BackupRunner runner, Supplier<NodeState> state, LongSupplier ticker, boolean server) {
        this.runner = runner;
        this.state = state;
        this.ticker = ticker;
        this.server = server;
    }

    /** Without a backup repository: 404 everywhere. */
    public static BackupAction none() {
        return new BackupAction(null, () -> null, () -> 0, false);
    }

    /** GET /backup and GET /backups; null for any other path. */
    public RestApi.Answer get(String path) {
        if (!path.equals("/backup") && !path.equals("/backups")) {
            return null;
        }
        if (runner == null) {
            return new RestApi.Answer(404, error(NO_REPOSITORY));
        }
        if (path.equals("/backup")) {
            return new RestApi.Answer(200, json(runner.status().toJson()));
        }
        try {
            List<Map<String, Object>> out = new ArrayList<>();
            for (BackupInfo b : runner.repository().list()) {
                out.add(b.toJson());
            }
            return new RestApi.Answer(200, json(out));
        } catch (RuntimeException e) {
            return new RestApi.Answer(503, error("could not list the backups: "
                    + Untrusted.shown(String.valueOf(e.getMessage()), 2000)));
        }
    }

    /** POST /backup. */
    public RestApi.Answer post(String body) {
        if (runner == null) {
            return new RestApi.Answer(404, error(NO_REPOSITORY));
        }
        RestRequests.Parsed<RestRequests.Backup> parsed = RestRequests.backup(body);
        if (parsed instanceof RestRequests.Parsed.Bad<RestRequests.Backup> bad) {
            return new RestApi.Answer(400, error(bad.message()));
        }
        RestRequests.Backup req = ((RestRequests.Parsed.Ok<RestRequests.Backup>) parsed).value();
        NodeState s = state.get();
        long now = ticker.getAsLong();
        if (req.fromReplica()) {
            return fromReplica(req, s, now);
        }
        if (s == null || !s.isWritablePrimary(now)) {
            return new RestApi.Answer(503, error(
                    "not the leader: a backup is taken by the leader's agent, whose postgres runs as the primary"));
        }
        BackupRunner.Submission sub = runner.run(req.type(), "requested over the REST API");
        return new RestApi.Answer(sub.started() ? 202 : 409, json(sub.status().toJson()));
    }

    private RestApi.Answer fromReplica(RestRequests.Backup req, NodeState s, long now) {
        if (!server) {
            return new RestApi.Answer(501, error(FROM_REPLICA_NEEDS_SERVER));
        }
        if (s == null || s.isWritablePrimary(now) || s.role() != Role.REPLICA || s.pg() == null
                || !s.pg().running() || s.cluster() == null || !s.cluster().hasLeader()
                || s.name().equals(s.cluster().leader())) {
            return new RestApi.Answer(503, error("not a running replica of a cluster with a leader: a backup from a "
                    + "replica is taken by a replica's agent (ask a member whose role is replica)"));
        }
        PgBackRestPeer primary;
        try {
            primary = StandbyBackups.leaderServer(s.cluster()).orElse(null);
        } catch (IllegalArgumentException e) {
            return new RestApi.Answer(503, error("the leader's member key has unusable pgBackRest server facts: "
                    + e.getMessage()));
        }
        if (primary == null) {
            return new RestApi.Answer(503, error("the leader (" + Untrusted.shown(s.cluster().leader(), 80)
                    + ") publishes no pgBackRest server: its configuration needs backup.server"));
        }
        BackupRunner.Submission sub = runner.runFromStandby(req.type(), primary, "requested over the REST API");
        return new RestApi.Answer(sub.started() ? 202 : 409, json(sub.status().toJson()));
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String error(String message) {
        return JSON.createObjectNode().put("error", message).toString();
    }
}
