#!/usr/bin/env python3
"""Renders deploy/grafana/baton.json to a PNG from a live Prometheus, without Grafana.

Grafana is not packaged in Debian, so the screenshot in docs/observability.md is drawn by this
script: it runs every query of the dashboard against Prometheus's HTTP API (query_range for
graphs, query for stats and the table) and lays the panels out on the dashboard's own grid.
Needs python3-matplotlib (Debian). Usage:

  python3 render_dashboard.py --prometheus http://127.0.0.1:9090 --scope demo \
      --start 1700000000 --end 1700000600 --out baton-dashboard.png
"""
import argparse
import datetime
import json
import math
import os
import re
import sys
import urllib.parse
import urllib.request

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

BG, PANEL, TEXT, GRID, DIM = "#111217", "#181b1f", "#ccccdc", "#2c3235", "#8e8e9e"
PALETTE = ["#73bf69", "#f2cc0c", "#5794f2", "#ff9830", "#f2495c", "#b877d9", "#8ab8ff", "#ffb357", "#96d98d"]
COLORS = {"green": "#73bf69", "red": "#f2495c", "orange": "#ff9830", "blue": "#5794f2", "yellow": "#fade2a"}


def color(name):
    return COLORS.get(name, name)


class Prom:
    def __init__(self, url, scope, start, end, step, rate_interval):
        self.url, self.scope, self.start, self.end, self.step = url.rstrip("/"), scope, start, end, step
        self.rate_interval = rate_interval

    def expr(self, e):
        return e.replace("$scope", self.scope).replace("$__rate_interval", self.rate_interval)

    def _get(self, path, params):
        with urllib.request.urlopen(self.url + path + "?" + urllib.parse.urlencode(params), timeout=30) as r:
            body = json.load(r)
        if body.get("status") != "success":
            raise RuntimeError(f"{params}: {body}")
        return body["data"]["result"]

    def range(self, e):
        return self._get("/api/v1/query_range", {"query": self.expr(e), "start": self.start, "end": self.end,
                                                  "step": self.step})

    def instant(self, e):
        return self._get("/api/v1/query", {"query": self.expr(e), "time": self.end})


def legend(fmt, metric):
    if not fmt:
        return ",".join(f"{k}={v}" for k, v in metric.items() if k != "__name__") or "value"
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: metric.get(m.group(1), ""), fmt)


def human(v, unit):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if unit == "bytes":
        for u in ["B", "KiB", "MiB", "GiB", "TiB"]:
            if abs(v) < 1024 or u == "TiB":
                return f"{v:.0f} {u}" if u == "B" else f"{v:.1f} {u}"
            v /= 1024
    if unit == "Bps":
        return human(v, "bytes") + "/s"
    if unit == "s":
        if v == 0:
            return "0 s"
        return f"{v * 1000:.1f} ms" if abs(v) < 1 else f"{v:.1f} s"
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.2f}"


def mapped(value, mappings):
    for m in mappings or []:
        if m.get("type") == "value":
            key = str(int(value)) if float(value).is_integer() else str(value)
            if key in m["options"]:
                return m["options"][key].get("text"), m["options"][key].get("color")
        if m.get("type") == "range":
            o = m["options"]
            if o["from"] <= value <= o["to"]:
                return o["result"].get("text"), o["result"].get("color")
    return None, None


def axes_for(fig, grid, total_h, pad=0.004):
    x, y, w, h = grid["x"], grid["y"], grid["w"], grid["h"]
    left = x / 24 + pad
    width = w / 24 - 2 * pad
    bottom = 1 - (y + h) / total_h + pad
    height = h / total_h - 2 * pad
    return left, bottom, width, height


def panel_frame(fig, rect, title):
    bg = fig.add_axes(rect)
    bg.set_facecolor(PANEL)
    bg.set_xticks([])
    bg.set_yticks([])
    for s in bg.spines.values():
        s.set_color(GRID)
    bg.text(0.01, 0.97, title, transform=bg.transAxes, color=TEXT, fontsize=9, va="top", fontweight="bold")
    return bg


def inner(fig, rect, top=0.22, bottom=0.18, left=0.07, right=0.02):
    l, b, w, h = rect
    return fig.add_axes([l + w * left, b + h * bottom, w * (1 - left - right), h * (1 - top - bottom)])


TIME_FMT = "%H:%M"


def style(ax, unit):
    ax.set_facecolor(PANEL)
    ax.tick_params(colors=DIM, labelsize=7)
    for s in ax.spines.values():
        s.set_visible(False)
    ax.grid(True, color=GRID, linewidth=0.5)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=8))
    ax.xaxis.set_major_formatter(mdates.DateFormatter(TIME_FMT))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: human(v, unit)))


def times(values):
    return [datetime.datetime.fromtimestamp(float(t), datetime.timezone.utc) for t, _ in values]


def draw_annotations(ax, marks):
    for t, label in marks:
        ax.axvline(t, color=COLORS["red"], linestyle="--", linewidth=0.9, alpha=0.9)


def timeseries(fig, rect, p, prom, marks):
    unit = p["fieldConfig"]["defaults"].get("unit", "short")
    ax = inner(fig, rect, bottom=0.28)
    style(ax, unit)
    dashed = {o["matcher"]["options"] for o in p["fieldConfig"].get("overrides", [])
              if any(pr["id"] == "custom.lineStyle" for pr in o["properties"])}
    bars = p["fieldConfig"]["defaults"]["custom"].get("drawStyle") == "bars"
    n = 0
    handles = []
    for t in p["targets"]:
        for series in prom.range(t["expr"]):
            name = legend(t.get("legendFormat"), series["metric"])
            xs = times(series["values"])
            ys = [float(v) for _, v in series["values"]]
            c = COLORS["red"] if name in dashed else PALETTE[n % len(PALETTE)]
            n += 1
            if bars:
                h = ax.bar(xs, ys, width=prom.step / 86400 * 0.9, color=c, label=name)
            else:
                (h,) = ax.plot(xs, ys, color=c, linewidth=1.2, linestyle="--" if name in dashed else "-", label=name)
                if name not in dashed:
                    ax.fill_between(xs, ys, color=c, alpha=0.08)
            handles.append(h)
    ax.set_xlim(datetime.datetime.fromtimestamp(prom.start, datetime.timezone.utc),
                datetime.datetime.fromtimestamp(prom.end, datetime.timezone.utc))
    ax.set_ylim(bottom=0)
    draw_annotations(ax, marks)
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, -0.12), ncol=min(4, len(handles)),
                  fontsize=7, frameon=False, labelcolor=TEXT, handlelength=1.2)
    else:
        ax.text(0.5, 0.5, "No data", transform=ax.transAxes, color=DIM, ha="center")


def state_timeline(fig, rect, p, prom, marks):
    mappings = p["fieldConfig"]["defaults"]["mappings"]
    ax = inner(fig, rect, left=0.07, bottom=0.12)
    ax.set_facecolor(PANEL)
    ax.tick_params(colors=DIM, labelsize=7)
    for s in ax.spines.values():
        s.set_visible(False)
    rows = []
    for t in p["targets"]:
        for series in prom.range(t["expr"]):
            rows.append((legend(t.get("legendFormat"), series["metric"]), series["values"]))
    rows.sort()
    for i, (name, values) in enumerate(rows):
        # Segments of equal value; a gap of more than 3 steps (no scrape) ends a segment.
        segments = []
        for t_, v in values:
            t_, text_color = float(t_), mapped(float(v), mappings)
            if segments and segments[-1][2] == text_color and t_ - segments[-1][1] <= 3 * prom.step:
                segments[-1][1] = t_ + prom.step
            else:
                segments.append([t_, t_ + prom.step, text_color])
        for start, end, (text, c) in segments:
            x0 = mdates.date2num(datetime.datetime.fromtimestamp(start, datetime.timezone.utc))
            ax.add_patch(Rectangle((x0, i + 0.1), (end - start) / 86400, 0.8, color=color(c or "#808080"),
                                   linewidth=0))
            if text and end - start > (prom.end - prom.start) / 15:
                mid = datetime.datetime.fromtimestamp((start + end) / 2, datetime.timezone.utc)
                ax.text(mdates.date2num(mid), i + 0.5, text, color="black", fontsize=8, ha="center", va="center")
    ax.set_ylim(0, max(1, len(rows)))
    ax.set_yticks([i + 0.5 for i in range(len(rows))])
    ax.set_yticklabels([r[0] for r in rows], color=TEXT, fontsize=8)
    ax.set_xlim(datetime.datetime.fromtimestamp(prom.start, datetime.timezone.utc),
                datetime.datetime.fromtimestamp(prom.end, datetime.timezone.utc))
    ax.xaxis_date()
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=10))
    ax.xaxis.set_major_formatter(mdates.DateFormatter(TIME_FMT))
    draw_annotations(ax, marks)
    for m, lbl in marks:
        ax.text(m, -0.02, " " + lbl, color=COLORS["red"], fontsize=8, va="top", fontweight="bold",
                transform=matplotlib.transforms.blended_transform_factory(ax.transData, ax.transAxes))


def stat(fig, rect, p, prom, bg):
    d = p["fieldConfig"]["defaults"]
    unit, mappings = d.get("unit", "none"), d.get("mappings")
    steps = d.get("thresholds", {}).get("steps", [])
    results = []
    for t in p["targets"]:
        results += [(legend(t.get("legendFormat"), r["metric"]), float(r["value"][1])) for r in prom.instant(t["expr"])]
    if not results:
        text, c = "No data", DIM
    elif p["options"].get("textMode") == "name":
        text, c = ", ".join(n for n, _ in results), COLORS["green"]
    else:
        v = results[0][1]
        text, c = mapped(v, mappings)
        if text is None:
            text = human(v, unit)
            c = None
            for s in steps:
                if s["value"] is None or v >= s["value"]:
                    c = s["color"]
        c = color(c or "green")
    bg.text(0.5, 0.42, text, transform=bg.transAxes, color=c, fontsize=18, ha="center", va="center",
            fontweight="bold")


def table(fig, rect, p, prom, bg):
    rows = {}
    for t in p["targets"]:
        for r in prom.instant(t["expr"]):
            m = r["metric"]
            row = rows.setdefault(m.get("member", "?"), {})
            if "sentence" in m:
                row["Last decision"] = m["sentence"]
            elif "role" in m:
                row["Role"] = m["role"]
            else:
                row["Lease remaining (s)"] = f"{float(r['value'][1]):.1f}"
    cols = ["Member", "Role", "Lease remaining (s)", "Last decision"]
    xs = [0.01, 0.1, 0.19, 0.32]
    for x, c in zip(xs, cols):
        bg.text(x, 0.78, c, transform=bg.transAxes, color=DIM, fontsize=8, fontweight="bold")
    for i, member in enumerate(sorted(rows)):
        y = 0.62 - i * 0.16
        vals = [member, rows[member].get("Role", "stopped"), rows[member].get("Lease remaining (s)", ""),
                rows[member].get("Last decision", "")]
        for x, v in zip(xs, vals):
            bg.text(x, y, v, transform=bg.transAxes, color=TEXT, fontsize=8)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prometheus", required=True)
    ap.add_argument("--scope", required=True)
    ap.add_argument("--start", type=float, required=True)
    ap.add_argument("--end", type=float, required=True)
    ap.add_argument("--step", type=float, default=2)
    ap.add_argument("--rate-interval", default="15s")
    ap.add_argument("--dashboard", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "baton.json"))
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    global TIME_FMT
    TIME_FMT = "%H:%M:%S" if a.end - a.start <= 1800 else "%H:%M"
    dash = json.load(open(a.dashboard))
    prom = Prom(a.prometheus, a.scope, a.start, a.end, a.step, a.rate_interval)

    marks = []
    for ann in dash["annotations"]["list"]:
        if "expr" not in ann or "promot" not in ann["expr"]:
            continue
        for series in prom.range(ann["expr"]):
            prev = -1e18
            for t, v in series["values"]:
                if float(v) > 0 and float(t) - prev > 60:
                    marks.append((datetime.datetime.fromtimestamp(float(t), datetime.timezone.utc),
                                  legend(ann["titleFormat"], series["metric"])))
                    prev = float(t)

    panels = dash["panels"]
    header = 1
    total_h = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels) + header
    fig = plt.figure(figsize=(20, total_h * 0.42), facecolor=BG)
    fig.text(0.005, 1 - 0.5 / total_h, f"{dash['title']}  ·  cluster {a.scope}  ·  "
             + datetime.datetime.fromtimestamp(a.start, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
             + " to " + datetime.datetime.fromtimestamp(a.end, datetime.timezone.utc).strftime("%H:%M UTC")
             + "  ·  red dashed lines: promotions (baton_promotions_total)",
             color=TEXT, fontsize=12, va="center", fontweight="bold")
    for p in panels:
        rect = axes_for(fig, dict(p["gridPos"], y=p["gridPos"]["y"] + header), total_h)
        if p["type"] == "row":
            fig.text(rect[0], rect[1] + rect[3] / 2, "▾ " + p["title"], color=TEXT, fontsize=11, va="center",
                     fontweight="bold")
            continue
        bg = panel_frame(fig, rect, p["title"])
        try:
            if p["type"] == "timeseries":
                timeseries(fig, rect, p, prom, marks)
            elif p["type"] == "state-timeline":
                state_timeline(fig, rect, p, prom, marks)
            elif p["type"] == "stat":
                stat(fig, rect, p, prom, bg)
            elif p["type"] == "table":
                table(fig, rect, p, prom, bg)
        except Exception as e:  # one broken panel must not hide the others
            bg.text(0.5, 0.5, f"error: {e}", transform=bg.transAxes, color=COLORS["red"], ha="center", fontsize=7)
            print(f"panel {p['title']}: {e}", file=sys.stderr)
    fig.savefig(a.out, dpi=80, facecolor=BG)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
