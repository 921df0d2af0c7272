package dev.baton.agent.watchdog;

import dev.baton.agent.logging.Logging;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The fencing watchdog process's main class: the agent starts it beside itself on the primary
 * (see {@link WatchdogSetup}) as {@code java -cp <the agent's class path>
 * dev.baton.agent.watchdog.WatchdogMain --data-dir DIR [--name NAME] [--device PATH
 * [--device-required]]}. It runs {@link FencingWatchdog}'s rules on the real clock, with the real
 * fence ({@link PostgresFence}) and the watchdog device if one is given.
 *
 * <p>With {@code --listen PATH} it is the watchdog service of its own unit
 * ({@link WatchdogService}): it reads the same lines from one agent at a time over a Unix socket
 * instead of its standard input, and runs until it is terminated.
 *
 * <p>Exit status: 0 after {@code exit} or the end of the input while disarmed, 1 after fencing
 * because the input ended while armed, 2 for a command line it does not understand (and, as a
 * service, when it cannot listen).
 */
public final class WatchdogMain {
    /** The exit status for a command line it does not understand. */
    public static final int EXIT_BAD_INPUT = 2;

    private static final String USAGE = "usage: " + WatchdogMain.class.getName()
            + " --data-dir DIR [--name NAME] [--device PATH [--device-required]] [--listen SOCKET]";

    private WatchdogMain() {
    }

    /**
     * The watchdog's command line.
     *
     * @param dataDir        the PostgreSQL data directory to fence
     * @param name           the member's name, for the log; may be null
     * @param device         the Linux watchdog device to keep alive while armed, or null
     * @param deviceRequired watchdog.mode is required: failing to open the device is SEVERE
     * @param listen         run as a service on this Unix socket, or null: read standard input
     */
    public record Options(Path dataDir, String name, Path device, boolean deviceRequired, Path listen) {

        /** A child watchdog, reading its standard input. */
        public Options(Path dataDir, String name, Path device, boolean deviceRequired) {
            this(dataDir, name, device, deviceRequired, null);
        }

        /**
         * Parses {@code --option value} pairs (also {@code --option=value}).
         *
         * @throws IllegalArgumentException saying what is wrong
         */
        public static Options parse(List<String> args) {
            Path dataDir = null;
            String name = null;
            Path device = null;
            boolean deviceRequired = false;
            Path listen = null;
            for (int i = 0; i < args.size(); i++) {
                String arg = args.get(i);
                int eq = arg.indexOf('=');
                String option = arg.startsWith("--") && eq > 0 ? arg.substring(0, eq) : arg;
                if (option.equals("--device-required")) {
                    if (eq > 0) {
                        throw new IllegalArgumentException("--device-required takes no value");
                    }
                    deviceRequired = true;
                    continue;
                }
                String value;
                if (eq > 0 && arg.startsWith("--")) {
                    value = arg.substring(eq + 1);
                } else if (i + 1 < args.size()) {
                    value = args.get(++i);
                } else {
                    throw new IllegalArgumentException(option.startsWith("--") ? option + " needs a value"
                            : "unexpected argument \"" + option + "\"");
                }
                switch (option) {
                    case "--data-dir" -> dataDir = Path.of(value);
                    case "--name" -> name = value;
                    case "--device" -> device = Path.of(value);
                    case "--listen" -> listen = Path.of(value);
                    default -> throw new IllegalArgumentException(option.startsWith("--")
                            ? "unknown option " + option : "unexpected argument \"" + option + "\"");
                }
            }
            if (dataDir == null) {
                throw new IllegalArgumentException("--data-dir is required");
            }
            return new Options(dataDir, name, device, deviceRequired, listen);
        }

        /** The arguments that {@link #parse} reads back as these options. */
        public List<String> toArgs() {
            List<String> a = new ArrayList<>(List.of("--data-dir", dataDir.toString()));
            if (name != null) {
                a.addAll(List.of("--name", name));
            }
            if (device != null) {
                a.addAll(List.of("--device", device.toString()));
                if (deviceRequired) {
                    a.add("--device-required");
                }
            }
            if (listen != null) {
                a.addAll(List.of("--listen", listen.toString()));
            }
            return a;
        }
    }

    public static void main(String[] args) throws InterruptedException {
        // Before anything touches java.util.logging: the same log lines as the agent's, which
        // survive the JVM's shutdown (the shutdown hook logs).
        Logging.install();
        Logging.configure(System.getenv("BATON_LOG_FORMAT"));
        System.exit(run(Arrays.asList(args), System.in, System.err));
    }

    /** Parses {@code args} and runs; a bad command line is reported on {@code err} with exit 2. */
    static int run(List<String> args, InputStream in, PrintStream err) throws InterruptedException {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("watchdog: " + e.getMessage());
            err.println(USAGE);
            return EXIT_BAD_INPUT;
        }
        return run(in, options);
    }

    /**
     * Reads heartbeats from {@code in} until {@code exit} or its end; returns the exit status (0,
     * or 1 after fencing because the input ended while armed).
     */
    public static int run(InputStream in, Options options) throws InterruptedException {
        WatchdogDevice dev = options.device() == null ? null : new WatchdogDevice(options.device(), options.deviceRequired());
        PostgresFence fence = new PostgresFence(options.dataDir());
        fence.warmUp();
        FencingWatchdog watchdog = new FencingWatchdog(System::nanoTime, fence, dev);
        FencingWatchdog.LOG.info("fencing watchdog" + (options.name() == null ? "" : " of " + options.name())
                + (options.listen() == null ? "" : " service") + " started (pid " + ProcessHandle.current().pid()
                + ", data directory " + options.dataDir() + ", watchdog device "
                + (options.device() == null ? "none" : options.device()) + ")");
        if (options.listen() != null) {
            return serve(options.listen(), watchdog);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(watchdog::terminated, "watchdog-shutdown"));
        return watchdog.run(new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII)));
    }

    /** The service: listens on {@code socket} until terminated (SIGTERM: no fence, the socket removed). */
    private static int serve(Path socket, FencingWatchdog watchdog) throws InterruptedException {
        WatchdogService service;
        try {
            service = new WatchdogService(socket, watchdog, WatchdogService.currentUser());
            service.bind();
        } catch (java.io.IOException e) {
            FencingWatchdog.LOG.severe("cannot listen on " + socket + ": " + e.getMessage());
            return EXIT_BAD_INPUT;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(service::close, "watchdog-shutdown"));
        service.serve();
        return 0;
    }
}
