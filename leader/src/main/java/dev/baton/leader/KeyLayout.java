package dev.baton.leader;

/**
 * Patroni's v3 key layout: {@code <namespace><scope>/<key>} with namespace defaulting to
 * {@code /service/}.
 */
public record KeyLayout(String namespace, String scope) {

    public KeyLayout {
        if (scope == null || scope.isBlank()) {
            throw new IllegalArgumentException("scope must not be empty");
        }
        if (namespace == null || namespace.isBlank()) {
            namespace = "/service/";
        }
        if (!namespace.startsWith("/")) {
            namespace = "/" + namespace;
        }
        if (!namespace.endsWith("/")) {
            namespace = namespace + "/";
        }
    }

    /** The prefix of every key of this cluster, ending with "/". */
    public String prefix() {
        return namespace + scope + "/";
    }

    public String key(String relative) {
        return prefix() + relative;
    }

    public String leader() { return key("leader"); }
    public String initialize() { return key("initialize"); }
    public String config() { return key("config"); }
    public String failover() { return key("failover"); }
    public String sync() { return key("sync"); }
    public String history() { return key("history"); }
    public String status() { return key("status"); }
    /** Baton's: the last scheduled backup point claimed per type ({@code {"full":ISO,...}}). */
    public String backup() { return key("backup"); }
    /** Patroni's failsafe_mode topology: {@code {member: api_url}}, written by the leader. */
    public String failsafe() { return key("failsafe"); }
    public String membersPrefix() { return key("members/"); }
    public String member(String name) { return key("members/" + name); }
}
