package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.agent.client.AgentClient;
import dev.baton.config.Untrusted;
import dev.baton.leader.model.ClusterView;
import dev.baton.leader.model.MemberStatus;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.function.LongSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "create", description = {"Take a backup of the cluster now and wait until it is complete.",
        "Sends POST /backup to the leader's agent (to a streaming replica's with --from-replica), then follows",
        "GET /backup: progress on a terminal (one updating line), a line every few seconds otherwise.",
        "Exit 0 when the backup succeeded (prints its label), 1 when it failed or was refused, 2 on bad input."})
public final class BackupCreateCommand extends BaseCommand {
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL_TIMEOUT = Duration.ofSeconds(5);
    /** How long the agent may stay silent before the command gives up following the backup. */
    static final Duration LOST_CONTACT = Duration.ofSeconds(60);

    @Mixin
    ClusterOptions cluster;

    @Mixin
    RestClientOptions rest;

    @Option(names = "--type", defaultValue = "full", paramLabel = "TYPE",
            description = "full (default), diff (changes since the last full) or incr (since the last backup).")
    String type;

    @Option(names = "--from-replica", description = "Take it on a streaming replica instead of the leader: the files "
            + "are read there, while the backup is started and stopped on the primary through its pgBackRest TLS "
            + "server (backup.server on every member, see docs/backup.md).")
    boolean fromReplica;

    @Option(names = {"-f", "--format"}, defaultValue = "text", paramLabel = "FORMAT",
            description = "text (default: the label) or json (the final status object).")
    String format;

    /** How often the command asks GET /backup. */
    Duration pollInterval = Duration.ofSeconds(1);
    /** How often the progress is logged when stdout is not a terminal. */
    Duration logInterval = Duration.ofSeconds(5);
    /** Whether progress goes to a terminal (one updating line); null: ask {@link System#console()}. */
    Boolean terminal;
    LongSupplier nanos = System::nanoTime;
    /** The last status object GET /backup answered (printed with --format json). */
    private JsonNode lastBody;

    @Override
    protected int execute() throws InterruptedException {
        String fmt = format(format, "text", "json");
        String t = type.strip().toLowerCase(Locale.ROOT);
        if (!t.equals("full") && !t.equals("diff") && !t.equals("incr")) {
            throw ExitException.badInput("--type: must be full, diff or incr, got \"" + Untrusted.shown(type, 40) + "\"");
        }
        try (ClusterSession s = cluster.connect(err())) {
            ClusterView view = s.view();
            AgentApi api = rest.api(cluster, err());
            MemberStatus m = fromReplica ? BackupTargets.replica(view, s.scope()) : BackupTargets.leader(view, s.scope());
            AgentClient.Reply r = api.call(m, "POST", "backup", REQUEST_TIMEOUT,
                    (c, base) -> c.startBackup(base, t, fromReplica, REQUEST_TIMEOUT));
            BackupRun started = accepted(m, r);
            progress().println("baton: " + t + " backup " + started.id() + " of cluster " + s.scope() + " started on "
                    + m.name());
            progress().flush();
            BackupRun done = follow(api, m, started.id());
            if (fmt.equals("json")) {
                ObjectNode n = lastBody != null && lastBody.isObject() ? ((ObjectNode) lastBody).deepCopy()
                        : Formats.JSON.createObjectNode();
                n.put("member", m.name());
                out().println(Formats.json(n));
            }
            if (done.failed()) {
                throw ExitException.failed("backup " + done.id() + " failed on " + m.name() + ": "
                        + (done.error() == null ? "(no error given)" : Untrusted.shown(done.error(), 2000)));
            }
            if (fmt.equals("text")) {
                out().println(done.label() == null ? "backup " + done.id() + " succeeded" : done.label());
            }
            out().flush();
            return EXIT_OK;
        }
    }

    /** The run the agent accepted, or exit 1/2 saying why it refused. */
    private BackupRun accepted(MemberStatus m, AgentClient.Reply r) {
        String said = r.message().isEmpty() ? "HTTP " + r.status() : Untrusted.shown(r.message(), 500);
        switch (r.status()) {
            case 200, 202 -> {
                return BackupRun.parse(r.json()).orElseThrow(() -> ExitException.failed(m.name()
                        + " accepted the backup but answered no status object: " + Untrusted.shown(r.body(), 200)));
            }
            case 404 -> throw ExitException.failed(BackupTargets.NO_REPOSITORY + " on " + m.name());
            case 409 -> {
                Optional<BackupRun> running = BackupRun.parse(r.json());
                throw ExitException.failed("a backup is already running on " + m.name()
                        + running.map(b -> " (backup " + b.id() + (b.type() == null ? "" : ", " + b.type())
                        + (b.started() == null ? "" : ", started " + b.started()) + ")").orElse("")
                        + ": wait for it to finish (baton backup list shows the finished ones)");
            }
            case 400 -> throw ExitException.badInput(m.name() + " rejected the backup request: " + said);
            case 501, 503 -> throw ExitException.failed(m.name() + " refused the backup: " + said);
            default -> throw ExitException.failed(AgentApi.unexpected(m, "POST", "backup", r));
        }
    }

    /** Polls GET /backup until run {@code id} has finished; shows its progress meanwhile. */
    private BackupRun follow(AgentApi api, MemberStatus m, long id) throws InterruptedException {
        boolean tty = terminal != null ? terminal : System.console() != null;
        dev.baton.agent.backup.ProgressText.Meter meter = new dev.baton.agent.backup.ProgressText.Meter();
        long lastAnswer = nanos.getAsLong();
        long lastLog = lastAnswer;
        String lastProblem = null;
        int shown = 0;
        while (true) {
            Optional<AgentClient.Reply> reply;
            try {
                reply = api.callUnlessDown(m, "GET", "backup", POLL_TIMEOUT, (c, base) -> c.backupStatus(base, POLL_TIMEOUT));
            } catch (ExitException e) {
                reply = Optional.empty();
                lastProblem = e.getMessage();
            }
            long now = nanos.getAsLong();
            Optional<BackupRun> run = reply.filter(r -> r.status() == 200).flatMap(r -> BackupRun.parse(r.json()));
            if (run.isPresent()) {
                BackupRun b = run.get();
                lastAnswer = now;
                lastBody = reply.get().json();
                if (b.id() != id) {
                    endLine(tty, shown);
                    throw ExitException.failed(m.name() + " now reports backup run " + b.id() + ", not " + id
                            + " (did its agent restart?): the outcome of backup " + id + " is unknown; see baton backup list");
                }
                if (!b.running()) {
                    endLine(tty, shown);
                    return b;
                }
                String line = meter.sample(now, b.doneBytes(), b.totalBytes());
                if (tty) {
                    String text = "\r" + line;
                    progress().print(text + " ".repeat(Math.max(0, shown - line.length())));
                    progress().flush();
                    shown = line.length();
                } else if (now - lastLog >= logInterval.toNanos()) {
                    lastLog = now;
                    progress().println("baton: backup " + id + " on " + m.name() + ": " + line);
                    progress().flush();
                }
            } else {
                if (reply.isPresent()) {
                    lastProblem = AgentApi.unexpected(m, "GET", "backup", reply.get());
                } else if (lastProblem == null) {
                    lastProblem = "nothing answers at " + AgentApi.base(m);
                }
                if (now - lastAnswer >= LOST_CONTACT.toNanos()) {
                    endLine(tty, shown);
                    throw ExitException.failed("lost contact with " + m.name() + " for " + LOST_CONTACT.toSeconds()
                            + " s while backup " + id + " ran (" + lastProblem + "); it may still finish: see baton "
                            + "backup list");
                }
            }
            Thread.sleep(pollInterval.toMillis());
        }
    }

    private void endLine(boolean tty, int shown) {
        if (tty && shown > 0) {
            progress().println();
            progress().flush();
        }
    }

    /** Progress goes to stderr, so that stdout carries only the result (the label, or the JSON). */
    private java.io.PrintWriter progress() {
        return err();
    }
}
