package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.leader.model.MemberStatus;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;

/**
 * The agents' REST API (Patroni's) as the operator commands use it: {@code POST /switchover},
 * {@code /failover}, {@code /restart}, {@code /reload}, {@code /reinitialize}, {@code DELETE
 * /switchover} and {@code GET /patroni}. A member's address comes from the {@code api_url} in its
 * member key ({@code http://host:port/patroni}); the base is everything before {@code /patroni}.
 */
final class AgentApi {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(3))
            .build();

    /** An answer: the status code, the message to show (plain text, or "message"/"error" of a JSON body), the raw body. */
    record Reply(int status, String message, String body) {
    }

    /** The REST base of a member, from its api_url; exit 1 if it published none. */
    static String base(MemberStatus m) {
        String api = m.apiUrl();
        if (api == null || api.isBlank()) {
            throw ExitException.failed("member " + m.name() + " publishes no api_url: its REST API cannot be reached");
        }
        return base(api);
    }

    static String base(String apiUrl) {
        String a = apiUrl.strip();
        int i = a.lastIndexOf("/patroni");
        if (i >= 0) {
            a = a.substring(0, i);
        }
        while (a.endsWith("/")) {
            a = a.substring(0, a.length() - 1);
        }
        return a;
    }

    Reply post(MemberStatus m, String action, String json, Duration timeout) {
        return send(m, "POST", action, json, timeout);
    }

    Reply delete(MemberStatus m, String action, Duration timeout) {
        return send(m, "DELETE", action, null, timeout);
    }

    /** Sends one request; an unreachable agent is exit 1 naming the member and the address. */
    Reply send(MemberStatus m, String method, String action, String json, Duration timeout) {
        String url = base(m) + "/" + action;
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout);
        if (json != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), message(r.body()), r.body());
        } catch (HttpTimeoutException e) {
            throw ExitException.failed(method + " " + url + " (" + m.name() + "): no answer within "
                    + timeout.toSeconds() + " s; the action may still be under way, check with 'baton list'");
        } catch (IOException e) {
            throw ExitException.failed("cannot reach " + m.name() + "'s REST API at " + url + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ExitException.failed("interrupted during " + method + " " + url);
        }
    }

    /** GET /patroni of a member: its live status, or empty when it does not answer. */
    Optional<JsonNode> status(MemberStatus m) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base(m) + "/patroni"))
                    .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return Optional.empty();
            }
            return Optional.of(JSON.readTree(r.body()));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Patroni's answers are plain text; Baton's may be JSON with "message" or "error". */
    static String message(String body) {
        String b = body == null ? "" : body.strip();
        if (b.startsWith("{")) {
            try {
                JsonNode n = JSON.readTree(b);
                for (String field : new String[] {"message", "error", "reason"}) {
                    if (n.hasNonNull(field)) {
                        return n.get(field).asText();
                    }
                }
            } catch (IOException e) {
                return b;
            }
        }
        if (b.length() >= 2 && b.startsWith("\"") && b.endsWith("\"")) {
            try {
                return JSON.readTree(b).asText();
            } catch (IOException e) {
                return b;
            }
        }
        return b;
    }

    /** An explanation for an answer a command does not expect (e.g. 405 from an agent without the action). */
    static String unexpected(MemberStatus m, String method, String action, Reply r) {
        if (r.status() == 405 || r.status() == 404) {
            return m.name() + " does not support " + method + " /" + action + " (HTTP " + r.status()
                    + "): is its agent an older version?";
        }
        return m.name() + " answered " + method + " /" + action + " with HTTP " + r.status()
                + (r.message().isEmpty() ? "" : ": " + r.message());
    }
}
