package dev.baton.config;

/** {@code watchdog}: mode is "off", "automatic" or "required". */
public record WatchdogConfig(String mode, String device, int safetyMargin) {
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

    public static WatchdogConfig defaults() {
        return new WatchdogConfig(DEFAULT_MODE, DEFAULT_DEVICE, DEFAULT_SAFETY_MARGIN);
    }
}
