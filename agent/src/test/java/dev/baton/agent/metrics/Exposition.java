package dev.baton.agent.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A parsed Prometheus text exposition (format 0.0.4), for assertions. */
record Exposition(String text, List<Sample> samples, Map<String, String> types) {

    /** One line: a metric name, its labels and its value. */
    record Sample(String name, Map<String, String> labels, double value) {
        boolean has(String... pairs) {
            for (int i = 0; i < pairs.length; i += 2) {
                if (!pairs[i + 1].equals(labels.get(pairs[i]))) {
                    return false;
                }
            }
            return true;
        }
    }

    static Exposition parse(String text) {
        List<Sample> samples = new ArrayList<>();
        Map<String, String> types = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String[] p = line.split(" ");
                types.put(p[2], p[3]);
            }
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String name;
            Map<String, String> labels = new LinkedHashMap<>();
            int brace = line.indexOf('{');
            int end;
            if (brace >= 0) {
                name = line.substring(0, brace);
                int i = brace + 1;
                while (line.charAt(i) != '}') {
                    int eq = line.indexOf('=', i);
                    String key = line.substring(i, eq);
                    StringBuilder v = new StringBuilder();
                    int j = eq + 2;
                    while (line.charAt(j) != '"') {
                        char c = line.charAt(j);
                        if (c == '\\') {
                            char n = line.charAt(++j);
                            v.append(n == 'n' ? '\n' : n);
                        } else {
                            v.append(c);
                        }
                        j++;
                    }
                    labels.put(key, v.toString());
                    i = j + 1;
                    if (line.charAt(i) == ',') {
                        i++;
                    }
                }
                end = i + 1;
            } else {
                end = line.indexOf(' ');
                name = line.substring(0, end);
            }
            String rest = line.substring(end).trim().split(" ")[0];
            double value = switch (rest) {
                case "+Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                case "NaN" -> Double.NaN;
                default -> Double.parseDouble(rest);
            };
            samples.add(new Sample(name, labels, value));
        }
        return new Exposition(text, samples, types);
    }

    Set<String> names() {
        Set<String> out = new LinkedHashSet<>();
        samples.forEach(s -> out.add(s.name()));
        return out;
    }

    List<Sample> all(String name, String... pairs) {
        return samples.stream().filter(s -> s.name().equals(name) && s.has(pairs)).toList();
    }

    Optional<Double> find(String name, String... pairs) {
        List<Sample> l = all(name, pairs);
        if (l.size() > 1) {
            throw new AssertionError("more than one series " + name + " " + List.of(pairs) + ": " + l);
        }
        return l.stream().findFirst().map(Sample::value);
    }

    double value(String name, String... pairs) {
        return find(name, pairs).orElseThrow(() -> new AssertionError("no series " + name + " " + List.of(pairs)
                + " in\n" + text));
    }
}
