package dev.baton.agent.watchdog;

import dev.baton.config.BatonConfig;
import dev.baton.config.WatchdogConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Builds the agent's fencing watchdog from the configuration.
 *
 * <p>The process watchdog is always on: it costs one small perl process (about 5 MB, see
 * {@link WatchdogScript}) on the primary only, and without it a stopped or killed agent leaves a writable primary behind. {@code watchdog.mode}
 * decides only about the Linux watchdog device ({@code watchdog.device}) on top of it:
 * <ul>
 *   <li>{@code off}: no device;</li>
 *   <li>{@code automatic}: the device if it exists and this user can write it, else none (logged);</li>
 *   <li>{@code required}: the agent refuses to start (exit 2) when the device is not usable.</li>
 * </ul>
 *
 * <p>The watchdog is a failure domain of its own. By default the agent starts it as a child
 * through {@code setsid} (found on PATH), in a session and process group of its own, so that a
 * signal to the agent's process group (SIGSTOP, Ctrl-C) does not reach it; without setsid,
 * {@code required} refuses to start and the other modes warn. With {@code watchdog.service_socket}
 * the agent starts no child: it connects to the watchdog running as a service of its own
 * (the same script with {@code --listen}, deploy/systemd/baton-watchdog.service), out of the
 * agent's cgroup too.
 */
public final class WatchdogSetup {
    private static final Logger LOG = Logger.getLogger(WatchdogSetup.class.getName());

    private WatchdogSetup() {
    }

    /**
     * The watchdog of an agent running in this JVM: {@code setsid -w perl SCRIPT --data-dir DIR
     * --name NAME [--device PATH]}, the script located ({@link WatchdogScript#locate}) at each start.
     *
     * @throws IllegalArgumentException watchdog.mode is required and watchdog.device is not usable
     */
    public static ProcessWatchdog forAgent(BatonConfig config, LongSupplier ticker) {
        WatchdogConfig wd = config.watchdog();
        Path device = device(wd, config.bootstrap().dcs().timing().adjusted().timing().ttl());
        ProcessWatchdog watchdog;
        if (wd.serviceSocket() != null) {
            // The service drives the device itself (its own command line or configuration).
            LOG.info("the fencing watchdog is the service at watchdog.service_socket " + wd.serviceSocket());
            watchdog = ProcessWatchdog.ofService(Path.of(wd.serviceSocket()), ticker);
        } else {
            Optional<Path> setsid = findSetsid(System.getenv("PATH"));
            String problem = setsidProblem(wd, setsid);
            if (problem != null) {
                if ("required".equals(wd.mode())) {
                    throw new IllegalArgumentException("watchdog.mode " + problem);
                }
                LOG.warning("watchdog: " + problem);
            }
            Optional<Path> perl = dev.baton.agent.process.Executables.onPath("perl");
            String noPerl = perlProblem(wd, perl);
            if (noPerl != null) {
                if ("required".equals(wd.mode())) {
                    throw new IllegalArgumentException("watchdog.mode " + noPerl);
                }
                LOG.severe("watchdog: " + noPerl);
            }
            WatchdogScript.Options options = new WatchdogScript.Options(config.postgresql().dataDir().toAbsolutePath(),
                    config.name(), device, "required".equals(wd.mode()));
            Path perlBinary = perl.orElse(Path.of("perl"));
            Path scriptDir = scriptDir(config);
            Map<String, String> env = config.log() != null && "json".equalsIgnoreCase(config.log().format())
                    ? Map.of("BATON_LOG_FORMAT", "json") : Map.of();
            watchdog = ProcessWatchdog.of(() -> inNewSession(setsid,
                    WatchdogScript.command(perlBinary, WatchdogScript.locate(scriptDir), options)), env, ticker);
        }
        if (device != null) {
            // The cluster's ttl changed: the device's own timeout is checked against the new one.
            watchdog.onLeaseTtlChanged(ttl -> warnIfTooLong(device, WatchdogDevice.probe(device).timeoutSeconds(), wd, ttl));
        }
        return watchdog;
    }

    /**
     * The watchdog service's options from the agent's configuration ({@code baton watchdog -c
     * FILE}): the same data directory, name and device as the agent's, listening on
     * {@code watchdog.service_socket} unless {@code listen} is given.
     *
     * @throws IllegalArgumentException no socket, or mode required and the device is not usable
     */
    public static WatchdogScript.Options serviceOptions(BatonConfig config, Path listen) {
        WatchdogConfig wd = config.watchdog();
        Path socket = listen != null ? listen : wd.serviceSocket() == null ? null : Path.of(wd.serviceSocket());
        if (socket == null) {
            throw new IllegalArgumentException("watchdog.service_socket is not set (and no --listen given): "
                    + "the watchdog service needs the socket the agent connects to");
        }
        Path device = device(wd, config.bootstrap().dcs().timing().adjusted().timing().ttl());
        return new WatchdogScript.Options(config.postgresql().dataDir().toAbsolutePath(), config.name(), device,
                "required".equals(wd.mode()), socket);
    }

    /**
     * {@code setsid -w <command>}: a session and process group of its own. setsid forks only when
     * its caller leads a process group, which a child of the JVM never does, so the pid the agent
     * sees is the watchdog's; {@code -w} keeps the exit status in the other case.
     */
    static List<String> inNewSession(Optional<Path> setsid, List<String> command) {
        if (setsid.isEmpty()) {
            return command;
        }
        List<String> c = new ArrayList<>(List.of(setsid.get().toString(), "-w"));
        c.addAll(command);
        return c;
    }

    /** The first executable {@code setsid} in {@code path} (a PATH value), if any. */
    public static Optional<Path> findSetsid(String path) {
        return dev.baton.agent.process.Executables.onPath("setsid", path);
    }

    /**
     * Why the watchdog child cannot have a session of its own (after the key name), or null: with
     * a service socket no child is started, so setsid does not matter.
     */
    public static String setsidProblem(WatchdogConfig wd, Optional<Path> setsid) {
        if (wd.serviceSocket() != null || setsid.isPresent()) {
            return null;
        }
        return ("required".equals(wd.mode()) ? "is required, but " : "")
                + "setsid is not on PATH: the fencing watchdog would share the agent's process group, so a "
                + "signal to that group (SIGSTOP, Ctrl-C) would reach it too. Install util-linux (setsid), or "
                + "run the watchdog as its own service (watchdog.service_socket, deploy/systemd/baton-watchdog.service)";
    }

    /**
     * Where the agent keeps its private copy of the script when the installed one is not there:
     * {@code .baton-watchdog_<name>} (mode 0700) beside the pgpass file, which the agent writes
     * too (by default beside the data directory).
     */
    static Path scriptDir(BatonConfig config) {
        Path pgpass = config.postgresql().pgpass().toAbsolutePath();
        Path parent = pgpass.getParent() != null ? pgpass.getParent()
                : config.postgresql().dataDir().toAbsolutePath().getParent();
        return parent.resolve(".baton-watchdog_" + config.name().replaceAll("[^A-Za-z0-9._-]", "_"));
    }

    /** Why the watchdog process cannot start (after the key name), or null: perl is on PATH, or a service is used. */
    public static String perlProblem(WatchdogConfig wd, Optional<Path> perl) {
        if (wd.serviceSocket() != null || perl.isPresent()) {
            return null;
        }
        return ("required".equals(wd.mode()) ? "is required, but " : "")
                + "perl is not on PATH: the fencing watchdog process (a perl script) cannot start, so if this agent "
                + "stops, nothing outside it stops postgres. Install perl (the postgresql packages depend on it)";
    }

    /**
     * The device the watchdog process should drive, or null.
     *
     * @throws IllegalArgumentException mode required and the device is not usable
     */
    static Path device(WatchdogConfig wd, int ttl) {
        if ("off".equals(wd.mode())) {
            return null;
        }
        Path device = Path.of(wd.device());
        WatchdogDevice.Probe probe = WatchdogDevice.probe(device);
        if (!probe.usable()) {
            if ("required".equals(wd.mode())) {
                throw new IllegalArgumentException("watchdog.mode " + requiredButUnusable(device, probe));
            }
            LOG.info("watchdog.device " + device + " " + probe.problem()
                    + ": the fencing watchdog process works without it");
            return null;
        }
        warnIfTooLong(device, probe.timeoutSeconds(), wd, ttl);
        return device;
    }

    /** Logs {@link #timeoutProblem}, if any. */
    static void warnIfTooLong(Path device, OptionalInt timeout, WatchdogConfig wd, int ttl) {
        String problem = timeoutProblem(device, timeout, wd, ttl);
        if (problem != null) {
            LOG.warning(problem);
        }
    }

    /**
     * Why the device's timeout does not fit the lease ttl, or null. Patroni sets the device's
     * timeout to ttl - safety_margin (-1: ttl/2); Java cannot, so Baton checks it.
     */
    static String timeoutProblem(Path device, OptionalInt timeout, WatchdogConfig wd, int ttl) {
        int wanted = wd.safetyMargin() == -1 ? ttl / 2 : ttl - wd.safetyMargin();
        if (timeout.isEmpty() || timeout.getAsInt() <= wanted) {
            return null;
        }
        return "watchdog.device " + device + " has a timeout of " + timeout.getAsInt() + " s, more than ttl ("
                + ttl + ") - safety_margin = " + wanted + " s: a reset would come after the leader key may have "
                + "expired. Baton cannot set the timeout; set it with the driver (e.g. softdog soft_margin)";
    }

    /**
     * Why {@code watchdog.mode: required} refuses an unusable device (after the key name), shared
     * with {@code AgentPreflight} so that {@code --validate-config} says what the agent says.
     */
    public static String requiredButUnusable(Path device, WatchdogDevice.Probe probe) {
        return "is required, but watchdog.device " + device + " " + probe.problem() + ": this node must not become "
                + "the primary without it. Load a watchdog driver (e.g. modprobe softdog), give this user write "
                + "access to the device, or set watchdog.mode to automatic or off";
    }
}
