package dev.baton.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;

/**
 * The one rule for endpoint URLs in configuration and on the command line (aws.endpoint_url,
 * aws.metadata_url, AWS_ENDPOINT_URL, --baton-url): http or https, with a host.
 */
public final class HttpUrls {
    private HttpUrls() {
    }

    /** {@code text} (trimmed) as an http:// or https:// URL with a host; empty for anything else, null too. */
    public static Optional<URI> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        try {
            URI u = new URI(text.trim());
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && u.getHost() != null) {
                return Optional.of(u);
            }
        } catch (URISyntaxException e) {
            // not a URL
        }
        return Optional.empty();
    }
}
