package dev.baton.agent.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.agent.ha.OperatorActions;
import dev.baton.agent.ha.OperatorPolicy;
import dev.baton.config.DynamicConfig;
import dev.baton.leader.ClusterStore;
import dev.baton.leader.StoreUnavailableException;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.FailoverKey;
import dev.baton.leader.model.FailoverRequest;
import dev.baton.leader.model.MemberStatus;
import dev.baton.leader.model.Takeover;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The agent's operator actions behind the REST API, with Patroni's endpoints and status codes:
 * {@code POST/DELETE /switchover}, {@code POST /failover}, {@code POST/DELETE /restart},
 * {@code POST /reload}, {@code POST /reinitialize}, {@code PATCH} and {@code PUT /config}
 * ({@link ConfigAction}), and Baton's {@code POST /fence} ({@link FenceAction}) and
 * {@code POST /backup} ({@link BackupAction}). Switchover and failover are requests written to the {@code failover} key
 * (compare-and-set) that the HA loops carry out; the call then waits a bounded time for the outcome.
 */
public final class AgentActions implements RestApi.Actions {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Patroni's refusal of POST /reinitialize without a leader, word for word (scripts grep for it). */
    static final String NO_LEADER = "Cluster has no leader, can not reinitialize";

    private final Operator operator;
    private final ClusterStore store;
    private final LongSupplier ticker;
    private final DynamicConfig bootstrap;
    private final Duration wait;
    /** {@code POST /fence}; null: this agent cannot fence (503). */
    private final FenceAction fence;
    /** {@code POST /backup}; without a repository it answers 404. */
    private final BackupAction backup;
    /** {@code PATCH /config} and {@code PUT /config}. */
    private final ConfigAction config;

    /** The loop's restart, reload and reinitialize ({@link OperatorActions}), an interface so tests can fake them. */
    public interface Operator {
        OperatorPolicy.Result restart(String role, boolean pendingOnly, Duration timeout);

        OperatorPolicy.Result reload();

        OperatorPolicy.Result reinitialize();

        /** {@code POST /reinitialize}; with {@code force} a long action in progress is cancelled first (Patroni's). */
        default OperatorPolicy.Result reinitialize(boolean force) {
            return reinitialize();
        }

        /** A restart with all of Patroni's conditions; by default only the role and the pending flag count. */
        default OperatorPolicy.Result restart(OperatorPolicy.RestartRequest req, Duration wait) {
            String role = req.role() == OperatorPolicy.RoleFilter.ANY ? null
                    : req.role().name().toLowerCase(java.util.Locale.ROOT);
            return restart(role, req.pendingOnly(), wait);
        }

        /** {@code POST /restart} with a schedule: 202, 409 when one is already scheduled. */
        default OperatorPolicy.Result scheduleRestart(OperatorPolicy.RestartRequest req, java.time.OffsetDateTime at) {
            return new OperatorPolicy.Result(503, "this agent cannot schedule restarts");
        }

        /** {@code DELETE /restart}: 200, or 404 when none is scheduled. */
        default OperatorPolicy.Result deleteScheduledRestart() {
            return new OperatorPolicy.Result(404, "no restarts are scheduled");
        }

        /**
         * {@code operator}, where a reload first runs {@code alsoOnReload} (the REST API re-reads
         * its TLS files), whether or not postgres then reloads.
         */
        static Operator reloading(Operator operator, Runnable alsoOnReload) {
            return reloading(operator, () -> {
                alsoOnReload.run();
                return null;
            });
        }

        /**
         * {@code operator}, where a reload first runs {@code first}: null to go on with the reload
         * of postgres, or the answer to give instead (a local configuration file that does not
         * validate: nothing is reloaded).
         */
        static Operator reloading(Operator operator, java.util.function.Supplier<OperatorPolicy.Result> first) {
            return new Operator() {
                @Override
                public OperatorPolicy.Result restart(String role, boolean pendingOnly, Duration timeout) {
                    return operator.restart(role, pendingOnly, timeout);
                }

                @Override
                public OperatorPolicy.Result restart(OperatorPolicy.RestartRequest req, Duration wait) {
                    return operator.restart(req, wait);
                }

                @Override
                public OperatorPolicy.Result scheduleRestart(OperatorPolicy.RestartRequest req,
                                                             java.time.OffsetDateTime at) {
                    return operator.scheduleRestart(req, at);
                }

                @Override
                public OperatorPolicy.Result deleteScheduledRestart() {
                    return operator.deleteScheduledRestart();
                }

                @Override
                public OperatorPolicy.Result reload() {
                    OperatorPolicy.Result refused = first.get();
                    return refused != null ? refused : operator.reload();
                }

                @Override
                public OperatorPolicy.Result reinitialize() {
                    return operator.reinitialize();
                }

                @Override
                public OperatorPolicy.Result reinitialize(boolean force) {
                    return operator.reinitialize(force);
                }
            };
        }

        static Operator of(OperatorActions actions) {
            return new Operator() {
                @Override
                public OperatorPolicy.Result restart(String role, boolean pendingOnly, Duration timeout) {
                    return actions.restart(role, pendingOnly, timeout);
                }

                @Override
                public OperatorPolicy.Result restart(OperatorPolicy.RestartRequest req, Duration wait) {
                    return actions.restart(req, wait);
                }

                @Override
                public OperatorPolicy.Result scheduleRestart(OperatorPolicy.RestartRequest req,
                                                             java.time.OffsetDateTime at) {
                    return actions.schedule(req, at);
                }

                @Override
                public OperatorPolicy.Result deleteScheduledRestart() {
                    return actions.deleteScheduled();
                }

                @Override
                public OperatorPolicy.Result reload() {
                    return actions.reload();
                }

                @Override
                public OperatorPolicy.Result reinitialize() {
                    return actions.reinitialize();
                }

                @Override
                public OperatorPolicy.Result reinitialize(boolean force) {
                    return actions.reinitialize(force);
                }
            };
        }
    }

    public AgentActions(Operator operator, ClusterStore store, LongSupplier ticker, DynamicConfig bootstrap, Duration wait) {
        this(operator, store, ticker, bootstrap, wait, null);
    }

    /** With {@code POST /fence} carried out by {@code fence}. */
    public AgentActions(Operator operator, ClusterStore store, LongSupplier ticker, DynamicConfig bootstrap, Duration wait,
                        FenceAction fence) {
        this(operator, store, ticker, bootstrap, wait, fence, BackupAction.none());
    }

    /** With {@code POST /fence} and {@code POST /backup}. */
    public AgentActions(Operator operator, ClusterStore store, LongSupplier ticker, DynamicConfig bootstrap, Duration wait,
                        FenceAction fence, BackupAction backup) {
        this.fence = fence;
        this.backup = backup;
        this.config = new ConfigAction(store);
        this.operator = operator;
        this.store = store;
        this.ticker = ticker;
        this.bootstrap = bootstrap;
        this.wait = wait;
    }

    @Override
    public RestApi.Answer act(String method, String path, Map<String, String> query, String body) {
        try {
            return switch (method + " " + path) {
                case "POST /switchover" -> switchover(parsed(RestRequests.takeover(body, true)), true);
                case "DELETE /switchover" -> cancelScheduled();
                case "POST /failover" -> switchover(parsed(RestRequests.takeover(body, false)), false);
                case "POST /restart" -> restart(parsed(RestRequests.restart(body)));
                case "DELETE /restart" -> answer(operator.deleteScheduledRestart());
                case "POST /reload" -> answer(operator.reload());
                case "POST /reinitialize" -> reinitialize(parsed(RestRequests.reinitialize(body)));
                case "POST /fence" -> fence(body);
                case "POST /backup" -> backup.post(body);
                case "PATCH /config" -> config.patch(body);
                case "PUT /config" -> config.put(body);
                default -> null;
            };
        } catch (BadRequest e) {
            return new RestApi.Answer(400, e.getMessage());
        } catch (StoreUnavailableException e) {
            return new RestApi.Answer(503, "the cluster store is not accessible: " + e.getMessage());
        }
    }

    private static final class BadRequest extends RuntimeException {
        BadRequest(String message) {
            super(message);
        }
    }

    /** The parsed request, or a 400 with the parser's message. */
    private static <T> T parsed(RestRequests.Parsed<T> p) {
        if (p instanceof RestRequests.Parsed.Bad<T> b) {
            throw new BadRequest(b.message());
        }
        return ((RestRequests.Parsed.Ok<T>) p).value();
    }

    private static RestApi.Answer answer(OperatorPolicy.Result r) {
        return new RestApi.Answer(r.status(), r.message());
    }

    private ClusterView view() {
        return ClusterView.of(store.read(), bootstrap);
    }

    /** POST /switchover (planned: needs a leader) and POST /failover (manual: a candidate is required). */
    private RestApi.Answer switchover(RestRequests.Takeover req, boolean planned) {
        String leader = req.leader();
        String candidate = req.candidate();
        OffsetDateTime at = req.scheduledAt();
        String kind = planned ? "switchover" : "failover";
        ClusterView v = view();
        if (planned && !v.hasLeader()) {
            return new RestApi.Answer(412, "the cluster has no leader: use a failover to a named candidate");
        }
        // Patroni's pause rules (its words): nothing is scheduled, and only a named candidate takes over.
        if (v.dynamic().pause() && at != null) {
            return new RestApi.Answer(400, "Can't schedule " + kind + " in the paused state");
        }
        if (v.dynamic().pause() && candidate == null) {
            return new RestApi.Answer(400, (planned ? "Switchover" : "Failover")
                    + " is possible only to a specific candidate in a paused state");
        }
        if (leader != null && !leader.equals(v.leader())) {
            return new RestApi.Answer(412, "leader name does not match: the leader is "
                    + (v.leader() == null ? "nobody" : v.leader()) + ", not " + leader);
        }
        if (candidate != null) {
            Optional<Takeover.Problem> problem = Takeover.check(v, candidate, planned);
            if (problem.isPresent()) {
                return new RestApi.Answer(412, refusal(problem.get(), candidate, v));
            }
        } else if (v.hasLeader() && v.members().keySet().stream().allMatch(v.leader()::equals)) {
            return new RestApi.Answer(412, kind + " is not possible: cluster does not have members except leader");
        } else if (!Takeover.anyoneBut(v, v.leader())) {
            return new RestApi.Answer(412, "no running member may take over"
                    + (v.dynamic().synchronousMode() ? " (synchronous_mode: only a synchronous standby may)" : ""));
        }
        if (at != null && at.toInstant().isBefore(java.time.Instant.now().minusSeconds(1))) {
            throw new BadRequest("scheduled_at " + at + " is in the past");
        }
        if (v.failover().isPresent()) {
            return new RestApi.Answer(409, "a switchover or failover is already pending: cancel it first "
                    + "(DELETE /switchover, baton flush switchover)");
        }
        ObjectNode f = JSON.createObjectNode();
        if (v.leader() != null) {
            f.put("leader", v.leader());
        }
        if (candidate != null) {
            f.put("member", candidate);
        }
        if (at != null) {
            f.put("scheduled_at", at.withOffsetSameInstant(ZoneOffset.UTC).toString());
        }
        // Compare-and-set over what the key holds now: nothing, or no valid request (Patroni's "{}", garbage).
        if (!store.casFailover(f.toString(), v.snapshot().failover() == null ? 0 : v.snapshot().failover().modRevision())) {
            return new RestApi.Answer(409, "another switchover or failover was requested at the same time");
        }
        // The watch does not report this agent's own writes: wake its loop, it may be the leader.
        store.wakeUp();
        if (at != null) {
            return new RestApi.Answer(202, "Switchover scheduled");
        }
        String oldLeader = v.leader();
        long deadline = ticker.getAsLong() + wait.toNanos();
        while (ticker.getAsLong() - deadline < 0) {
            sleep();
            ClusterView now = view();
            String l = now.leader();
            if (l != null && !l.equals(oldLeader) && (candidate == null || l.equals(candidate))
                    && now.member(l).map(m -> m.isPrimary() || m.role() == dev.baton.leader.model.Role.STANDBY_LEADER)
                    .orElse(false)) {
                // In a standby cluster the new leader is the standby leader: it never promotes.
                return new RestApi.Answer(200, "Successfully " + (planned ? "switched over" : "failed over")
                        + " to \"" + l + "\"");
            }
            if (now.failover().isEmpty() && (l == null || l.equals(oldLeader))) {
                return new RestApi.Answer(503, kind + " failed: the leader cancelled it (see its log)");
            }
        }
        return new RestApi.Answer(503, kind + " status unknown: no new leader within " + wait.toSeconds() + " s");
    }

    /** The 412 text for a candidate that may not take over (Patroni's words where it has them). */
    private static String refusal(Takeover.Problem problem, String candidate, ClusterView v) {
        return switch (problem) {
            case NOT_A_MEMBER -> "candidate " + candidate + " is not a member of the cluster";
            case ALREADY_LEADER -> "candidate " + candidate + " is already the leader";
            case NOFAILOVER -> "candidate " + candidate + " is tagged nofailover";
            case NOT_RUNNING -> "candidate " + candidate + " is not running ("
                    + v.member(candidate).map(m -> m.state().wire()).orElse("unknown") + ")";
            case RUNNING_AS_PRIMARY -> "candidate " + candidate + " runs as a primary";
            // Patroni's words; promoting an asynchronous replica could lose acknowledged commits.
            case NOT_SYNCHRONOUS -> "candidate name does not match with sync_standby: " + candidate
                    + " is not a synchronous standby (synchronous_mode is on)";
        };
    }

    private RestApi.Answer cancelScheduled() {
        ClusterView v = view();
        Optional<FailoverKey> key = v.failoverKey();
        if (key.isPresent() && key.get() instanceof FailoverKey.Invalid invalid) {
            return store.deleteFailover(invalid.modRevision())
                    ? new RestApi.Answer(200, "invalid failover key deleted (" + invalid.reason() + ")")
                    : new RestApi.Answer(409, "the failover key changed meanwhile; try again");
        }
        Optional<FailoverRequest> f = key.map(FailoverRequest.class::cast);
        if (f.isEmpty()) {
            return new RestApi.Answer(404, "no switchover is scheduled");
        }
        if (f.get().scheduledAt() == null) {
            return new RestApi.Answer(409, "the switchover is already running and cannot be cancelled");
        }
        if (!store.deleteFailover(f.get().modRevision())) {
            return new RestApi.Answer(409, "the scheduled switchover changed meanwhile; try again");
        }
        return new RestApi.Answer(200, "scheduled switchover deleted");
    }

    /**
     * Refused while the cluster has no leader (Patroni's status and words): the wiped replica would
     * have nothing to clone from, and it may be the best candidate to become the leader. Read from
     * the store now, not from the last cycle, so a leader that just left is seen.
     */
    private RestApi.Answer reinitialize(boolean force) {
        if (!view().hasLeader()) {
            return new RestApi.Answer(503, NO_LEADER);
        }
        return answer(force ? operator.reinitialize(true) : operator.reinitialize());
    }

    /** POST /fence: answered in JSON, also when the body is malformed (the caller is a peer, not an operator). */
    private RestApi.Answer fence(String body) {
        RestRequests.Parsed<RestRequests.Fence> req = RestRequests.fence(body);
        if (req instanceof RestRequests.Parsed.Bad<RestRequests.Fence> bad) {
            return new RestApi.Answer(400, JSON.createObjectNode().put("fenced", false).put("error", bad.message())
                    .toString());
        }
        if (fence == null) {
            return new RestApi.Answer(503, JSON.createObjectNode().put("fenced", false)
                    .put("error", "this agent cannot fence its postgres").toString());
        }
        return fence.fence(((RestRequests.Parsed.Ok<RestRequests.Fence>) req).value());
    }

    private RestApi.Answer restart(RestRequests.Restart req) {
        OperatorPolicy.RestartRequest r = new OperatorPolicy.RestartRequest(
                OperatorPolicy.RoleFilter.parse(req.role()).orElseThrow(), req.pendingOnly(), req.postgresVersion(),
                req.timeoutSeconds());
        return answer(req.schedule() != null ? operator.scheduleRestart(r, req.schedule())
                : operator.restart(r, Duration.ofSeconds(120)));
    }

    private static void sleep() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("interrupted");
        }
    }
}
