#!/usr/bin/env python3
"""Rewrite call sites of the store's methods that moved to its parts (issue #13, store split).

`store/include/tta/store/store.hpp` was one class of ~60 methods. Its outbox, photo and people
methods now live in classes of their own over the same connection, reached through the store:

    store.enqueue(e, now)         ->  store.outbox().enqueue(e, now)
    store.outbox_counts()         ->  store.outbox().counts()
    store.add_photo(p, e)         ->  store.photos().add(p, e)
    store.find_person(no)         ->  store.people().find(no)
    store.people()                ->  store.people().all()

Usage: scripts/lib/store-split-callsites.py [--check] PATH...   (files or folders; C++ sources)

It rewrites `RECEIVER.method(` and `RECEIVER->method(` for the methods in MOVED, whatever the
receiver is called, except receivers that are not stores (NOT_A_STORE: the engines' Recorder,
the daemon's photo taker, the simulator's database, the control API's backend). It is
idempotent: a call already written through its part is left alone, so it can be run again over
merged files. --check only lists what it would change and exits 1 when anything would.
The store's own sources (store/src/) are written by hand and are not for this script.
"""

import os
import re
import sys

# old method -> (part accessor, new method)
MOVED = {
    # Outbox
    "enqueue": ("outbox", "enqueue"),
    "due": ("outbox", "due"),
    "mark_in_flight": ("outbox", "mark_in_flight"),
    "mark_acked": ("outbox", "mark_acked"),
    "mark_retry": ("outbox", "mark_retry"),
    "mark_refused": ("outbox", "mark_refused"),
    "requeue": ("outbox", "requeue"),
    "outbox_entry": ("outbox", "entry"),
    "refused_entries": ("outbox", "refused"),
    "outbox_counts_by_kind": ("outbox", "counts_by_kind"),
    "outbox_counts": ("outbox", "counts"),
    "pending_entries": ("outbox", "pending"),
    # Photos
    "add_photo": ("photos", "add"),
    "find_photo": ("photos", "find"),
    "class_photos": ("photos", "of_class"),
    "photo_numbers_between": ("photos", "numbers_between"),
    "photo_counts": ("photos", "counts"),
    # People
    "add_person": ("people", "add"),
    "find_person": ("people", "find"),
    "update_face": ("people", "update_face"),
    "face_history_count": ("people", "face_history_count"),
    "people": ("people", "all"),  # `store.people()` listed everyone; now it is the part
}

# Receivers (the last name before `.` / `->`) whose methods of these names are not the store's.
NOT_A_STORE = {
    "add_photo": {"rec", "rec_", "photos", "db", "recorder"},
    "people": {"backend", "backend_"},
}

# What a part's own methods are called, so that `store.people().find(` is never taken for an
# old `store.people()` call.
PART_METHODS = {
    part: sorted({new for (p, new) in MOVED.values() if p == part})
    for part in ("outbox", "photos", "people")
}

SOURCE_ENDINGS = (".cpp", ".hpp", ".cc", ".h", ".ipp")


def pattern(old):
    part, _ = MOVED[old]
    # The receiver: the name just before the member access (`store_`, `st`, `o->store`, `s`).
    # Not already through the part: `outbox().enqueue(` is not preceded by `outbox()` again.
    guard = r"(?<!\b%s\(\))" % re.escape(part)
    return re.compile(r"(?P<recv>\b[A-Za-z_][A-Za-z_0-9]*\b(?:\(\))?|\))" + guard +
                      r"(?P<op>\.|->)" + re.escape(old) + r"\(")


PATTERNS = {old: pattern(old) for old in MOVED}


def rewrite(text):
    changes = 0
    for old, (part, new) in MOVED.items():
        deny = NOT_A_STORE.get(old, set())
        rx = PATTERNS[old]

        def sub(m, old=old, part=part, new=new, deny=deny):
            nonlocal changes
            recv = m.group("recv")
            name = recv[:-2] if recv.endswith("()") else recv
            if name in deny or name == part:
                return m.group(0)
            if old == "people":
                # `store.people()` (the old list) only: not `store.people().find(` (already new).
                rest = text_ref[0][m.end():]
                if not rest.startswith(")"):
                    return m.group(0)  # people(x): not the store's listing
                after = rest[1:]
                if re.match(r"\s*\.\s*(%s)\(" % "|".join(PART_METHODS["people"]), after):
                    return m.group(0)
                changes += 1
                return m.group("recv") + m.group("op") + "people().all("
            changes += 1
            return m.group("recv") + m.group("op") + part + "()." + new + "("

        text_ref = [text]
        text = rx.sub(sub, text)
    return text, changes


def files(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                # tests/data/ holds code pinned to an old release's store API (the v3 fixture).
                if "/build" in root or "/.git" in root or "tests/data" in root:
                    continue
                for n in sorted(names):
                    if n.endswith(SOURCE_ENDINGS):
                        yield os.path.join(root, n)
        elif p.endswith(SOURCE_ENDINGS):
            yield p


def main(argv):
    check = "--check" in argv
    paths = [a for a in argv if a != "--check"]
    if not paths:
        print(__doc__.strip().splitlines()[0] + "\nusage: store-split-callsites.py [--check] PATH...",
              file=sys.stderr)
        return 2
    touched = 0
    for f in files(paths):
        if "/store/src/" in f.replace(os.sep, "/") or f.replace(os.sep, "/").startswith("store/src/"):
            continue
        with open(f, encoding="utf-8") as fh:
            before = fh.read()
        after, n = rewrite(before)
        if n and after != before:
            touched += 1
            print(f"{f}: {n} call(s)")
            if not check:
                with open(f, "w", encoding="utf-8") as fh:
                    fh.write(after)
    return 1 if check and touched else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
