package dev.baton.agent.callbacks;

import dev.baton.agent.process.ProcessRunner.ProcessResult;
import dev.baton.agent.process.ProcessRunner;
import dev.baton.config.Callbacks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs the user's {@code postgresql.callbacks} commands, Patroni style.
 *
 * <p>A callback is invoked as {@code <command...> <action> <role> <scope>}, for example {@code
 * /usr/local/bin/cb.sh on_role_change primary demo}. The role is {@code "primary"} or {@code
 * "replica"}: Patroni 3 passed {@code "master"} for a primary, Baton passes {@code "primary"} as
 * Patroni 4 does, so scripts written for Patroni 3 that test for {@code master} must be updated.
 *
 * <p>The command string is split into words like Python's {@code shlex.split} (which Patroni uses),
 * see {@link #splitCommand}: single and double quotes and backslash escapes are honoured, but there
 * is no shell: no variable expansion, globbing, pipes or redirections. Wrap the command in {@code sh
 * -c '...'} if a shell is wanted.
 *
 * <p>{@link #fire} never blocks the caller (the HA loop): the run is handed to an executor. Each run
 * is bounded by the timeout, after which the process (and its descendants) is killed and a warning
 * logged. A non-zero exit is logged as a warning with the exit code and the last output lines;
 * nothing is ever thrown to the caller. Unlike Patroni, which kills a still-running callback when a
 * new one is fired, a later callback never kills nor waits for an earlier one: callbacks may overlap
 * and each runs to completion or its own timeout. Scripts that care about ordering must therefore
 * cope with concurrent invocations.
 *
 * <p>The callback processes get Baton's own environment without its {@code BATON_*} and
 * {@code PATRONI_*} variables (which may hold passwords; see
 * {@link dev.baton.agent.process.ChildEnvironment}) and with nothing added. Their argv holds the
 * configured command, the action, the role and the scope: no secret, so it may be logged.
 */
public final class CallbackRunner implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(CallbackRunner.class.getName());

    /** How many callbacks the convenience constructor's pool runs at once; the rest are queued. */
    public static final int MAX_CONCURRENT = 8;

    /** The events a callback can be configured for; {@link #wireName} is Patroni's action name. */
    public enum Action {
        ON_START("on_start"),
        ON_STOP("on_stop"),
        ON_ROLE_CHANGE("on_role_change"),
        ON_RESTART("on_restart"),
        ON_RELOAD("on_reload");

        private final String wireName;

        Action(String wireName) {
            this.wireName = wireName;
        }

        /** The name passed to the command as its action argument, e.g. {@code on_role_change}. */
        public String wireName() {
            return wireName;
        }
    }

    private final Map<Action, List<String>> commands = new EnumMap<>(Action.class);
    private final String scope;
    private final Duration timeout;
    private final ProcessRunner runner;
    private final Executor executor;
    private final ExecutorService ownedExecutor;

    private final Object lock = new Object();
    private int pending; // guarded by lock: scheduled or running callbacks of this runner
    private boolean closed; // guarded by lock

    /**
     * @param callbacks the configured commands; null or blank entries mean "not configured"
     * @param scope the cluster name, passed as the last argument
     * @param timeout the longest a single callback may run before it is killed; also how long
     *     {@link #close} waits
     * @param runner runs the processes
     * @param executor runs the callbacks off the caller's thread; not shut down by {@link #close}
     * @throws IllegalArgumentException if a command string cannot be split (unbalanced quote)
     */
    public CallbackRunner(
            Callbacks callbacks, String scope, Duration timeout, ProcessRunner runner, Executor executor) {
        this(callbacks, scope, timeout, runner, executor, null);
    }

    /**
     * Like the main constructor, with a pool of its own: daemon threads named {@code
     * baton-callback-N}, at most {@value #MAX_CONCURRENT} callbacks at once, excess queued (never
     * dropped). {@link #close} shuts this pool down.
     */
    public CallbackRunner(Callbacks callbacks, String scope, Duration timeout, ProcessRunner runner) {
        this(callbacks, scope, timeout, runner, null, newPool());
    }

    private CallbackRunner(
            Callbacks callbacks,
            String scope,
            Duration timeout,
            ProcessRunner runner,
            Executor executor,
            ExecutorService owned) {
        Objects.requireNonNull(callbacks, "callbacks");
        this.scope = Objects.requireNonNull(scope, "scope");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("callback timeout must be positive: " + timeout);
        }
        this.runner = Objects.requireNonNull(runner, "runner");
        this.ownedExecutor = owned;
        this.executor = owned != null ? owned : Objects.requireNonNull(executor, "executor");
        put(Action.ON_START, callbacks.onStart());
        put(Action.ON_STOP, callbacks.onStop());
        put(Action.ON_ROLE_CHANGE, callbacks.onRoleChange());
        put(Action.ON_RESTART, callbacks.onRestart());
        put(Action.ON_RELOAD, callbacks.onReload());
    }

    private void put(Action action, String command) {
        if (command == null) {
            return;
        }
        List<String> words;
        try {
            words = splitCommand(command);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "postgresql.callbacks." + action.wireName() + ": " + e.getMessage(), e);
        }
        if (!words.isEmpty()) {
            commands.put(action, words);
        }
    }

    private static ExecutorService newPool() {
        AtomicInteger n = new AtomicInteger();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, "baton-callback-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        ThreadPoolExecutor pool = new ThreadPoolExecutor(
                MAX_CONCURRENT, MAX_CONCURRENT, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), factory);
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** Whether a command is configured for {@code action}. */
    public boolean isConfigured(Action action) {
        return commands.containsKey(action);
    }

    /**
     * The full argv for {@code action}, or null when no command is configured for it: the command's
     * words, then the action's wire name, the role and the scope.
     */
    List<String> argv(Action action, String role) {
        List<String> command = commands.get(action);
        if (command == null) {
            return null;
        }
        List<String> argv = new ArrayList<>(command.size() + 3);
        argv.addAll(command);
        argv.add(action.wireName());
        argv.add(role);
        argv.add(scope);
        return Collections.unmodifiableList(argv);
    }

    /**
     * Schedules the callback for {@code action}, if one is configured, and returns at once. Never
     * throws for a failing callback; after {@link #close} the call is logged and ignored.
     *
     * @param role {@code "primary"} or {@code "replica"}
     */
    public void fire(Action action, String role) {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(role, "role");
        List<String> argv = argv(action, role);
        if (argv == null) {
            return;
        }
        synchronized (lock) {
            if (closed) {
                LOG.warning("not running the " + action.wireName() + " callback: the callback runner is closed");
                return;
            }
            pending++;
        }
        try {
            executor.execute(() -> {
                try {
                    run(action, argv);
                } finally {
                    done();
                }
            });
        } catch (RejectedExecutionException e) {
            done();
            LOG.warning("could not schedule the " + action.wireName() + " callback: " + e);
        }
    }

    private void done() {
        synchronized (lock) {
            pending--;
            lock.notifyAll();
        }
    }

    private void run(Action action, List<String> argv) {
        LOG.info("calling " + action.wireName() + " callback: " + argv);
        ProcessResult result;
        try {
            result = runner.run(argv, Map.of(), null, timeout);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "the " + action.wireName() + " callback " + argv + " could not be run", e);
            return;
        }
        if (result.timedOut()) {
            LOG.warning("the " + action.wireName() + " callback " + argv + " did not finish within "
                    + timeout.toMillis() + " ms and was killed" + tail(result));
        } else if (result.exitCode() != 0) {
            LOG.warning("the " + action.wireName() + " callback " + argv + " exited with code "
                    + result.exitCode() + tail(result));
        } else {
            LOG.fine("the " + action.wireName() + " callback " + argv + " succeeded");
        }
    }

    private static String tail(ProcessResult result) {
        String tail = result.output() == null ? "" : result.tail();
        return tail.isEmpty() ? "" : "; last output:\n" + tail;
    }

    /**
     * Stops accepting callbacks and waits up to the timeout for the ones already fired (queued or
     * running) to finish; then shuts down the pool if this runner created it. Callbacks still running
     * after that are left to finish or time out on their own (on daemon threads): interrupting them
     * would orphan their processes.
     */
    @Override
    public void close() {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        synchronized (lock) {
            closed = true;
            while (pending > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    LOG.warning(pending + " callback(s) still running after " + timeout.toMillis()
                            + " ms; not waiting for them");
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    interrupted = true;
                    break;
                }
            }
        }
        if (ownedExecutor != null) {
            ownedExecutor.shutdown();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Splits a command string into words like Python's {@code shlex.split} in POSIX mode: words are
     * separated by unquoted spaces, tabs and newlines; inside single quotes every character is
     * literal; inside double quotes a backslash escapes only {@code "} and {@code \} (elsewhere it is
     * kept); outside quotes a backslash makes the next character literal. Quoted and unquoted parts
     * next to each other form one word, and {@code ''} is an empty word. There is no expansion of
     * any kind and no comments.
     *
     * @throws IllegalArgumentException on an unclosed quote or a trailing backslash
     */
    public static List<String> splitCommand(String command) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false; // true once the current word has begun (even if empty, as in '')
        int i = 0;
        int n = command.length();
        while (i < n) {
            char c = command.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
                i++;
            } else if (c == '\\') {
                if (i + 1 >= n) {
                    throw new IllegalArgumentException("no escaped character after a trailing backslash in: " + command);
                }
                word.append(command.charAt(i + 1));
                inWord = true;
                i += 2;
            } else if (c == '\'') {
                int end = command.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new IllegalArgumentException("no closing single quote in: " + command);
                }
                word.append(command, i + 1, end);
                inWord = true;
                i = end + 1;
            } else if (c == '"') {
                i++;
                boolean closedQuote = false;
                while (i < n) {
                    char d = command.charAt(i);
                    if (d == '"') {
                        closedQuote = true;
                        i++;
                        break;
                    }
                    if (d == '\\' && i + 1 < n && (command.charAt(i + 1) == '"' || command.charAt(i + 1) == '\\')) {
                        word.append(command.charAt(i + 1));
                        i += 2;
                    } else {
                        word.append(d);
                        i++;
                    }
                }
                if (!closedQuote) {
                    throw new IllegalArgumentException("no closing double quote in: " + command);
                }
                inWord = true;
            } else {
                word.append(c);
                inWord = true;
                i++;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }
}
