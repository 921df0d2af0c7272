package dev.baton.cli.drill;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The drill's picture, written by hand as SVG: for each iteration a panel of acknowledged writes
 * per 100 ms over time (stacked by the member that acknowledged them), with the fault, the
 * detection, the promotion, the first write on the new primary, the heal, the rejoin and the
 * moment the cluster was whole again marked, and any split brain shaded.
 */
public final class SvgChart {
    private static final int WIDTH = 960;
    private static final int PANEL = 285;
    private static final int HEADER = 56;
    private static final String[] MARKERS = {"fault", "leader-gone", "promotion", "first-write", "heal", "rejoined", "whole"};
    private static final int LEFT = 56;
    private static final int RIGHT = 24;
    private static final int TOP = 100;
    private static final int PLOT = 140;
    private static final String[] COLORS = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948",
        "#ff9da7", "#9c755f", "#bab0ac"};

    private SvgChart() {
    }

    /** One panel per iteration that injected its fault, stacked, under {@code title} and {@code subtitle}. */
    public static String render(String title, String subtitle, List<IterationResult> results) {
        List<IterationResult> shown = new ArrayList<>();
        for (IterationResult r : results) {
            if (r.figures() != null) {
                shown.add(r);
            }
        }
        List<String> servers = new ArrayList<>();
        for (IterationResult r : shown) {
            for (String s : r.perBucket().keySet()) {
                if (!servers.contains(s)) {
                    servers.add(s);
                }
            }
        }
        servers.sort(String::compareTo);
        int height = HEADER + Math.max(1, shown.size()) * PANEL;
        StringBuilder sb = new StringBuilder();
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"")
                .append(height).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(height)
                .append("\" font-family=\"sans-serif\" font-size=\"11\">\n");
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        text(sb, LEFT, 22, "start", "font-size=\"15\" font-weight=\"bold\"", title);
        text(sb, LEFT, 40, "start", "fill=\"#555555\"", subtitle);
        if (shown.isEmpty()) {
            text(sb, LEFT, HEADER + 30, "start", "", "(no iteration injected its fault)");
        }
        for (int i = 0; i < shown.size(); i++) {
            panel(sb, shown.get(i), HEADER + i * PANEL, servers);
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static void panel(StringBuilder sb, IterationResult r, int y0, List<String> servers) {
        DrillAnalysis.Figures f = r.figures();
        int n = 1;
        for (int[] c : r.perBucket().values()) {
            n = Math.max(n, c.length);
        }
        int max = 1;
        for (int i = 0; i < n; i++) {
            int sum = 0;
            for (int[] c : r.perBucket().values()) {
                sum += i < c.length ? c[i] : 0;
            }
            max = Math.max(max, sum);
        }
        int yMax = niceCeil(max);
        double plotW = WIDTH - LEFT - RIGHT;
        double barW = plotW / n;
        int base = y0 + TOP + PLOT;
        long from = r.chartFrom();
        long span = n * r.bucketNanos();
        String head = r.tag() + ": " + r.oldPrimary() + (r.newPrimary() == null ? " -> cluster not whole again"
                : r.newPrimary().equals(r.oldPrimary()) ? " stays primary" : " -> " + r.newPrimary())
                + "   unavailable " + secs(f.unavailableS()) + "   lost " + f.lostWrites()
                + "   split brain: " + (f.splitBrain().isPresent() ? "YES" : "no");
        text(sb, LEFT, y0 + 18, "start", "font-size=\"13\" font-weight=\"bold\"", head);
        // legend
        int lx = LEFT;
        for (String s : servers) {
            sb.append("<rect x=\"").append(lx).append("\" y=\"").append(y0 + 26).append("\" width=\"10\" height=\"10\" fill=\"")
                    .append(color(s, servers)).append("\"/>\n");
            text(sb, lx + 14, y0 + 35, "start", "", "writes acknowledged by " + s);
            lx += 30 + 6 * ("writes acknowledged by " + s).length();
        }
        // the markers' legend
        int mx = LEFT;
        for (String kind : MARKERS) {
            String c = markerColor(kind);
            sb.append("<line x1=\"").append(mx).append("\" y1=\"").append(y0 + 48).append("\" x2=\"").append(mx + 14)
                    .append("\" y2=\"").append(y0 + 48).append("\" stroke=\"").append(c).append("\" stroke-width=\"2\"")
                    .append(kind.equals("fault") ? "" : " stroke-dasharray=\"4 3\"").append("/>\n");
            text(sb, mx + 18, y0 + 52, "start", "", markerLabel(kind));
            mx += 34 + 6 * markerLabel(kind).length();
        }
        // bars
        for (int i = 0; i < n; i++) {
            double y = base;
            for (String s : servers) {
                int[] c = r.perBucket().get(s);
                int v = c == null || i >= c.length ? 0 : c[i];
                if (v == 0) {
                    continue;
                }
                double h = (double) v / yMax * PLOT;
                y -= h;
                sb.append("<rect x=\"").append(fmt(LEFT + i * barW)).append("\" y=\"").append(fmt(y)).append("\" width=\"")
                        .append(fmt(Math.max(0.5, barW - 0.3))).append("\" height=\"").append(fmt(h)).append("\" fill=\"")
                        .append(color(s, servers)).append("\"/>\n");
            }
        }
        // split brain
        f.splitBrain().ifPresent(b -> {
            double x1 = x(b.laterFirstAck(), from, span, plotW);
            double x2 = Math.max(x1 + 2, x(b.lastOverlapAck(), from, span, plotW));
            sb.append("<rect x=\"").append(fmt(x1)).append("\" y=\"").append(y0 + TOP).append("\" width=\"")
                    .append(fmt(x2 - x1)).append("\" height=\"").append(PLOT)
                    .append("\" fill=\"#d62728\" fill-opacity=\"0.35\"><title>split brain: ").append(esc(b.earlier()))
                    .append(" and ").append(esc(b.later())).append(" both accepted writes</title></rect>\n");
            text(sb, (int) Math.round(x1) + 2, y0 + TOP + 12, "start", "fill=\"#d62728\" font-weight=\"bold\"",
                    "split brain");
        });
        // axes
        sb.append("<line x1=\"").append(LEFT).append("\" y1=\"").append(base).append("\" x2=\"").append(WIDTH - RIGHT)
                .append("\" y2=\"").append(base).append("\" stroke=\"black\"/>\n");
        sb.append("<line x1=\"").append(LEFT).append("\" y1=\"").append(y0 + TOP).append("\" x2=\"").append(LEFT)
                .append("\" y2=\"").append(base).append("\" stroke=\"black\"/>\n");
        for (int v : new int[] {0, yMax / 2, yMax}) {
            double y = base - (double) v / yMax * PLOT;
            text(sb, LEFT - 4, (int) y + 4, "end", "", Integer.toString(v));
        }
        text(sb, 14, base - PLOT / 2, "middle", "transform=\"rotate(-90 14 " + (base - PLOT / 2) + ")\"", "writes / 100 ms");
        double first = (from - r.faultAt()) / 1e9;
        double last = first + span / 1e9;
        double step = tickStep(last - first);
        for (double t = Math.ceil(first / step) * step; t <= last + 1e-9; t += step) {
            double x = LEFT + (t - first) / (last - first) * plotW;
            sb.append("<line x1=\"").append(fmt(x)).append("\" y1=\"").append(base).append("\" x2=\"").append(fmt(x))
                    .append("\" y2=\"").append(base + 4).append("\" stroke=\"black\"/>\n");
            text(sb, (int) Math.round(x), base + 16, "middle", "", (Math.abs(t) < 1e-9 ? "0" : String.format(Locale.ROOT,
                    step < 1 ? "%+.1f" : "%+.0f", t)));
        }
        text(sb, WIDTH - RIGHT, base + 30, "end", "", "seconds since the fault");
        // markers, their labels on the lowest of four rows where they do not overlap an earlier one
        double[] rowEnd = {-1e9, -1e9, -1e9, -1e9};
        for (IterationResult.Event e : r.events()) {
            String c = markerColor(e.kind());
            if (c == null) {
                continue;
            }
            double x = x(e.at(), from, span, plotW);
            if (x < LEFT || x > WIDTH - RIGHT) {
                continue;
            }
            sb.append("<line x1=\"").append(fmt(x)).append("\" y1=\"").append(y0 + TOP - 4).append("\" x2=\"").append(fmt(x))
                    .append("\" y2=\"").append(base).append("\" stroke=\"").append(c).append("\" stroke-width=\"1.5\"")
                    .append(e.kind().equals("fault") ? "" : " stroke-dasharray=\"4 3\"").append("><title>")
                    .append(esc(String.format(Locale.ROOT, "%+.2f s: %s", (e.at() - r.faultAt()) / 1e9, e.text())))
                    .append("</title></line>\n");
            String label = markerLabel(e.kind());
            double w = 6.2 * label.length();
            boolean right = x > WIDTH - RIGHT - w - 4;
            double from0 = right ? x - 2 - w : x + 2;
            int row = 0;
            for (int i = 0; i < rowEnd.length; i++) {
                if (from0 > rowEnd[i] + 4) {
                    row = i;
                    break;
                }
                if (rowEnd[i] < rowEnd[row]) {
                    row = i;
                }
            }
            rowEnd[row] = from0 + w;
            text(sb, (int) Math.round(right ? x - 2 : x + 2), y0 + TOP - 6 - row * 11, right ? "end" : "start",
                    "fill=\"" + c + "\"", label);
        }
    }

    private static double x(long at, long from, long span, double plotW) {
        return LEFT + (double) (at - from) / span * plotW;
    }

    private static String markerColor(String kind) {
        return switch (kind) {
            case "fault" -> "#d62728";
            case "leader-gone" -> "#e377c2";
            case "promotion" -> "#1f77b4";
            case "first-write" -> "#2ca02c";
            case "heal" -> "#9467bd";
            case "rejoined" -> "#8c564b";
            case "whole" -> "#7f7f7f";
            default -> null;
        };
    }

    private static String markerLabel(String kind) {
        return switch (kind) {
            case "leader-gone" -> "leader key gone";
            case "first-write" -> "first write";
            case "rejoined" -> "rejoin";
            default -> kind;
        };
    }

    private static String color(String server, List<String> servers) {
        int i = servers.indexOf(server);
        return i >= 0 && i < COLORS.length ? COLORS[i] : "#999999";
    }

    private static int niceCeil(int v) {
        for (int c : new int[] {2, 4, 10, 20, 40, 50, 100, 200, 400, 500, 1000, 2000, 5000, 10000}) {
            if (v <= c) {
                return c;
            }
        }
        return v;
    }

    private static double tickStep(double range) {
        for (double s : new double[] {0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300}) {
            if (range / s <= 16) {
                return s;
            }
        }
        return 600;
    }

    private static void text(StringBuilder sb, int x, int y, String anchor, String extra, String s) {
        sb.append("<text x=\"").append(x).append("\" y=\"").append(y).append("\" text-anchor=\"").append(anchor).append('"');
        if (!extra.isEmpty()) {
            sb.append(' ').append(extra);
        }
        sb.append('>').append(esc(s)).append("</text>\n");
    }

    private static String secs(Double s) {
        return s == null ? "n/a" : String.format(Locale.ROOT, "%.2f s", s);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static String esc(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                default -> {
                    if (c >= 0x20 || c == '\n' || c == '\t') {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }
}
