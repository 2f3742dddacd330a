#!/usr/bin/env python3
"""graphcheck: compares a laid-out graph with the DOT text it was drawn from.

  graphcheck.py [--nolabels] DOT (--json API.json | --svg FILE)

The SVG (the "svg" field of /api/graph, or a -svg file) must parse as XML, draw one node per
DOT node (titles N1..Nk) whose text lines are the DOT label's lines, and as many edges as the
DOT has. With --json the node table must name the same nodes, in order. Prints what differs
and exits 1. --nolabels skips the label text: Graphviz decodes HTML entities in labels and the
SVG shows control characters and invalid UTF-8 as U+FFFD, so hostile names do not round-trip.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def dot_nodes(text):
    nodes = {}
    for m in re.finditer(r'^(N\d+) \[label="((?:[^"\\]|\\.)*)"', text, re.M):
        lines = re.split(r"\\[nlr]", m.group(2))
        lines = [re.sub(r"\\(.)", r"\1", l).strip() for l in lines]
        nodes[m.group(1)] = [l for l in lines if l]
    edges = len(re.findall(r"^N\w+ -> N\w+", text, re.M))  # nodelet edges too
    return nodes, edges


def main():
    labels = True
    if sys.argv[1] == "--nolabels":
        labels = False
        del sys.argv[1]
    dot = open(sys.argv[1], encoding="utf-8", errors="replace").read()
    if sys.argv[2] == "--json":
        doc = json.load(open(sys.argv[3]))
        svg_text = doc["svg"]
    else:
        doc = None
        svg_text = open(sys.argv[3], encoding="utf-8").read()
    bad = []
    try:
        root = ET.fromstring(svg_text.encode("utf-8"))
    except ET.ParseError as e:
        print("SVG is not well-formed XML: %s" % e)
        return 1
    if root.tag != NS + "svg":
        bad.append("root is %s" % root.tag)
    if doc is not None and ("width" in root.attrib or "height" in root.attrib):
        bad.append("inline SVG has width/height")
    for e in root.iter():
        if e.tag in (NS + "script", NS + "foreignObject") or any(k.startswith("on") for k in e.attrib):
            bad.append("active content: %s" % e.tag)
    want, want_edges = dot_nodes(dot)
    got = {}
    edges = 0
    for g in root.iter(NS + "g"):
        cls = g.get("class")
        if cls == "edge":
            edges += 1
        if cls != "node":
            continue
        title = g.find(NS + "title")
        if title is None or not re.fullmatch(r"N\d+", title.text or ""):
            continue
        got[title.text] = [(t.text or "").strip() for t in g.iter(NS + "text") if (t.text or "").strip()]
    if set(got) != set(want):
        bad.append("nodes: SVG %d, DOT %d" % (len(got), len(want)))
    for k in sorted(want, key=lambda s: int(s[1:])):
        if labels and k in got and got[k] != want[k]:
            bad.append("%s: SVG %r, DOT %r" % (k, got[k], want[k]))
    if edges != want_edges:
        bad.append("edges: SVG %d, DOT %d" % (edges, want_edges))
    if doc is not None:
        ids = [n["id"] for n in doc["nodes"]]
        if ids != ["N%d" % (i + 1) for i in range(len(want))]:
            bad.append("node table ids %s" % ids[:5])
        if doc.get("edges") != want_edges:
            bad.append("edges field %s, DOT %d" % (doc.get("edges"), want_edges))
    for b in bad[:10]:
        print(b)
    return 1 if bad else 0


sys.exit(main())
