package dev.baton.config;

/**
 * {@code watchdog}: mode is "off", "automatic" or "required". {@code serviceSocket} (Baton's own
 * key {@code service_socket}) is the Unix socket of a fencing watchdog run as a service of its
 * own (deploy/systemd/baton-watchdog.service), or null: the agent then starts the watchdog as a
 * child process in a session of its own.
 */
public record WatchdogConfig(String mode, String device, int safetyMargin, String serviceSocket) {
    public static final String DEFAULT_MODE = "automatic";
    public static final String DEFAULT_DEVICE = "/dev/watchdog";
    public static final int DEFAULT_SAFETY_MARGIN = 5;

    public WatchdogConfig {
        if (mode == null) {
            mode = DEFAULT_MODE;
        }
        if (device == null) {
            device = DEFAULT_DEVICE;
        }
    }

    /** Without a service socket: the agent starts the watchdog itself. */
    public WatchdogConfig(String mode, String device, int safetyMargin) {
        this(mode, device, safetyMargin, null);
    }

    public static WatchdogConfig defaults() {
        return new WatchdogConfig(DEFAULT_MODE, DEFAULT_DEVICE, DEFAULT_SAFETY_MARGIN, null);
    }
}
