#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check the :ref: and :doc: targets of some rst pages against the whole
Documentation/ tree (run from the top of a kernel tree).

A Sphinx build limited with SPHINXDIRS cannot resolve references that
cross from one directory into another; this resolves them by hand.
Prints each target that does not exist; exit status 1 if any.
"""
import os
import re
import sys

ROLE = re.compile(r':(ref|doc):`([^`]*)`')


def target(text):
    """The target of a role's text: 'Title <target>' or 'target'."""
    m = re.search(r'<([^>]*)>\s*$', text)
    return (m.group(1) if m else text).strip()


def labels():
    found = set()
    for root, _, files in os.walk('Documentation'):
        for f in files:
            if f.endswith('.rst'):
                with open(os.path.join(root, f), errors='replace') as fh:
                    found.update(m.group(1).lower() for m in
                                 re.finditer(r'^\.\. _([^:]+):\s*$', fh.read(), re.M))
    return found


def main(pages):
    known = labels()
    bad = 0
    for page in pages:
        with open(page) as fh:
            text = fh.read()
        for role, body in ROLE.findall(text):
            t = target(body)
            if role == 'ref':
                ok = t.lower() in known
            elif t.startswith('/'):
                ok = os.path.exists('Documentation' + t + '.rst')
            else:
                ok = os.path.exists(os.path.join(os.path.dirname(page), t + '.rst'))
            if not ok:
                print(f'{page}: unresolved :{role}:`{body}`')
                bad = 1
    return bad


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
