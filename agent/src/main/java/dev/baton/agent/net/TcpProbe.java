package dev.baton.agent.net;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * Whether anything answers TCP on a host and port, before a fence spends its budget on a login
 * or a request: a dead server's port refuses at once, and a host that answers at all does so
 * within a round trip, so one silent for {@link #SILENT_AFTER} (a powered-off machine) is taken as
 * unreachable without waiting out a driver's or client's whole-second connect timeout.
 */
public final class TcpProbe {
    /** How long a host may stay silent before it counts as unreachable (a round trip, with room). */
    public static final Duration SILENT_AFTER = Duration.ofMillis(500);

    /** What the connect found. */
    public enum Answer {
        /** The connection was accepted (and closed at once). */
        ACCEPTED,
        /** Refused: the host answers, nothing listens on the port. */
        REFUSED,
        /** No answer within the timeout. */
        SILENT,
        /** Anything else (no route, unknown host, ...): for the caller's own connect to say. */
        OTHER
    }

    /** The answer and the error's words (null when accepted). */
    public record Result(Answer answer, String detail) {
    }

    private TcpProbe() {
    }

    /** Connects to {@code host:port} within {@code min(timeout, SILENT_AFTER)} and closes at once. */
    public static Result probe(String host, int port, Duration timeout) {
        long ms = Math.max(1, Math.min(timeout.toMillis(), SILENT_AFTER.toMillis()));
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), (int) ms);
            return new Result(Answer.ACCEPTED, null);
        } catch (ConnectException e) {
            return new Result(String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("refused")
                    ? Answer.REFUSED : Answer.OTHER, e.getMessage());
        } catch (SocketTimeoutException e) {
            return new Result(Answer.SILENT, "no answer within " + ms + " ms");
        } catch (IOException | IllegalArgumentException e) {
            return new Result(Answer.OTHER, e.getMessage());
        }
    }
}
