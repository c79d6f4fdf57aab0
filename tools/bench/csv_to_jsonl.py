"""The hand-written peer: CSV to JSON Lines with Python's standard library, the
kind of script ingestd replaces. Types are not inferred (every value a string),
which flatters the script."""
import csv
import json
import sys

with open(sys.argv[1], newline="", encoding="utf-8") as src, open(sys.argv[2], "w", encoding="utf-8") as dst:
    for row in csv.DictReader(src):
        dst.write(json.dumps(row, ensure_ascii=False))
        dst.write("\n")
