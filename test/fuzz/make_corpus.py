#!/usr/bin/python3
"""Regenerates test/fuzz/corpus/ from the inputs of the parser's unit-test tables.

Usage: /usr/bin/python3 test/fuzz/make_corpus.py
Takes the first string literal of every table row in test/unit/parse/*_test.cpp, decodes the C++
escapes, and writes one small file per input (plus a few packed datagrams)."""
import glob
import hashlib
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "test", "fuzz", "corpus")
ROW = re.compile(r'^\s*\{"((?:[^"\\]|\\.)*)"')
ESCAPE = re.compile(rb'\\(x[0-9a-fA-F]{2}|[\\"nrt0])')


def decode(literal):
    def one(match):
        code = match.group(1)
        if code.startswith(b"x"):
            return bytes([int(code[1:], 16)])
        return {b"\\": b"\\", b'"': b'"', b"n": b"\n", b"r": b"\r", b"t": b"\t", b"0": b"\0"}[code]

    return ESCAPE.sub(one, literal.encode("utf-8"))


def main():
    inputs = set()
    for path in sorted(glob.glob(os.path.join(ROOT, "test", "unit", "parse", "*_test.cpp"))):
        with open(path, encoding="utf-8") as source:
            for line in source:
                match = ROW.match(line)
                if match:
                    inputs.add(decode(match.group(1)))
    packed = [
        b"page.views:1|c|#route:home\nqueue:3|g\r\n_e{5,4}:title|text|#a\n_sc|db|0|m:ok\n",
        b"x:1:2:3|h|@0.5|#a,b,c|T1700000000\ny:0x1p-2|d\nu:a:b|s\n\nbad\n",
    ]
    inputs.update(packed)
    os.makedirs(OUT, exist_ok=True)
    for old in glob.glob(os.path.join(OUT, "*")):
        os.remove(old)
    for data in sorted(inputs):
        if not data:
            continue
        name = hashlib.sha1(data).hexdigest()[:16]
        with open(os.path.join(OUT, name), "wb") as target:
            target.write(data)
    print(f"{len(os.listdir(OUT))} seeds in {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
