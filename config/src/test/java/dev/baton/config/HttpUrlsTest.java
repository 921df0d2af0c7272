package dev.baton.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class HttpUrlsTest {

    @ParameterizedTest
    @ValueSource(strings = {"http://h", "https://h:8443/x?y", "HTTPS://h", " http://127.0.0.1:4566 ", "http://[::1]:80"})
    void httpUrlsWithAHost(String text) {
        assertEquals(Optional.of(URI.create(text.trim())), HttpUrls.parse(text));
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "ftp://h", "h:80", "http://", "http:/h", "/path", "http://h x", "mailto:a@b"})
    void anythingElse(String text) {
        assertEquals(Optional.empty(), HttpUrls.parse(text));
    }
}
