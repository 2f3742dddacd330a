#!/usr/bin/env python3
"""Normal form of a pprof output that Go 1.19 pprof itself prints differently from run to run
(COMMANDS.tsv runs_distinct > 1): node ids in DOT are replaced by the node's label, then lines are
sorted, so two outputs compare equal when they hold the same nodes and edges in any order.
usage: unordered.py FILE"""
import re
import sys

text = open(sys.argv[1], 'rb').read().decode('utf-8', 'surrogateescape')
labels = dict(re.findall(r'^(N\d+(?:_\d+)?) \[label ?= ?"((?:[^"\\]|\\.)*)"', text, re.M))
def name(m):
    return labels.get(m.group(0), m.group(0))
lines = [re.sub(r'\bN\d+(?:_\d+)?\b', name, line) for line in text.split('\n')]
sys.stdout.write('\n'.join(sorted(lines)).encode('utf-8', 'surrogateescape').decode('utf-8', 'surrogateescape'))
