package dev.baton.agent.process;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A {@link ProcessRunner} that runs nothing: it records every call and answers from a script
 * (by default every program succeeds with no output).
 */
public final class FakeProcessRunner implements ProcessRunner {

    /** One recorded call. */
    public record Call(List<String> argv, Map<String, String> env, Path workDir, Duration timeout) {
        /** The program's file name, e.g. "pg_ctl". */
        public String program() {
            String p = argv.get(0);
            return p.substring(p.lastIndexOf('/') + 1);
        }
    }

    private final List<Call> calls = new ArrayList<>();
    private Function<Call, ProcessResult> script = c -> ok("");

    public static ProcessResult ok(String output) {
        return new ProcessResult(0, output, false);
    }

    public static ProcessResult failed(int exitCode, String output) {
        return new ProcessResult(exitCode, output, false);
    }

    public static ProcessResult timedOut(String output) {
        return new ProcessResult(-1, output, true);
    }

    /** Answers every later call with {@code answer}. */
    public FakeProcessRunner answer(Function<Call, ProcessResult> answer) {
        this.script = answer;
        return this;
    }

    /** Answers calls of {@code program} with {@code result}, others as before. */
    public FakeProcessRunner answer(String program, ProcessResult result) {
        Function<Call, ProcessResult> before = script;
        this.script = c -> c.program().equals(program) ? result : before.apply(c);
        return this;
    }

    @Override
    public synchronized ProcessResult run(List<String> argv, Map<String, String> env, Path workDir, Duration timeout) {
        Call c = new Call(List.copyOf(argv), Map.copyOf(env), workDir, timeout);
        calls.add(c);
        return script.apply(c);
    }

    public synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    /** The only call made; fails when there were none or several. */
    public synchronized Call only() {
        if (calls.size() != 1) {
            throw new AssertionError("expected one call, got " + calls);
        }
        return calls.get(0);
    }
}
