package dev.baton.agent.client;

import dev.baton.config.BasicAuth;
import dev.baton.config.CtlConfig;
import dev.baton.config.RestApiConfig;
import dev.baton.config.TlsFiles;

/**
 * How an {@link AgentClient} calls the REST API: the client certificate and the CA the servers are
 * verified against ({@code tls}), {@code insecure} (no server verification), and Basic credentials
 * for unsafe calls; with the name of the setting each value came from ({@code ctl.keyfile},
 * {@code restapi.cafile}, {@code --cacert}...), so that a file Baton cannot use is reported by the
 * key the operator wrote.
 *
 * <p>{@link #of(CtlConfig, RestApiConfig)} is patronictl's reading, and also what an agent uses to
 * call its peers: each unset {@code ctl} value falls back to {@code restapi}'s (Patroni's agents
 * read the same two sections in the same order, {@code patroni/request.py}).
 */
public record RestClientSettings(TlsFiles tls, boolean insecure, BasicAuth authentication, Names names) {
    /** The setting each value came from, as messages name it. */
    public record Names(String certfile, String keyfile, String keyfilePassword, String cafile, String authentication) {
        /** The {@code ctl} section's keys. */
        public static final Names CTL = new Names("ctl.certfile", "ctl.keyfile", "ctl.keyfile_password", "ctl.cacert",
                "ctl.authentication");
    }

    /** Plain HTTP callers (and HTTPS against the JDK's default CAs), without credentials. */
    public static final RestClientSettings PLAIN = new RestClientSettings(TlsFiles.NONE, false, null, Names.CTL);

    public RestClientSettings {
        if (tls == null) {
            tls = TlsFiles.NONE;
        }
        if (names == null) {
            names = Names.CTL;
        }
    }

    /**
     * {@code ctl}'s values, each unset one falling back to {@code restapi}'s (the certificate and
     * key as a pair, the CA, the credentials), named after the section it came from.
     */
    public static RestClientSettings of(CtlConfig ctl, RestApiConfig restapi) {
        CtlConfig own = ctl == null ? CtlConfig.NONE : ctl;
        CtlConfig eff = CtlConfig.effective(own, restapi);
        boolean ownCert = own.tls().certfile() != null;
        boolean ownCa = own.tls().cafile() != null;
        boolean ownAuth = own.authentication() != null;
        Names n = new Names(ownCert ? "ctl.certfile" : "restapi.certfile", ownCert ? "ctl.keyfile" : "restapi.keyfile",
                ownCert ? "ctl.keyfile_password" : "restapi.keyfile_password", ownCa ? "ctl.cacert" : "restapi.cafile",
                ownAuth ? "ctl.authentication" : "restapi.authentication");
        return new RestClientSettings(eff.tls(), eff.insecure(), eff.authentication(), n);
    }

    /**
     * Whether this client is set up for TLS (a client certificate, a CA, or {@code insecure}): then
     * a member whose {@code api_url} says http is not called with an unsafe method (see
     * {@link AgentClient}).
     */
    public boolean expectsTls() {
        return tls.certfile() != null || tls.cafile() != null || insecure;
    }

    /** Never reveals a password. */
    @Override
    public String toString() {
        return "RestClientSettings[tls=" + tls + ", insecure=" + insecure + ", authentication="
                + (authentication == null ? "none" : authentication) + "]";
    }
}
