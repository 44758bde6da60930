#!/usr/bin/awk -f
# Turn a multi-document YAML stream (documents separated by `---` lines, as bench/generate.py
# writes) into one List as `kubectl get -o yaml` prints it: `apiVersion: v1`, `items:`, each
# object as an entry at column 0, then `kind: List`. Streams: any size.
#   awk -f bench/to-yaml-list.awk objects.yaml > dump.yaml
BEGIN { print "apiVersion: v1"; print "items:"; first = 1 }
/^---/ { first = 1; next }
/^[[:space:]]*$/ { next }
{ if (first) { print "- " $0; first = 0 } else { print "  " $0 } }
END { print "kind: List"; print "metadata:"; print "  resourceVersion: \"\"" }
