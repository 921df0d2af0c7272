package dev.baton.cli.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class DsnTest {

    @Test
    void aJdbcUrlKeepsItsParametersAndGivesUpUserAndPassword() {
        Dsn d = Dsn.parse("jdbc:postgresql://lb:5000/app?user=u&password=p%26q&sslmode=require", "postgres", "x");
        assertEquals("jdbc:postgresql://lb:5000/app?sslmode=require", d.jdbcUrl());
        assertEquals("u", d.user());
        assertEquals("p&q", d.password());
        assertEquals("app", d.database());
        assertFalse(d.display().contains("p&q"));
    }

    @Test
    void aLibpqUri() {
        Dsn d = Dsn.parse("postgresql://alice:s%40cret@10.0.0.5:5000/shop?application_name=x", null, null);
        assertEquals("jdbc:postgresql://10.0.0.5:5000/shop?application_name=x", d.jdbcUrl());
        assertEquals("alice", d.user());
        assertEquals("s@cret", d.password());
        Dsn bare = Dsn.parse("postgres://lb", "postgres", "pw");
        assertEquals("jdbc:postgresql://lb/postgres", bare.jdbcUrl());
        assertEquals("pw", bare.password());
    }

    @Test
    void libpqKeyValuePairs() {
        Dsn d = Dsn.parse("host=lb port=5000 dbname=app user=bob password='a b\\'c' sslmode=disable", "postgres", "x");
        assertEquals("jdbc:postgresql://lb:5000/app?sslmode=disable", d.jdbcUrl());
        assertEquals("bob", d.user());
        assertEquals("a b'c", d.password());
        Dsn defaults = Dsn.parse("host=lb", "postgres", "secret");
        assertEquals("jdbc:postgresql://lb/postgres", defaults.jdbcUrl());
        assertEquals("postgres", defaults.user());
        assertEquals("secret", defaults.password());
    }

    @Test
    void nonsenseIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Dsn.parse("lb:5000", null, null));
        assertThrows(IllegalArgumentException.class, () -> Dsn.parse("", null, null));
        assertThrows(IllegalArgumentException.class, () -> Dsn.parse("port=5000", null, null));
        assertThrows(IllegalArgumentException.class, () -> Dsn.parse("jdbc:postgresql://u@lb/x", null, null));
    }
}
