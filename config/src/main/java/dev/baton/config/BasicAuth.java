package dev.baton.config;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** HTTP Basic credentials: {@code restapi.authentication} and {@code ctl.authentication}. */
public record BasicAuth(String username, String password) {
    public BasicAuth {
        if (username == null || password == null) {
            throw new IllegalArgumentException("Basic authentication needs a username and a password");
        }
    }

    /** The {@code Authorization} header value. */
    public String header() {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** Never reveals the password. */
    @Override
    public String toString() {
        return "BasicAuth[username=" + username + ", password=****]";
    }
}
