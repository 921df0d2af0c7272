package dev.baton.aws.routing;

import dev.baton.aws.emulator.Gate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An in-memory target group with fault injection, for testing the router without HTTP. Calls
 * can be held at its {@link Gate}, so that a test knows a call is in flight while it changes the
 * desired state, without guessing how long a call takes.
 */
final class FakeLoadBalancer implements TargetSet {
    /** One call: operation and target ids. */
    record Call(String operation, List<String> ids) {
    }

    private final Map<String, Target> targets = new LinkedHashMap<>();
    private final Map<String, Deque<RoutingCallException>> failures = new HashMap<>();
    private final List<Call> calls = new ArrayList<>();
    private final Gate gate = new Gate();

    synchronized void put(String id, Target.State state) {
        targets.put(id, new Target(id, 5432, state, ""));
    }

    /** Fails the next {@code times} calls of {@code operation} ("describe", "register", "deregister"). */
    synchronized void fail(String operation, int times, RoutingCallException.Kind kind) {
        Deque<RoutingCallException> q = failures.computeIfAbsent(operation, k -> new ArrayDeque<>());
        for (int i = 0; i < times; i++) {
            q.add(new RoutingCallException(kind, operation, kind == RoutingCallException.Kind.THROTTLED ? "Throttling"
                    : "InternalFailure", "injected", null));
        }
    }

    /** Where calls of "describe", "register" and "deregister" can be held. */
    Gate gate() {
        return gate;
    }

    synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    synchronized List<Call> calls(String operation) {
        return calls.stream().filter(c -> c.operation().equals(operation)).toList();
    }

    /** Registered (not draining) target ids. */
    synchronized List<String> registered() {
        return targets.values().stream().filter(Target::registered).map(Target::id).sorted().toList();
    }

    synchronized Target.State state(String id) {
        Target t = targets.get(id);
        return t == null ? null : t.state();
    }

    private void enter(String operation, List<String> ids) throws RoutingCallException {
        synchronized (this) {
            calls.add(new Call(operation, ids));
        }
        try {
            gate.pass(operation);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RoutingCallException(RoutingCallException.Kind.NETWORK, operation, "", "interrupted", e);
        }
        RoutingCallException fail;
        synchronized (this) {
            Deque<RoutingCallException> q = failures.get(operation);
            fail = q == null ? null : q.poll();
        }
        if (fail != null) {
            throw fail;
        }
    }

    @Override
    public String name() {
        return "target group fake";
    }

    @Override
    public List<Target> describe() throws RoutingCallException {
        enter("describe", List.of());
        synchronized (this) {
            return List.copyOf(targets.values());
        }
    }

    @Override
    public void register(String id, int port) throws RoutingCallException {
        enter("register", List.of(id));
        synchronized (this) {
            Target t = targets.get(id);
            if (t == null || !t.registered()) {
                targets.put(id, new Target(id, port, Target.State.INITIAL, ""));
            }
        }
    }

    @Override
    public void deregister(List<Target> list) throws RoutingCallException {
        enter("deregister", list.stream().map(Target::id).toList());
        synchronized (this) {
            for (Target t : list) {
                targets.computeIfPresent(t.id(), (k, v) -> new Target(k, v.port(), Target.State.DRAINING, ""));
            }
        }
    }
}
