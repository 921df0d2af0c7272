package dev.baton.cli;

import dev.baton.agent.client.AgentClient;
import dev.baton.agent.client.ClientSetupException;
import dev.baton.agent.client.RestClientSettings;
import dev.baton.config.BasicAuth;
import dev.baton.config.ConfigError;
import dev.baton.config.CtlEnvironment;
import dev.baton.config.LoadResult;
import dev.baton.config.ConfigLoader;
import dev.baton.config.TlsFiles;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * How a command calls the agents' REST APIs, as patronictl does: with {@code -c FILE}, the file's
 * {@code ctl} section (each unset value falling back to {@code restapi}'s); without it, the
 * {@code ctl} section the environment gives ({@code BATON_CTL_*}, {@code PATRONI_CTL_*}). Each
 * option here wins over both. Credentials and the key's password come only from the file or the
 * environment ({@code BATON_CTL_USERNAME}/{@code PASSWORD}, {@code BATON_CTL_KEYFILE_PASSWORD}),
 * never from argv, where other users of the machine could read them.
 */
public final class RestClientOptions {
    /** Connections to an agent must be established within this. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);

    @Option(names = "--cacert", paramLabel = "FILE",
            description = "CA certificate(s) the agents' REST API certificates are verified against (ctl.cacert).")
    Path cacert;

    @Option(names = "--certfile", paramLabel = "FILE",
            description = "Client certificate for the REST API, for verify_client (ctl.certfile).")
    Path certfile;

    @Option(names = "--keyfile", paramLabel = "FILE",
            description = "Its private key (ctl.keyfile; default: in --certfile). A password: BATON_CTL_KEYFILE_PASSWORD.")
    Path keyfile;

    @Option(names = {"-k", "--insecure"}, description = "Do not verify the agents' REST API certificates or host names "
            + "(ctl.insecure): encrypted, but anyone in the path can pose as an agent. Also before the command.")
    boolean insecure;

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    /** {@code -k} here, or given before the command ({@code baton -k list}, patronictl's place for it). */
    boolean insecure() {
        return insecure || (mixee != null && mixee.root().userObject() instanceof Baton b && b.insecure);
    }

    /** The settings for {@code cluster}'s {@code -c FILE} (or the environment), with these options applied. */
    RestClientSettings settings(ClusterSelection cluster, Map<String, String> env, PrintWriter err) {
        RestClientSettings base;
        Path file = cluster.config();
        if (file != null) {
            LoadResult r = new ConfigLoader(env).load(file);
            if (!r.ok()) {
                ConfigSupport.load(file, env, err); // exits 2 listing every error
            }
            base = RestClientSettings.of(r.config().ctl(), r.config().restapi());
        } else {
            CtlEnvironment.Result r = CtlEnvironment.read(env);
            if (!r.errors().isEmpty()) {
                StringBuilder sb = new StringBuilder("invalid REST client settings in the environment:");
                for (ConfigError e : r.errors()) {
                    sb.append("\n  ").append(e);
                }
                throw ExitException.badInput(sb.toString());
            }
            base = RestClientSettings.of(r.ctl(), null);
        }
        return apply(base);
    }

    /** {@code base} with each given option in place of its setting, named by the option. */
    RestClientSettings apply(RestClientSettings base) {
        TlsFiles t = base.tls();
        RestClientSettings.Names n = base.names();
        if (certfile != null) {
            t = new TlsFiles(certfile, keyfile, t.keyfilePassword(), t.cafile());
            n = new RestClientSettings.Names("--certfile", keyfile != null ? "--keyfile" : "--certfile",
                    n.keyfilePassword(), n.cafile(), n.authentication());
        } else if (keyfile != null) {
            throw ExitException.badInput("--keyfile: needs --certfile, the client certificate");
        }
        if (cacert != null) {
            t = new TlsFiles(t.certfile(), t.keyfile(), t.keyfilePassword(), cacert);
            n = new RestClientSettings.Names(n.certfile(), n.keyfile(), n.keyfilePassword(), "--cacert", n.authentication());
        }
        BasicAuth auth = base.authentication();
        return new RestClientSettings(t, base.insecure() || insecure(), auth, n);
    }

    /** The REST client of a command; key material that cannot be used is exit 2 naming its setting. */
    static AgentClient client(RestClientSettings s) {
        try {
            return AgentClient.create(s, CONNECT_TIMEOUT);
        } catch (ClientSetupException e) {
            throw ExitException.badInput(e.getMessage());
        }
    }

    /** The operator commands' access to the agents, for {@code cluster}. */
    AgentApi api(ClusterSelection cluster, PrintWriter err) {
        RestClientSettings s = settings(cluster, System.getenv(), err);
        return new AgentApi(client(s), s);
    }
}
