package dev.baton.config;

/**
 * {@code ctl}: how the CLI (and patronictl) calls the REST API, as patronictl reads it: a client
 * certificate ({@code certfile}, {@code keyfile}, {@code keyfile_password}), the CA the servers are
 * verified against ({@code cacert}), {@code insecure} (no server verification) and Basic
 * credentials ({@code authentication}, or the older {@code auth: "user:pass"}). Each unset value
 * falls back to the {@code restapi} section's, as in patronictl: see {@link #effective}.
 */
public record CtlConfig(TlsFiles tls, boolean insecure, BasicAuth authentication) {
    public static final CtlConfig NONE = new CtlConfig(TlsFiles.NONE, false, null);

    public CtlConfig {
        if (tls == null) {
            tls = TlsFiles.NONE;
        }
    }

    /**
     * What a client uses: each of this section's values, or else the node's REST API's
     * ({@code restapi.certfile}/{@code keyfile}/{@code keyfile_password} as the client
     * certificate, {@code restapi.cafile} as the CA, {@code restapi.authentication}). The fallback
     * is patronictl's; it is also what agents use to call each other.
     */
    public static CtlConfig effective(CtlConfig ctl, RestApiConfig restapi) {
        CtlConfig c = ctl == null ? NONE : ctl;
        TlsFiles own = c.tls();
        TlsFiles api = restapi == null || restapi.tls() == null ? TlsFiles.NONE : restapi.tls();
        TlsFiles tls = own.certfile() != null
                ? new TlsFiles(own.certfile(), own.keyfile(), own.keyfilePassword(), or(own.cafile(), api.cafile()))
                : new TlsFiles(api.certfile(), api.keyfile(), api.keyfilePassword(), or(own.cafile(), api.cafile()));
        BasicAuth auth = c.authentication() != null ? c.authentication()
                : restapi == null ? null : restapi.authentication();
        return new CtlConfig(tls, c.insecure(), auth);
    }

    private static <T> T or(T a, T b) {
        return a != null ? a : b;
    }
}
