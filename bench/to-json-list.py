#!/usr/bin/env python3
"""Turn a multi-document YAML stream into one List as `kubectl get -o json` prints it (Go's
json.MarshalIndent with four spaces, keys sorted), written an item at a time.

usage: to-json-list.py < objects.yaml > dump.json
"""
import json
import sys

import yaml

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
out = sys.stdout
out.write('{\n    "apiVersion": "v1",\n    "items": [\n')
first = True
for doc in yaml.load_all(sys.stdin, Loader=Loader):
    if not isinstance(doc, dict):
        continue
    if not first:
        out.write(",\n")
    first = False
    text = json.dumps(doc, indent=4, sort_keys=True, ensure_ascii=False)
    out.write("\n".join("        " + line for line in text.split("\n")))
out.write('\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n')
