package dev.baton.cli.drill;

import dev.baton.leader.model.HistoryEntry;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.leader.model.ClusterView;
import dev.baton.cli.local.Writer;
import java.util.List;
import java.util.Optional;

/**
 * The cluster a drill runs against: a local one it started itself ({@link LocalTarget}), where it
 * can inject every fault, or an existing one ({@link RemoteTarget}), where it can only ask for a
 * switchover over REST.
 */
public interface DrillTarget extends AutoCloseable {

    /** One line for the report, with its article: "a local cluster (3 members, ttl 10 s, ...)". */
    String describe();

    /** The same as JSON, for the report file. */
    ObjectNode describeJson();

    /**
     * The cluster runs with synchronous_mode: an acknowledged write is on a synchronous standby,
     * and only that standby may be promoted, so no failover may lose one.
     */
    boolean synchronousMode();

    /** The member names, in a stable order. */
    List<String> members();

    /** The REST base of a member, e.g. {@code http://127.0.0.1:8008} (without /patroni). */
    String restBase(String member);

    /** The load-balanced endpoint the writers use (JDBC URL). */
    String lbJdbcUrl();

    String user();

    String password();

    /** A JDBC URL to the member's own postgres, in the writers' database (to count lost writes). */
    String memberJdbcUrl(String member);

    /** The member that acknowledged a write (its name, or address:port when it is not known). */
    String serverName(Writer.Ack ack);

    /** The holder of the leader key (empty if none), or null if etcd could not be read. */
    Optional<String> leaderKey();

    /** The history key's lines (empty if they cannot be read). */
    List<HistoryEntry> history();

    /** True while the drill keeps etcd stopped: reading it would only time out. */
    boolean etcdDown();

    /** True while the member's agent is stopped (SIGSTOP): its REST API would only time out. */
    boolean paused(String member);

    /** True when this fault can be injected here. */
    boolean canInject(Fault fault);

    /** How the fault is injected into {@code member}, for the report (e.g. the partition method). */
    String method(Fault fault, String member, int durationSeconds);

    /** Injects a local fault into the primary {@code member} (not a switchover: the runner asks for that over REST). */
    void inject(Fault fault, String member) throws Exception;

    /** Undoes the fault: restarts, SIGCONT, heals the proxy, starts etcd. */
    void heal(Fault fault, String member) throws Exception;

    /** Undoes whatever an interrupted iteration may have left (before each iteration). */
    void prepare() throws Exception;

    /** Keep the cluster's files after a failure (local clusters). */
    void keepFiles();

    /** Where the cluster's files and logs are, or null. */
    String filesHint();

    @Override
    void close();
}
