package dev.baton.aws.emulator;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.BiConsumer;

/** A minimal XML writer for the response bodies: elements, escaped text, nothing else. */
final class Xml {
    private final StringBuilder sb = new StringBuilder();
    private final Deque<String> open = new ArrayDeque<>();

    /** Opens {@code name} with a default namespace. */
    Xml open(String name, String namespace) {
        sb.append('<').append(name).append(" xmlns=\"").append(escape(namespace)).append("\">");
        open.push(name);
        return this;
    }

    /** Opens {@code name}; {@link #end()} closes it. */
    Xml open(String name) {
        sb.append('<').append(name).append('>');
        open.push(name);
        return this;
    }

    /** Closes the innermost open element. */
    Xml end() {
        sb.append("</").append(open.pop()).append('>');
        return this;
    }

    /** {@code <name>value</name>}; nothing at all when value is null. */
    Xml leaf(String name, Object value) {
        if (value != null) {
            sb.append('<').append(name).append('>').append(escape(value.toString())).append("</").append(name).append('>');
        }
        return this;
    }

    /** {@code <name>}, one element per item as {@code item} writes it, {@code </name>}. */
    <T> Xml list(String name, Iterable<T> items, BiConsumer<Xml, T> item) {
        open(name);
        for (T t : items) {
            item.accept(this, t);
        }
        return end();
    }

    /** {@code <name><member>v</member>...</name>}: a list of plain values, as the ELB APIs write them. */
    Xml members(String name, Iterable<?> values) {
        return list(name, values, (x, v) -> x.leaf("member", v));
    }

    /** An empty element {@code <name/>}. */
    Xml empty(String name) {
        sb.append('<').append(name).append("/>");
        return this;
    }

    @Override
    public String toString() {
        if (!open.isEmpty()) {
            throw new IllegalStateException("unclosed elements: " + open);
        }
        return sb.toString();
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&apos;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
