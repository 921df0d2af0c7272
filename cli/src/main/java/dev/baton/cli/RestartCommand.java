package dev.baton.cli;

import dev.baton.agent.client.AgentClient;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Option;

@Command(name = "restart", description = {"Restart PostgreSQL, rolling: the replicas one by one, then the primary.",
        "Sends POST /restart to each member and waits until it runs again before the next.",
        "With --pending, a member restarts only if a changed parameter needs a restart (else: skipped);",
        "with --pg-version, only if its PostgreSQL is older. patronictl's order: restart CLUSTER_NAME MEMBER...",
        "With --scheduled TIME, each member is asked to restart at TIME (the agent keeps it, and checks",
        "--pending, --role and --pg-version then); 'baton flush CLUSTER restart' cancels it."})
public final class RestartCommand extends BaseCommand {
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(180);

    @Mixin
    ClusterOptions cluster;

    @Mixin
    RestClientOptions rest;

    @Mixin
    MemberSelection selection;

    @Parameters(index = "1..*", paramLabel = "MEMBER", arity = "0..*",
            description = "Members to act on (default: all), after CLUSTER_NAME as in patronictl.")
    void members(List<String> names) {
        selection.members = names;
    }

    @Option(names = {"-p", "--pending"}, description = "Restart only members with a pending restart.")
    boolean pending;

    @Option(names = "--timeout", defaultValue = "120", paramLabel = "SECONDS",
            description = "How long to wait for each member to run again: seconds, or with s, min or h "
                    + "(default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--any", description = "Restart one member only, chosen at random among those selected.")
    boolean any;

    @Option(names = "--scheduled", paramLabel = "TIME",
            description = "When: now (default), or an ISO 8601 time (e.g. 2026-12-24T03:00+01:00; without an offset: "
                    + "local time), as patronictl.")
    String scheduled;

    @Option(names = "--pg-version", paramLabel = "VERSION",
            description = "Restart only members whose PostgreSQL is older than VERSION (e.g. 15.4, 9.6.24), as read "
                    + "from their REST API just before.")
    String pgVersion;

    @Mixin
    ForceOption force;

    /** Which member --any picks; a field so that a test could fix it. */
    java.util.Random random = new java.security.SecureRandom();

    /**
     * A duration in whole seconds: a number, or with a unit s, min or h (patronictl passes its
     * --timeout on as text such as 30s); exit 2 for anything else or less than 1 s.
     */
    static int seconds(String option, String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\s*(\\d{1,7})\\s*(s|sec|min|h)?\\s*")
                .matcher(text == null ? "" : text);
        if (!m.matches()) {
            throw ExitException.badInput(option + ": must be a number of seconds (or with s, min or h), got \"" + text
                    + "\"");
        }
        long n = Long.parseLong(m.group(1));
        long s = m.group(2) == null || m.group(2).startsWith("s") ? n : m.group(2).equals("min") ? n * 60 : n * 3600;
        if (s < 1 || s > Integer.MAX_VALUE) {
            throw ExitException.badInput(option + ": must be at least 1 second, got \"" + text + "\"");
        }
        return (int) s;
    }

    /**
     * {@code --scheduled}: null for now (absent, blank or "now"); an ISO 8601 time, in {@code zone}
     * when it has no offset (patronictl's local time); exit 2 for anything else.
     */
    static OffsetDateTime scheduledAt(String text, ZoneId zone) {
        if (text == null || text.isBlank() || text.strip().equalsIgnoreCase("now")) {
            return null;
        }
        String t = text.strip();
        try {
            return dev.baton.leader.model.FailoverKey.scheduledAt(t);
        } catch (IllegalArgumentException | java.time.DateTimeException e) {
            try {
                return java.time.LocalDateTime.parse(t.replace(' ', 'T')).atZone(zone).toOffsetDateTime();
            } catch (java.time.DateTimeException e2) {
                throw ExitException.badInput("--scheduled: unable to parse scheduled timestamp \"" + t + "\"; it "
                        + "should be an ISO 8601 time such as 2026-12-24T03:00+01:00 (or now)");
            }
        }
    }

    /** Asks each member to restart at {@code at}; patronictl's lines. Exit 1 if any did not accept. */
    private int schedule(AgentApi api, List<MemberStatus> members, OffsetDateTime at, String onlyRole) {
        String when = at.format(java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ssxxx"));
        int failed = 0;
        for (MemberStatus m : members) {
            if (force.force && m.scheduledRestart() != null) {
                AgentClient.Reply d = api.call(m, "DELETE", "restart", REQUEST_TIMEOUT,
                        (c, base) -> c.deleteScheduledRestart(base, REQUEST_TIMEOUT));
                if (d.status() != 200 && d.status() != 404) {
                    throw ExitException.failed(AgentApi.unexpected(m, "DELETE", "restart", d));
                }
            }
            AgentClient.Reply reply = api.call(m, "POST", "restart", REQUEST_TIMEOUT,
                    (c, base) -> c.scheduleRestart(base, when, pending, onlyRole, pgVersion, REQUEST_TIMEOUT));
            if (reply.status() == 409 && force.force) {
                // Scheduled so recently that the member key did not show it yet: replace it all the same.
                AgentClient.Reply d = api.call(m, "DELETE", "restart", REQUEST_TIMEOUT,
                        (c, base) -> c.deleteScheduledRestart(base, REQUEST_TIMEOUT));
                if (d.status() != 200 && d.status() != 404) {
                    throw ExitException.failed(AgentApi.unexpected(m, "DELETE", "restart", d));
                }
                reply = api.call(m, "POST", "restart", REQUEST_TIMEOUT,
                        (c, base) -> c.scheduleRestart(base, when, pending, onlyRole, pgVersion, REQUEST_TIMEOUT));
            }
            switch (reply.status()) {
                case 202, 200 -> out().println("Success: restart scheduled on member " + m.name());
                case 409 -> {
                    out().println("Failed: another restart is already scheduled on member " + m.name());
                    failed++;
                }
                default -> {
                    out().println("Failed: restart for member " + m.name() + ", status code=" + reply.status() + ", ("
                            + reply.message() + ")");
                    failed++;
                }
            }
        }
        return failed == 0 ? EXIT_OK : EXIT_FAILED;
    }

    @Override
    protected int execute() throws InterruptedException {
        selection.role(); // exit 2 for an unknown role before anything is read
        int timeoutSeconds = seconds("--timeout", timeout);
        Integer olderThan = pgVersion == null ? null : PgVersion.parse(pgVersion);
        OffsetDateTime at = scheduledAt(scheduled, ZoneId.systemDefault());
        try (ClusterSession s = cluster.connect(err())) {
            ClusterView view = s.view();
            AgentApi api = rest.api(cluster, err());
            List<MemberStatus> order = selection.select(view, s.scope());
            if (order.isEmpty()) {
                throw ExitException.failed(selection.none("restart"));
            }
            if (any) {
                order = List.of(order.get(random.nextInt(order.size())));
            }
            confirm("Are you sure you want to " + (at == null ? "" : "schedule a ") + "restart "
                    + (at == null ? "" : "at " + at + " on ") + "members " + MemberSelection.names(order) + "?",
                    force.force);
            if (at != null) {
                return schedule(api, order, at, selection.agentRole());
            }
            int restarted = 0;
            int skipped = 0;
            for (MemberStatus m : order) {
                if (olderThan != null) {
                    Integer version = PgVersion.ofMember(api, m);
                    if (version == null) {
                        throw ExitException.failed(m.name() + " does not report its PostgreSQL version on its REST "
                                + "API, so --pg-version cannot be checked; stopping the rolling restart here");
                    }
                    if (version >= olderThan) {
                        out().println(m.name() + ": skipped (PostgreSQL " + PgVersion.format(version) + " is not older "
                                + "than " + pgVersion + ")");
                        skipped++;
                        continue;
                    }
                }
                String before = MemberWait.startTime(api, m);
                String onlyRole = selection.agentRole();
                AgentClient.Reply reply = api.call(m, "POST", "restart", REQUEST_TIMEOUT,
                        (c, base) -> c.restart(base, pending, onlyRole, REQUEST_TIMEOUT));
                switch (reply.status()) {
                    case 200, 202 -> {
                        out().println(m.name() + ": " + (reply.message().isEmpty() ? "restarted" : reply.message()));
                        if (!MemberWait.awaitRunning(api, m, before, false, Duration.ofSeconds(timeoutSeconds))) {
                            throw ExitException.failed(m.name() + " does not show state running " + timeoutSeconds
                                    + " s after its restart; stopping the rolling restart here");
                        }
                        restarted++;
                    }
                    case 412 -> {
                        out().println(m.name() + ": skipped (" + (reply.message().isEmpty()
                                ? "restart conditions are not satisfied" : reply.message()) + ")");
                        skipped++;
                    }
                    case 400 -> throw ExitException.badInput(m.name() + " rejected the restart request: " + reply.message());
                    case 503 -> throw ExitException.failed("restart of " + m.name() + " failed: "
                            + (reply.message().isEmpty() ? "HTTP 503" : reply.message())
                            + "; stopping the rolling restart here");
                    default -> throw ExitException.failed(AgentApi.unexpected(m, "POST", "restart", reply));
                }
            }
            out().println("Restarted " + restarted + " member(s)" + (skipped > 0 ? ", skipped " + skipped : "") + ".");
            return EXIT_OK;
        }
    }
}
