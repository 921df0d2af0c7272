package dev.baton.cli;

import dev.baton.agent.client.AgentClient;
import dev.baton.agent.client.PatroniStatus;
import dev.baton.leader.model.MemberStatus;
import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;

/**
 * The operator commands' use of {@link AgentClient}: a member is reached at the {@code api_url} of
 * its member key, and a member that cannot be reached, or does not answer in time, is exit 1 with
 * a sentence naming it and the address.
 */
final class AgentApi {
    private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(3);

    private final AgentClient client = new AgentClient(Duration.ofSeconds(3));

    /** One request to a member's REST base. */
    interface Call {
        AgentClient.Reply send(AgentClient client, String base) throws IOException, InterruptedException;
    }

    /** The REST base of a member, from its api_url; exit 1 if it published none. */
    static String base(MemberStatus m) {
        return AgentClient.base(m).orElseThrow(() -> ExitException.failed("member " + m.name()
                + " publishes no api_url: its REST API cannot be reached"));
    }

    /**
     * Sends {@code method /action} to member {@code m}; an unreachable agent is exit 1 naming the
     * member and the address, and one that does not answer within {@code timeout} exit 1 saying
     * the action may still be under way.
     */
    AgentClient.Reply call(MemberStatus m, String method, String action, Duration timeout, Call call) {
        String base = base(m);
        String url = base + "/" + action;
        try {
            return call.send(client, base);
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
    Optional<PatroniStatus> status(MemberStatus m) {
        return client.patroni(base(m), STATUS_TIMEOUT);
    }

    /** An explanation for an answer a command does not expect (e.g. 405 from an agent without the action). */
    static String unexpected(MemberStatus m, String method, String action, AgentClient.Reply r) {
        if (r.status() == 405 || r.status() == 404) {
            return m.name() + " does not support " + method + " /" + action + " (HTTP " + r.status()
                    + "): is its agent an older version?";
        }
        return m.name() + " answered " + method + " /" + action + " with HTTP " + r.status()
                + (r.message().isEmpty() ? "" : ": " + r.message());
    }
}
