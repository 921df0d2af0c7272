package dev.baton.cli;

import dev.baton.agent.client.AgentClient;
import dev.baton.agent.client.CallFailure;
import dev.baton.agent.client.PatroniStatus;
import dev.baton.agent.client.RestClientSettings;
import dev.baton.leader.model.MemberStatus;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

/**
 * The operator commands' use of {@link AgentClient}: a member is reached at the {@code api_url} of
 * its member key, and a member that cannot be reached, or does not answer in time, is exit 1 with
 * a sentence naming it and the address.
 *
 * <p>Strict where patronictl 3.0.2 is not: a 401 or 403, or a failed TLS handshake, is exit 1
 * saying which setting to look at, never taken as "the agent is down" and never worked around by
 * writing etcd keys instead (only {@link #callUnlessDown} lets a command act without the agent,
 * and only when nothing listens at all).
 */
final class AgentApi {
    private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(3);

    private final AgentClient client;
    private final RestClientSettings settings;

    AgentApi(AgentClient client, RestClientSettings settings) {
        this.client = client;
        this.settings = settings;
    }

    /** Plain HTTP without credentials (tests). */
    AgentApi() {
        this(new AgentClient(RestClientOptions.CONNECT_TIMEOUT), RestClientSettings.PLAIN);
    }

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
     * member and the address, one that does not answer within {@code timeout} exit 1 saying the
     * action may still be under way, and a security refusal exit 1 saying why.
     */
    AgentClient.Reply call(MemberStatus m, String method, String action, Duration timeout, Call call) {
        return callUnlessDown(m, method, action, timeout, call).orElseThrow(() -> ExitException.failed(
                "cannot reach " + m.name() + "'s REST API at " + base(m) + "/" + action + ": nothing answers there"));
    }

    /**
     * As {@link #call}, but empty when the agent is down ({@link CallFailure#UNREACHABLE}: nothing
     * accepts the connection): the only case in which a command may act without it.
     */
    Optional<AgentClient.Reply> callUnlessDown(MemberStatus m, String method, String action, Duration timeout, Call call) {
        String base = base(m);
        String url = base + "/" + action;
        AgentClient.Reply r;
        try {
            r = call.send(client, base);
        } catch (IOException e) {
            CallFailure kind = CallFailure.of(e);
            if (kind == CallFailure.UNREACHABLE) {
                return Optional.empty();
            }
            throw failure(m, method + " " + url, kind, e, timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ExitException.failed("interrupted during " + method + " " + url);
        }
        refused(m, method + " " + url, r);
        return Optional.of(r);
    }

    /** GET /patroni of a member: its live status, or empty when it does not answer; a security refusal is exit 1. */
    Optional<PatroniStatus> status(MemberStatus m) {
        String base = base(m);
        try {
            AgentClient.Reply r = client.get(base, "/patroni", STATUS_TIMEOUT);
            refused(m, "GET " + base + "/patroni", r);
            return r.status() == 200 ? r.patroni() : Optional.empty();
        } catch (IOException e) {
            CallFailure kind = CallFailure.of(e);
            if (kind == CallFailure.TLS) {
                throw failure(m, "GET " + base + "/patroni", kind, e, STATUS_TIMEOUT);
            }
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** 401 and 403 end the command, saying which setting to look at. */
    private void refused(MemberStatus m, String request, AgentClient.Reply r) {
        String said = r.message().isEmpty() ? "" : " (" + r.message() + ")";
        if (r.status() == 401) {
            throw ExitException.failed("401 from " + m.name() + " on " + request + ": " + (settings.authentication() == null
                    ? "authentication required: set ctl.authentication or restapi.authentication (or BATON_CTL_USERNAME "
                    + "and BATON_CTL_PASSWORD)"
                    : "the credentials of " + settings.names().authentication() + " were refused") + said);
        }
        if (r.status() == 403) {
            throw ExitException.failed("403 from " + m.name() + " on " + request + ": refused" + said
                    + "; its restapi.allowlist does not admit this machine, or it requires a client certificate"
                    + " (--certfile, ctl.certfile)");
        }
    }

    private ExitException failure(MemberStatus m, String request, CallFailure kind, IOException e, Duration timeout) {
        return switch (kind) {
            case TIMEOUT -> ExitException.failed(request + " (" + m.name() + "): no answer within "
                    + timeout.toSeconds() + " s; the action may still be under way, check with 'baton list'");
            case TLS -> ExitException.failed("TLS with " + m.name() + " failed on " + request + ": "
                    + CallFailure.explainTls(e, settings));
            case CLEARTEXT_REFUSED -> ExitException.failed(m.name() + ": " + e.getMessage());
            default -> ExitException.failed("cannot reach " + m.name() + "'s REST API on " + request + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        };
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
