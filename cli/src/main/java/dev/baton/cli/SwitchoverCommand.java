package dev.baton.cli;

import dev.baton.agent.client.AgentClient;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "switchover", description = {"Hand the leader role over to another member (planned).",
        "No acknowledged write is lost: the leader stops cleanly, waits until the candidate has its shutdown",
        "checkpoint, then releases the leader key. Sends POST /switchover to the leader's REST API.",
        "Without --candidate the leader's agent picks the best member."})
public final class SwitchoverCommand extends BaseCommand {
    /**
     * A switchover waits for the candidate to catch up and promote; the agent bounds that itself
     * (max(30 s, 3 ttl)) and answers 503 after it. This only guards against an agent that hangs.
     */
    static final Duration TIMEOUT = Duration.ofSeconds(300);

    @Mixin
    ClusterOptions cluster;

    @Mixin
    RestClientOptions rest;

    @Option(names = {"--leader", "--primary", "--master"}, paramLabel = "NAME",
            description = "The current leader (checked against the leader key; optional).")
    String leader;

    @Option(names = "--candidate", paramLabel = "NAME",
            description = "The member to hand over to (default: the best one, chosen by the leader's agent).")
    String candidate;

    @Option(names = "--scheduled", paramLabel = "ISO-TIME|now",
            description = "When: an ISO-8601 time (2026-05-01T10:00:00Z; without an offset it is local time) or now "
                    + "(default). A scheduled switchover waits in the failover key; cancel it with 'baton flush switchover'.")
    String scheduled;

    @Mixin
    ForceOption force;

    @Override
    protected int execute() {
        Instant at = parseScheduled(scheduled, Instant.now());
        try (ClusterSession s = cluster.connect(err())) {
            ClusterView view = s.view();
            AgentApi api = rest.api(cluster, err());
            String scope = s.scope();
            if (!view.hasLeader()) {
                throw ExitException.failed("cluster " + scope + " has no leader: a switchover needs one to hand over "
                        + "from; use 'baton failover --candidate NAME' to promote a member");
            }
            String current = view.leader();
            if (leader != null && !leader.equals(current)) {
                ClusterSession.member(view, leader, scope);
                throw ExitException.badInput(leader + " is not the leader of cluster " + scope + " (the leader is "
                        + current + ")");
            }
            if (candidate != null) {
                MemberStatus c = Candidates.check(view, candidate, scope, "switchover");
                if (at == null) {
                    Candidates.requireStreaming(api, c);
                }
            } else if (Candidates.eligible(view).isEmpty()) {
                throw ExitException.failed("cluster " + scope + " has no member that could take over: none is "
                        + "a running replica without the nofailover tag"
                        + (view.dynamic().synchronousMode() ? " that the sync key lists (synchronous_mode)" : ""));
            } else if (at == null && Candidates.eligible(view).stream().noneMatch(m -> Candidates.streaming(api, m))) {
                throw ExitException.failed("no replica of cluster " + scope + " is streaming from the leader right now "
                        + "(asked each on its REST API): a switchover now could lose writes or leave the cluster "
                        + "without a leader; wait until 'baton list' shows them streaming");
            }
            view.failover().ifPresent(f -> {
                if (f.scheduledAt() != null) {
                    throw ExitException.failed("a switchover is already scheduled at " + utc(f.scheduledAt().toInstant())
                            + "; cancel it first with 'baton flush switchover'");
                }
            });
            MemberStatus leaderMember = view.leaderMember().orElseThrow(() -> ExitException.failed(
                    "the leader " + current + " has no member key: its agent is not publishing, cannot reach it"));
            String where = candidate == null ? "" : " to " + candidate;
            confirm(at == null
                    ? "Are you sure you want to switchover cluster " + scope + ", demoting current leader " + current + "?"
                    : "Are you sure you want to schedule switchover of cluster " + scope + " at " + utc(at)
                    + ", demoting current leader " + current + "?", force.force);
            String scheduledAt = at == null ? null : utc(at);
            AgentClient.Reply r = api.call(leaderMember, "POST", "switchover", TIMEOUT,
                    (c, base) -> c.switchover(base, current, candidate, scheduledAt, TIMEOUT));
            int code = switch (r.status()) {
                case 200, 202 -> EXIT_OK;
                case 400 -> EXIT_BAD_INPUT;
                case 409, 412, 503 -> EXIT_FAILED;
                default -> throw ExitException.failed(AgentApi.unexpected(leaderMember, "POST", "switchover", r));
            };
            if (code == EXIT_OK) {
                out().println(r.message().isEmpty() ? (r.status() == 202 ? "Switchover scheduled" : "Switched over" + where)
                        : r.message());
            } else {
                String verdict = r.status() == 412 || r.status() == 409 ? "refused" : r.status() == 400 ? "rejected"
                        : "failed";
                err().println("baton: switchover " + verdict + ": " + (r.message().isEmpty() ? "HTTP " + r.status()
                        : r.message()));
            }
            ClusterView after = r.status() == 200 ? Candidates.awaitNewLeader(s, current, Duration.ofSeconds(10))
                    : s.view();
            out().print(ListCommand.table(scope, after, ListCommand.rows(scope, after)));
            return code;
        }
    }

    /**
     * {@code now} or nothing is null (at once). An ISO-8601 time with an offset or zone, or a local
     * date-time (this machine's zone; 'T' or a space between date and time). Malformed or past: exit 2.
     */
    static Instant parseScheduled(String text, Instant now) {
        if (text == null || text.isBlank() || text.strip().equalsIgnoreCase("now")) {
            return null;
        }
        String t = text.strip();
        Instant at = null;
        try {
            at = OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException e) {
            try {
                at = ZonedDateTime.parse(t).toInstant();
            } catch (DateTimeParseException e2) {
                try {
                    at = LocalDateTime.parse(t.replace(' ', 'T')).atZone(ZoneId.systemDefault()).toInstant();
                } catch (DateTimeParseException e3) {
                    throw ExitException.badInput("--scheduled: cannot read \"" + text + "\" as a time: give an ISO-8601 "
                            + "time such as 2026-05-01T10:00:00Z (or 2026-05-01T12:00:00+02:00), or now");
                }
            }
        }
        if (at.isBefore(now.minusSeconds(1))) {
            throw ExitException.badInput("--scheduled: " + utc(at) + " is in the past (now is " + utc(now) + ")");
        }
        return at;
    }

    static String utc(Instant i) {
        // Full precision: truncating would schedule the switchover up to a second early.
        return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(i.atOffset(ZoneOffset.UTC));
    }
}
