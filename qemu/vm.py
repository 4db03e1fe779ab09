#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The test rig's QEMU guests: boot one with qemu/boot.sh, drive it over QMP,
snapshot it to a file and restore the file in new QEMU processes (new VM
Generation IDs).  Used by demo/demo.py (make demo, and make check's clone
tests) and bench/run.py (make bench).

A guest's console is read line by line; lines "DEMO key=value ..." fill its
report, and a line equal to a marker ends a wait (Guest.expect()).
"""

import os
import queue
import socket
import subprocess
import threading
import time
import json

HERE = os.path.dirname(os.path.abspath(__file__))
BOOT = os.path.join(HERE, "boot.sh")
TIMEOUT = float(os.environ.get("DEMO_TIMEOUT", "180"))


class Qmp:
    """Minimal QMP client on a unix socket."""

    def __init__(self, path, deadline):
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                self.sock.close()
                if time.monotonic() > deadline:
                    raise RuntimeError("QMP socket never appeared: " + path)
                time.sleep(0.05)
        self.file = self.sock.makefile("rw")
        json.loads(self.file.readline())          # greeting
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.file.write(json.dumps(msg) + "\n")
        self.file.flush()
        while True:
            reply = json.loads(self.file.readline())
            if "event" in reply:
                continue
            if "error" in reply:
                raise RuntimeError(f"QMP {name}: {reply['error']['desc']}")
            return reply["return"]

    def close(self):
        self.sock.close()


class Guest:
    """One QEMU process: console lines in a queue, QMP for control."""

    def __init__(self, name, args, outdir, incoming=None, append="job=demo quiet", env=None,
                 qemu_args=()):
        self.name = name
        self.log_path = os.path.join(outdir, name + ".log")
        self.lines = queue.Queue()
        self.report = {}
        self.arrived = {}
        self.log = open(self.log_path, "w")
        sock = os.path.join(outdir, name + ".qmp")
        if os.path.exists(sock):
            os.unlink(sock)
        qemu_args = ["-qmp", f"unix:{sock},server=on,wait=off"] + list(qemu_args)
        if incoming:
            # -S: stay stopped after the restore, so `cont` is the moment it resumes.
            qemu_args += ["-S", "-incoming", f"exec:cat {incoming}"]
        self.proc = subprocess.Popen(
            [BOOT, args.kernel, args.initrd, append] + qemu_args,
            env=dict(os.environ, **(env or {})), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, bufsize=1)
        threading.Thread(target=self._read, daemon=True).start()
        self.qmp = Qmp(sock, time.monotonic() + 30)

    def _read(self):
        for line in self.proc.stdout:
            self.log.write(line)
            self.log.flush()
            self.arrived.setdefault(line.strip(), time.monotonic())
            self.lines.put(line.rstrip("\r\n"))
        self.lines.put(None)

    def expect(self, marker, timeout=TIMEOUT):
        """Collect DEMO key=value lines until a line equal to marker."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: no '{marker}' (see {self.log_path})")
            if line.startswith("DEMO "):
                for kv in line[5:].split():
                    k, _, v = kv.partition("=")
                    self.report[k] = v
            if line.strip() == marker:
                return

    def wait_exit(self, timeout=TIMEOUT):
        """Collect DEMO key=value lines until the guest powers off."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(f"{self.name}: still running (see {self.log_path})")
            if line is None:
                self.proc.wait(timeout=30)
                return
            if line.startswith("DEMO "):
                self.report.update(kv.partition("=")[::2] for kv in line[5:].split())

    def say(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def guid(self):
        """The VM Generation ID, or None for a VM without the device."""
        try:
            return self.qmp.cmd("query-vm-generation-id")["guid"]
        except RuntimeError:
            return None

    def finish(self):
        """Wait for the guest to power off; keep its dmesg for the checks."""
        self.expect("SYSGENID-GUEST-DONE", timeout=60)
        self.proc.wait(timeout=30)
        self.log.close()
        with open(self.log_path) as f:
            text = f.read()
        self.report["crng_reseeds"] = str(text.count("crng reseeded due to virtual machine fork"))
        self.qmp.close()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def wait_status(qmp, bad, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        status = qmp.cmd("query-status")["status"]
        if status not in bad:
            return status
        if time.monotonic() > deadline:
            raise RuntimeError(f"VM stuck in {status}")
        time.sleep(0.02)


def snapshot(parent, path):
    """Stop the parent and write its state to path; returns the parent's GUID."""
    parent.expect("DEMO-SNAPSHOT-NOW")
    parent.qmp.cmd("stop")
    guid = parent.guid()
    parent.qmp.cmd("migrate", uri=f"exec:cat > {path}")
    deadline = time.monotonic() + 120
    while True:
        status = parent.qmp.cmd("query-migrate").get("status")
        if status == "completed":
            return guid
        if status in ("failed", "cancelled") or time.monotonic() > deadline:
            raise RuntimeError(f"snapshot failed: migration {status}")
        time.sleep(0.05)


def restore(args, name, path, append="job=demo quiet", go="clone", env=None):
    clone = Guest(name, args, args.out, incoming=path, append=append, env=env)
    try:
        wait_status(clone.qmp, ("inmigrate",))
        clone.report["guid"] = clone.guid()
        t0 = time.monotonic()
        clone.qmp.cmd("cont")
        clone.say(go)
        clone.expect("DEMO-END")
        if "DEMO-VISIBLE" in clone.arrived:
            ms = (clone.arrived["DEMO-VISIBLE"] - t0) * 1000
            clone.report["cont_to_visible_ms"] = f"{ms:.1f}"
        clone.finish()
        return clone.report
    finally:
        clone.kill()    # a clone that hung or failed must not outlive the run


def parent_and_clones(args, tag, append, gos, env=None):
    """Boot a parent, snapshot it, let it go on (told "parent"), then
    restore one clone per go line.  Returns the parent's report before the
    snapshot, its report after, and each clone's."""
    prefix = f"{tag}-" if tag else ""
    snap = os.path.join(args.out, f"snapshot{'-' + tag if tag else ''}.bin")
    parent = Guest(f"{prefix}parent", args, args.out, append=append, env=env)
    try:
        guid = snapshot(parent, snap)
        before = dict(parent.report, guid=guid)
        # The parent goes on from where the snapshot was taken, same GUID.
        parent.report = {}
        parent.qmp.cmd("cont")
        parent.say("parent")
        parent.expect("DEMO-END")
        parent.finish()
        after = dict(parent.report, guid=guid)
    finally:
        parent.kill()
    return before, after, [restore(args, f"{prefix}clone{i}", snap, append, go=go, env=env)
                           for i, go in enumerate(gos, 1)]


def window_run(args, tag, extra, clones, firsts=("lib", "vgetrandom", "getrandom")):
    """The race-free restore test (sysgenid-demo window): one parent whose
    VM Generation ID notification is held back (GPE masked) across the
    snapshot, then the parent and each clone report what they see.  Each
    clone lets another source of random bytes ask first."""
    return parent_and_clones(args, tag, f"job=window quiet {extra}".strip(),
                             [f"clone {firsts[i % 3]}" for i in range(clones)])
