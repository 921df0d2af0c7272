package dev.baton.agent.logging;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One log format for Baton and the libraries under it (jetcd and netty log through SLF4J into JUL),
 * set up by the command line's main. The fencing watchdog (a perl script, see
 * {@link dev.baton.agent.watchdog.WatchdogScript}) writes its lines in the same two formats, so
 * that they read alike in the agent's log.
 */
public final class Logging {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")
            .withZone(ZoneOffset.UTC);

    /**
     * Libraries whose retries are noise at INFO/WARNING. Held here: java.util.logging keeps loggers
     * only weakly, and a collected logger forgets the level set on it. A holder class, so that
     * touching Logging (install()) does not start java.util.logging before its manager is chosen.
     */
    private static final class Quiet {
        static final java.util.List<Logger> LOGGERS = java.util.List.of(Logger.getLogger("io.netty"),
                Logger.getLogger("io.grpc"), Logger.getLogger("io.vertx"), Logger.getLogger("io.etcd"));
    }

    private Logging() {
    }

    /**
     * Keeps logging alive during JVM shutdown: the default LogManager closes every handler in its
     * own shutdown hook, which would swallow what the agent logs while it hands over on SIGTERM.
     */
    public static final class ShutdownProofLogManager extends LogManager {
        private volatile boolean resettable;

        @Override
        public void reset() {
            if (resettable) {
                super.reset();
            }
        }

        void resetNow() {
            resettable = true;
            try {
                super.reset();
            } finally {
                resettable = false;
            }
        }
    }

    /** Must run before anything touches java.util.logging. */
    public static void install() {
        System.setProperty("java.util.logging.manager", ShutdownProofLogManager.class.getName());
    }

    /** One handler on standard error, "plain" or "json" lines, at INFO; resets what was there. */
    public static void configure(String format) {
        LogManager manager = LogManager.getLogManager();
        if (manager instanceof ShutdownProofLogManager m) {
            m.resetNow();
        } else {
            manager.reset();
        }
        Logger root = Logger.getLogger("");
        ConsoleHandler h = new ConsoleHandler();
        h.setLevel(Level.ALL);
        h.setFormatter("json".equalsIgnoreCase(format) ? new Json() : new Plain());
        root.addHandler(h);
        root.setLevel(Level.INFO);
        for (Logger noisy : Quiet.LOGGERS) {
            noisy.setLevel(Level.SEVERE);
        }
    }

    public static void setLevel(String level) {
        try {
            Logger.getLogger("").setLevel(Level.parse(level.toUpperCase()));
        } catch (IllegalArgumentException e) {
            Logger.getLogger("").setLevel(Level.INFO);
        }
    }

    private static String shortName(String logger) {
        return logger == null ? "" : logger.substring(logger.lastIndexOf('.') + 1);
    }

    private static final class Plain extends Formatter {
        @Override
        public String format(LogRecord r) {
            String msg = formatMessage(r);
            StringBuilder sb = new StringBuilder().append(TIME.format(r.getInstant())).append(' ')
                    .append(r.getLevel().getName()).append(' ').append(shortName(r.getLoggerName())).append(": ")
                    .append(msg).append('\n');
            if (r.getThrown() != null && Logger.getLogger("").getLevel().intValue() <= Level.FINE.intValue()) {
                sb.append(r.getThrown()).append('\n');
            }
            return sb.toString();
        }
    }

    private static final class Json extends Formatter {
        @Override
        public String format(LogRecord r) {
            return "{\"time\":\"" + Instant.ofEpochMilli(r.getMillis()) + "\",\"level\":\"" + r.getLevel().getName()
                    + "\",\"logger\":\"" + esc(shortName(r.getLoggerName())) + "\",\"message\":\""
                    + esc(formatMessage(r)) + "\"}\n";
        }

        private static String esc(String s) {
            StringBuilder sb = new StringBuilder();
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            return sb.toString();
        }
    }
}
