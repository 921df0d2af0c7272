package dev.baton.agent.ha;

import dev.baton.agent.postgres.DataDirInfo;
import dev.baton.agent.postgres.FenceResult;
import dev.baton.agent.postgres.Lsn;
import dev.baton.agent.postgres.PgStatus;
import dev.baton.agent.postgres.PostgresController;
import dev.baton.agent.postgres.PostgresException;
import dev.baton.config.DynamicConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A PostgreSQL instance in memory for cycle tests of the HA loop: a data directory (absent or
 * initialized, with a system identifier, a timeline and a WAL position), a postmaster that runs or
 * not, primary or standby, and every call recorded in {@link #calls} as a short sentence
 * ("start", "stop IMMEDIATE", "configure replica of 10.0.0.1:5432", ...). Failures are injected
 * with {@link #failOn}.
 */
final class FakePostgres implements PostgresController {
    final List<String> calls = new ArrayList<>();
    private final Set<String> failing = new HashSet<>();
    private final Map<Integer, String> historyFiles = new HashMap<>();

    DataDirInfo.Kind kind = DataDirInfo.Kind.ABSENT;
    String systemId;
    String cloneSystemId;
    boolean postmaster;
    boolean accepting = true;
    boolean standbySignal;
    boolean cleanShutdown = true;
    int timeline = 1;
    long wal = 0x3000000L;
    String upstream;
    String syncNames;
    boolean pendingRestart;
    Set<String> slots = new TreeSet<>();
    /** Logical slots by name (database, plugin). */
    java.util.Map<String, dev.baton.agent.postgres.ReplicationSlot> logicalSlots = new java.util.TreeMap<>();
    List<PgStatus.Replica> replication = new ArrayList<>();
    RewindCheck rewindCheck = new RewindCheck(false, 0, 0, "no rewind required");
    /** What fencing an old primary over SQL does (default: unreachable at once); sees host:port and the budget. */
    java.util.function.BiFunction<String, Duration, FenceResult> sqlFence =
            (target, budget) -> FenceResult.of(FenceResult.Outcome.UNREACHABLE, "no route to host");
    /** Every SQL fence, as "host:port budget_ms". */
    final List<String> fences = new ArrayList<>();
    /** This data directory carries a fence another member put on it; {@link #configure} removes it. */
    boolean fencedMark;
    int fenceGrants;
    /** While below it, each status() moves the WAL position {@link #receiveStep} towards {@link #receiveTarget}. */
    long receiveTarget;
    long receiveStep;
    /** A restored server: while above 0, each status() says "in recovery"; at 0 it has promoted (a new timeline). */
    /** What {@link #authenticationFailure()} says (a restored database refusing the superuser), or null. */
    String authenticationFailure;

    @Override
    public String authenticationFailure() {
        return authenticationFailure;
    }

    int recoveryPolls;

    FakePostgres(String cloneSystemId) {
        this.cloneSystemId = cloneSystemId;
    }

    /** An initialized data directory of {@code sysid}, stopped; a standby's if {@code standby}. */
    FakePostgres withData(String sysid, boolean standby) {
        kind = DataDirInfo.Kind.INITIALIZED;
        systemId = sysid;
        standbySignal = standby;
        return this;
    }

    /** postgres runs on it (as a primary, or a standby streaming from {@code upstream}). */
    FakePostgres running(String streamingFrom) {
        postmaster = true;
        upstream = streamingFrom;
        return this;
    }

    /** The next calls named {@code what} ("start", "promote", "rewind", "basebackup", ...) fail. */
    FakePostgres failOn(String what) {
        failing.add(what);
        return this;
    }

    FakePostgres succeedOn(String what) {
        failing.remove(what);
        return this;
    }

    /** The postmaster dies (a crash, a kill -9): the data directory stays as it was. */
    void crash() {
        postmaster = false;
        cleanShutdown = false;
    }

    boolean isPrimary() {
        return postmaster && accepting && !standbySignal;
    }

    private void call(String what, String detail) {
        calls.add(detail == null ? what : what + " " + detail);
        if (failing.contains(what)) {
            throw new PostgresException(what + " failed (injected)");
        }
    }

    /** The calls since the last look, cleared. */
    List<String> takeCalls() {
        List<String> out = List.copyOf(calls);
        calls.clear();
        return out;
    }

    @Override
    public DataDirInfo inspectDataDir() {
        if (kind != DataDirInfo.Kind.INITIALIZED) {
            return DataDirInfo.of(kind);
        }
        String state = postmaster ? (standbySignal ? "in archive recovery" : "in production")
                : cleanShutdown ? (standbySignal ? "shut down in recovery" : "shut down") : "in production";
        return new DataDirInfo(kind, systemId, state, timeline, wal, standbySignal, null);
    }

    @Override
    public boolean isRunning() {
        return postmaster;
    }

    /** Runs at the start of every {@link #status()} (a test looks at the loop's state then). */
    Runnable beforeStatus = () -> { };

    @Override
    public PgStatus status() {
        beforeStatus.run();
        if (!postmaster || !accepting) {
            return PgStatus.stopped();
        }
        if (receiveStep > 0 && wal < receiveTarget) {
            wal = Math.min(receiveTarget, wal + receiveStep);
        }
        boolean recovering = false;
        if (recoveryPolls > 0) {
            recovering = --recoveryPolls > 0;
            if (!recovering) {
                timeline++;
            }
        }
        boolean replica = standbySignal || recovering;
        String host = replica && upstream != null ? upstream.substring(0, upstream.lastIndexOf(':')) : null;
        int port = replica && upstream != null ? Integer.parseInt(upstream.substring(upstream.lastIndexOf(':') + 1)) : 0;
        return new PgStatus(true, replica, timeline, replica ? 0 : wal, replica ? wal : 0, replica ? wal : 0, null,
                false, replica && upstream != null, host, port, "2026-12-01T00:00:00+00:00", 150000,
                replica ? List.of() : replication, pendingRestart);
    }

    @Override
    public void initdb() {
        call("initdb", null);
        kind = DataDirInfo.Kind.INITIALIZED;
        systemId = cloneSystemId;
        standbySignal = false;
    }

    /** A custom bootstrap's command made a data directory; with {@link #recoveryPolls} it recovers first. */
    @Override
    public void customBootstrap(DynamicConfig dynamic) {
        call("custom bootstrap", null);
        kind = DataDirInfo.Kind.INITIALIZED;
        systemId = cloneSystemId;
        standbySignal = false;
    }

    @Override
    public void finishCustomBootstrap() {
        call("finish custom bootstrap", null);
    }

    @Override
    public void runPostBootstrap() {
        call("post_bootstrap", null);
    }

    @Override
    public void createBootstrapUsers() {
        call("bootstrap users", null);
    }

    @Override
    public void basebackup(String host, int port) {
        call("basebackup", host + ":" + port);
        kind = DataDirInfo.Kind.INITIALIZED;
        systemId = cloneSystemId;
    }

    @Override
    public void createReplicaByCommand(dev.baton.config.PostgresConfig.ReplicaMethod method, String host, int port) {
        call("replica method " + method.name(), host == null ? "without a leader" : host + ":" + port);
        kind = DataDirInfo.Kind.INITIALIZED;
        systemId = cloneSystemId;
    }

    @Override
    public void configure(boolean replica, Upstream up, DynamicConfig dynamic) {
        String target = up == null ? null : up.host() + ":" + up.port();
        call("configure", replica ? "replica of " + target : "primary");
        fencedMark = false;
        standbySignal = replica;
        upstream = target;
    }

    @Override
    public String configuredUpstream() {
        return upstream;
    }

    /** Slot positions by name, for {@link #slotPositions}: these, then the other slots at 0. */
    java.util.Map<String, dev.baton.agent.postgres.SlotPosition> positions = new java.util.TreeMap<>();
    /** What {@link #oldestWalLsn} answers (0: unknown). */
    public volatile long oldestWal;

    @Override
    public long oldestWalLsn() {
        return oldestWal;
    }

    /** State files the "primary" has, by slot name ({@link #readSlotState}). */
    java.util.Map<String, byte[]> primarySlotStates = new java.util.TreeMap<>();
    /** What advanceSlot throws (null: it moves the position). */
    PostgresException advanceFailure;

    @Override
    public List<dev.baton.agent.postgres.SlotPosition> slotPositions() {
        java.util.Map<String, dev.baton.agent.postgres.SlotPosition> all = new java.util.TreeMap<>();
        replicationSlots().forEach(r -> all.put(r.name(), new dev.baton.agent.postgres.SlotPosition(r, 0, false)));
        all.putAll(positions);
        return new ArrayList<>(all.values());
    }

    @Override
    public void advanceSlot(String name, String database, long lsn) {
        call("advanceSlot", name + " " + database + " " + lsn);
        if (advanceFailure != null) {
            throw advanceFailure;
        }
        var p = positions.get(name);
        if (p != null) {
            positions.put(name, new dev.baton.agent.postgres.SlotPosition(p.slot(), lsn, p.active()));
        }
    }

    @Override
    public byte[] readSlotState(String host, int port, String name) {
        call("readSlotState", host + ":" + port + " " + name);
        byte[] b = primarySlotStates.get(name);
        if (b == null) {
            throw new PostgresException("no state file for slot " + name, null);
        }
        return b;
    }

    @Override
    public void installSlotState(String name, byte[] state) {
        call("installSlotState", name);
    }

    @Override
    public void start(Duration timeout) {
        call("start", null);
        postmaster = true;
        cleanShutdown = true;
    }

    @Override
    public void stop(StopMode mode, Duration timeout) {
        call("stop", mode.name());
        if (postmaster) {
            postmaster = false;
            cleanShutdown = true;
        }
    }

    @Override
    public void promote(Duration timeout) {
        call("promote", null);
        historyFiles.put(timeline + 1, timeline + "\t" + Lsn.format(wal) + "\tno recovery target specified\n");
        timeline++;
        standbySignal = false;
    }

    @Override
    public void reload() {
        call("reload", null);
    }

    /** postgresql.pre_promote: null none; else what it returns (null: exit 0, else why it failed). */
    String prePromote;
    boolean prePromoteConfigured;
    /** postgresql.before_stop is configured. */
    boolean beforeStopConfigured;

    @Override
    public boolean hasPrePromote() {
        return prePromoteConfigured;
    }

    @Override
    public String prePromote() {
        if (!prePromoteConfigured) {
            return null;
        }
        call("pre_promote", null);
        return prePromote;
    }

    @Override
    public void beforeStop() {
        if (beforeStopConfigured && postmaster) {
            call("before_stop", null);
        }
    }

    @Override
    public void checkpoint() {
        call("checkpoint", null);
    }

    @Override
    public void setSynchronousStandbyNames(String value) {
        call("synchronous_standby_names", value == null ? "reset" : "'" + value + "'");
        syncNames = value;
    }

    @Override
    public void ensureReplicationRole() {
        call("ensure replication role", null);
    }

    @Override
    public Set<String> physicalSlots() {
        return Set.copyOf(slots);
    }

    @Override
    public void createPhysicalSlot(String name) {
        call("create slot", name);
        slots.add(name);
    }

    @Override
    public void dropPhysicalSlot(String name) {
        call("drop slot", name);
        slots.remove(name);
    }

    @Override
    public List<dev.baton.agent.postgres.ReplicationSlot> replicationSlots() {
        List<dev.baton.agent.postgres.ReplicationSlot> all = new java.util.ArrayList<>();
        slots.forEach(n -> all.add(dev.baton.agent.postgres.ReplicationSlot.physical(n)));
        all.addAll(logicalSlots.values());
        return all;
    }

    @Override
    public void createLogicalSlot(String name, String database, String plugin) {
        call("create logical slot", name + " " + database + " " + plugin);
        logicalSlots.put(name, dev.baton.agent.postgres.ReplicationSlot.logical(name, database, plugin));
    }

    @Override
    public RewindCheck checkRewind(String host, int port) {
        call("check rewind", host + ":" + port);
        return rewindCheck;
    }

    @Override
    public long localWalEnd() {
        return wal;
    }

    @Override
    public Path keepWal(int tl, long fromLsn) {
        call("keep wal", tl + " " + Lsn.format(fromLsn));
        return Path.of("data.diverged");
    }

    @Override
    public void rewind(String host, int port) {
        call("rewind", host + ":" + port);
        cleanShutdown = true;
    }

    @Override
    public String timelineHistory(int tl) {
        return historyFiles.get(tl);
    }

    @Override
    public void removeDataDirectory() {
        call("remove data directory", null);
        kind = DataDirInfo.Kind.ABSENT;
        systemId = null;
        standbySignal = false;
    }

    @Override
    public FenceResult fencePrimary(String host, int port, Duration budget) {
        String target = host + ":" + port;
        fences.add(target + " " + budget.toMillis());
        return sqlFence.apply(target, budget);
    }

    @Override
    public boolean fenced() {
        return fencedMark;
    }

    @Override
    public void ensureFenceGrants() {
        fenceGrants++;
    }

    @Override
    public void close() {
    }
}
