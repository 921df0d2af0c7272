package dev.baton.cli.drill;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.agent.client.AgentClient;
import dev.baton.agent.postgres.DataDirectories;
import dev.baton.cli.local.LocalCluster;
import dev.baton.cli.local.Writer;
import dev.baton.cli.support.Poll;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * {@code baton drill --fault lose-cluster}: the whole cluster is lost and restored from its backup
 * repository. Per iteration, with writers going through HAProxy: a full backup over the REST API
 * ({@code POST /backup} to the primary, followed on {@code GET /backup}), {@code --duration} more
 * seconds of writes, then every agent and postgres SIGKILLed at once and every data directory
 * wiped; a new cluster (scope {@code <scope>-r<i>}, the same repository, {@code bootstrap.method:
 * restore}, target latest) is started. Measured: the restore time (from the wipe to a primary that
 * accepts a write) and the acknowledged writes missing from it (the RPO reached, which
 * {@code archive_timeout} bounds). The next iteration loses the restored cluster in turn.
 */
public final class LoseCluster {
    public static final int DEFAULT_WRITE_SECONDS = 30;
    public static final int DEFAULT_ARCHIVE_TIMEOUT = 10;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration REST = Duration.ofSeconds(10);

    /**
     * One iteration's figures.
     *
     * @param backupS        how long the full backup took (s), null if it failed
     * @param wipedAt        when every node was killed (wall clock), null if it never got there
     * @param restoreS       from the kill and wipe to a primary of the new cluster that accepts a write (s)
     * @param acknowledged   writes acknowledged before the wipe
     * @param lost           of them, the ones missing in the restored cluster
     * @param lostIds        up to 100 of their ids
     * @param lostWindowS    from the first lost write's acknowledgement to the wipe (s): the RPO reached; 0 if none lost
     * @param problem        why the iteration failed (the backup, the restore), null if it did not
     */
    public record Result(int iteration, int iterations, String scope, String restoredScope, String backupLabel,
                         Double backupS, Instant wipedAt, Double restoreS, int acknowledged, int lost,
                         List<Long> lostIds, Double lostWindowS, String problem) {

        public ObjectNode json() {
            ObjectNode n = JSON.createObjectNode();
            n.put("fault", Fault.LOSE_CLUSTER.flag());
            n.put("iteration", iteration);
            n.put("scope", scope);
            n.put("restored_scope", restoredScope);
            n.put("backup_label", backupLabel);
            putNumber(n, "backup_s", backupS);
            n.put("wiped_at", wipedAt == null ? null : wipedAt.toString());
            putNumber(n, "restore_s", restoreS);
            n.put("acknowledged_writes", acknowledged);
            n.put("lost_writes", lost);
            ArrayNode ids = n.putArray("lost_ids");
            lostIds.forEach(ids::add);
            putNumber(n, "rpo_s", lostWindowS);
            n.put("problem", problem);
            return n;
        }

        /** The progress line that ends the iteration. */
        public String summary() {
            StringBuilder sb = new StringBuilder(problem == null ? "done: " : "FAILED: ");
            sb.append("backup ").append(backupLabel == null ? "n/a" : backupLabel).append(" in ").append(secs(backupS))
                    .append(", restore ").append(secs(restoreS)).append(" (wipe to a writable primary of ")
                    .append(restoredScope).append("), lost ").append(lost).append(" of ").append(acknowledged)
                    .append(" acknowledged writes");
            if (lost > 0) {
                sb.append(" (the last ").append(secs(lostWindowS)).append(" before the wipe)");
            }
            if (problem != null) {
                sb.append("; ").append(problem);
            }
            return sb.toString();
        }

        public String tag() {
            return Fault.LOSE_CLUSTER + " " + iteration + "/" + iterations;
        }
    }

    private static void putNumber(ObjectNode n, String field, Double v) {
        if (v == null) {
            n.putNull(field);
        } else {
            n.put(field, Math.round(v * 1000) / 1000.0);
        }
    }

    static String secs(Double s) {
        return s == null ? "n/a" : String.format(Locale.ROOT, "%.2f s", s);
    }

    /** How the fault is done, for the report. */
    public static String method(int writeSeconds) {
        return "full backup over REST (POST /backup to the primary), " + writeSeconds + " s more writes, then SIGKILL of "
                + "every agent and postgres and every data directory wiped; a new cluster (another scope, the same "
                + "repository) restored to the latest archived WAL";
    }

    private final Path base;
    private final int writers;
    private final int writeSeconds;
    private final Duration timeout;
    private final DrillRunner.Listener say;
    private final AgentClient agents = new AgentClient(Duration.ofSeconds(2));
    private final Poll poll = Poll.system();
    private final boolean keep;
    private LocalCluster current;

    /**
     * @param base         where the restored clusters' directories go (beside the repository)
     * @param writers      writer threads through HAProxy
     * @param writeSeconds seconds of writes between the backup and the wipe
     * @param timeout      how long a backup, and a restore, may take
     * @param keep         keep every cluster's files
     */
    public LoseCluster(Path base, int writers, int writeSeconds, Duration timeout, boolean keep,
                       DrillRunner.Listener say) {
        this.base = base;
        this.writers = writers;
        this.writeSeconds = writeSeconds;
        this.timeout = timeout;
        this.keep = keep;
        this.say = say;
    }

    /** The cluster options of the first cluster: {@code options} with a posix repository in {@code base}. */
    public static LocalCluster.Options withRepository(LocalCluster.Options options, Path base, int archiveTimeout) {
        return options.withBackup(base.resolve("repository"), archiveTimeout);
    }

    /**
     * Runs {@code iterations}, the first against {@code first} (healthy, with a repository outside
     * its directory: {@link #withRepository}), each next one against the cluster the previous one
     * restored. Takes over {@code first}: every cluster is closed by the end (also on failure).
     * Stops after an iteration that failed.
     */
    public List<Result> run(LocalCluster first, int iterations, Consumer<Result> done) throws InterruptedException {
        current = first;
        List<Result> results = new ArrayList<>();
        try {
            for (int i = 1; i <= iterations; i++) {
                Result r = iteration(i, iterations);
                results.add(r);
                done.accept(r);
                say.say("[" + r.tag() + "] " + r.summary());
                if (r.problem() != null) {
                    break;
                }
            }
        } finally {
            close();
        }
        return results;
    }

    /** Closes the cluster in hand (the last one restored). */
    public void close() {
        LocalCluster c = current;
        current = null;
        if (c != null) {
            if (keep) {
                c.keepFiles();
            }
            c.close();
        }
    }

    /** The cluster in hand (its files, for a hint after a failure), or null. */
    public LocalCluster current() {
        return current;
    }

    private Result iteration(int i, int n) throws InterruptedException {
        LocalCluster c = current;
        String tag = "[" + Fault.LOSE_CLUSTER + " " + i + "/" + n + "] ";
        String scope = c.scope();
        String restoredScope = baseScope(scope) + "-r" + i;
        Writer writer = new Writer(lbUrl(c), "postgres", c.superuserPassword(), writers);
        String label = null;
        Double backupS = null;
        try {
            say.say(tag + "writers through HAProxy on cluster " + scope);
            writer.start();
            if (!poll.until(Duration.ofSeconds(60), Duration.ofMillis(200), () -> !writer.acks().isEmpty())) {
                return failed(i, n, scope, restoredScope, null, null, "no write was acknowledged within 60 s: "
                        + writer.lastError());
            }
            Optional<LocalCluster.Node> primary = c.primary();
            if (primary.isEmpty()) {
                return failed(i, n, scope, restoredScope, null, null, "cluster " + scope + " has no primary");
            }
            say.say(tag + "full backup on " + primary.get().name() + " (POST /backup)");
            long b0 = System.nanoTime();
            String[] outcome = backup(primary.get().restBase());
            if (outcome[1] != null) {
                return failed(i, n, scope, restoredScope, null, null, "the backup failed: " + outcome[1]);
            }
            label = outcome[0];
            backupS = (System.nanoTime() - b0) / 1e9;
            say.say(tag + "backup " + label + " in " + secs(backupS) + "; " + writeSeconds + " s more writes");
            Thread.sleep(writeSeconds * 1000L);

            int ackedBefore = writer.acks().size();
            say.say(tag + "losing cluster " + scope + ": SIGKILL of every agent and postgres, every data directory "
                    + "wiped (" + ackedBefore + " writes acknowledged so far)");
            Instant wipedAt = Instant.now();
            long wipe = System.nanoTime();
            kill(c);
            writer.stop();
            List<Writer.Ack> acks = writer.acks();
            for (LocalCluster.Node node : c.nodes()) {
                DataDirectories.deleteTreeQuietly(node.dataDir());
            }
            if (keep) {
                c.keepFiles();
            }
            c.close();
            current = null;

            say.say(tag + "restoring a new cluster " + restoredScope + " from the repository (target latest)");
            LocalCluster.Options o = c.options().withScope(restoredScope)
                    .withRestore(LocalCluster.Restore.latest(scope));
            LocalCluster r;
            try {
                r = LocalCluster.startRestored(base.resolve(restoredScope), o, c);
            } catch (IOException | RuntimeException e) {
                return new Result(i, n, scope, restoredScope, label, backupS, wipedAt, null, acks.size(), 0, List.of(),
                        null, "the restored cluster did not start: " + e.getMessage());
            }
            current = r;
            Optional<LocalCluster.Node> writable = poll.until(timeout, Duration.ofMillis(200),
                    () -> r.primary().filter(p -> acceptsWrite(r, p)), Optional::isPresent);
            if (writable == null || writable.isEmpty()) {
                r.keepFiles();
                return new Result(i, n, scope, restoredScope, label, backupS, wipedAt, null, acks.size(), 0, List.of(),
                        null, "no writable primary in " + restoredScope + " within " + timeout.toSeconds()
                        + " s; files kept in " + r.dir());
            }
            double restoreS = (System.nanoTime() - wipe) / 1e9;
            Set<Long> missing;
            try {
                missing = writer.missingOn(writable.get().jdbcUrl(), "postgres", r.superuserPassword(), acks);
            } catch (SQLException e) {
                return new Result(i, n, scope, restoredScope, label, backupS, wipedAt, restoreS, acks.size(), 0,
                        List.of(), null, "cannot count the lost writes: " + e.getMessage());
            }
            long firstLost = Long.MAX_VALUE;
            for (Writer.Ack a : acks) {
                if (missing.contains(a.id())) {
                    firstLost = Math.min(firstLost, a.nanos());
                }
            }
            Double window = missing.isEmpty() ? 0.0 : Math.max(0, wipe - firstLost) / 1e9;
            List<Long> shown = new ArrayList<>(new TreeSet<>(missing)).subList(0, Math.min(100, missing.size()));
            String problem = null;
            if (i < n && !LocalCluster.await(timeout, () -> r.healthy(r.nodes().size() - 1))) {
                problem = "the restored cluster " + restoredScope + " did not become whole (every replica streaming) "
                        + "within " + timeout.toSeconds() + " s";
            }
            return new Result(i, n, scope, restoredScope, label, backupS, wipedAt, restoreS, acks.size(), missing.size(),
                    List.copyOf(shown), window, problem);
        } finally {
            writer.stop();
        }
    }

    private static Result failed(int i, int n, String scope, String restoredScope, String label, Double backupS,
                                 String problem) {
        return new Result(i, n, scope, restoredScope, label, backupS, null, null, 0, 0, List.of(), null, problem);
    }

    /** {@code demo-r2} -> {@code demo}: each restored cluster is named after the first. */
    static String baseScope(String scope) {
        return scope.replaceFirst("-r\\d+$", "");
    }

    private static String lbUrl(LocalCluster c) {
        return "jdbc:postgresql://127.0.0.1:" + c.haproxyPort() + "/postgres";
    }

    /** Every agent and postgres at once, in parallel (a machine room losing power, then its disks). */
    private static void kill(LocalCluster c) throws InterruptedException {
        List<Thread> killers = new ArrayList<>();
        for (LocalCluster.Node node : c.nodes()) {
            Thread t = new Thread(() -> {
                try {
                    node.kill();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "drill-kill-" + node.name());
            t.start();
            killers.add(t);
        }
        for (Thread t : killers) {
            t.join(30_000);
        }
    }

    /** A write (in a transaction rolled back) succeeds on {@code p}: it is a primary that accepts writes. */
    private static boolean acceptsWrite(LocalCluster c, LocalCluster.Node p) {
        Properties props = new Properties();
        props.setProperty("user", "postgres");
        props.setProperty("password", c.superuserPassword());
        props.setProperty("connectTimeout", "2");
        props.setProperty("socketTimeout", "5");
        try (Connection conn = DriverManager.getConnection(p.jdbcUrl(), props); Statement st = conn.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT NOT pg_is_in_recovery()")) {
                if (!rs.next() || !rs.getBoolean(1)) {
                    return false;
                }
            }
            st.execute("CREATE TEMP TABLE baton_drill_probe (x int); INSERT INTO baton_drill_probe VALUES (1)");
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    /** Starts a full backup on {@code base} and waits for it: {label, null} or {null, error}. */
    private String[] backup(String base) throws InterruptedException {
        try {
            AgentClient.Reply r = agents.startBackup(base, "full", false, REST);
            if (r.status() != 202 && r.status() != 200) {
                return new String[] {null, "POST /backup answered " + r.status() + ": " + r.message()};
            }
            long id = r.json().path("id").asLong(-1);
            String[] out = new String[2];
            boolean finished = poll.until(timeout, Duration.ofSeconds(1), () -> {
                try {
                    AgentClient.Reply s = agents.backupStatus(base, REST);
                    if (s.status() != 200 || s.json().path("id").asLong(-2) != id) {
                        return false;
                    }
                    String state = s.json().path("state").asText();
                    if (state.equals("succeeded")) {
                        out[0] = s.json().path("label").asText(null);
                        return true;
                    }
                    if (state.equals("failed")) {
                        out[1] = s.json().path("error").asText("(no error given)");
                        return true;
                    }
                    return false;
                } catch (IOException e) {
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return true;
                }
            });
            if (!finished) {
                return new String[] {null, "not finished within " + timeout.toSeconds() + " s"};
            }
            return out;
        } catch (IOException e) {
            return new String[] {null, "POST /backup: " + e.getMessage()};
        }
    }
}
