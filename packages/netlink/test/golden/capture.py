#!/usr/bin/env python3
"""Capture golden netlink vectors from the real kernel.

Runs a sequence of iproute2 `tc` commands inside a throw-away network namespace
(a veth pair v0/v1, nothing else), under `strace -e write=all -e read=all`, and
records the exact bytes of every sendmsg/recvmsg that carries a traffic-control
rtnetlink message (RTM_*QDISC/TCLASS/TFILTER/ACTION/CHAIN) or the
NLMSG_ERROR/NLMSG_DONE answering one. The name lookups tc does first
(RTM_GETLINK) are left out.

Needs root, ip, tc, strace and clang-19 (for the one eBPF object, compiled from
EBPF_SOURCE below into a temporary directory). Usage (from the repository root):

    python3 packages/netlink/test/golden/capture.py            # rewrite the fixtures
    python3 packages/netlink/test/golden/capture.py --stdout   # print JSON, write nothing

Writes packages/netlink/test/golden/vectors.json: for each command its argv,
exit status, stderr and the exchanges (direction + hex). Sequence numbers
(tc uses the time) and the sender pid differ between runs; everything else is
stable in a fresh namespace (lo=1, v1=2, v0=3 ifindexes; kernel handles and
action indexes start fresh). See README.md next to this file.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BYTECODE = "4,40 0 0 12,21 0 1 2048,6 0 0 4294967295,6 0 0 0,"  # ldh [12]; jeq #0x800; ret -1; ret 0
BYTECODE1 = "1,6 0 0 4294967295,"  # ret -1

# A minimal eBPF classifier (our own code), compiled to prog.o for `bpf obj prog.o sec tc`.
EBPF_SOURCE = """#include <linux/bpf.h>
#include <linux/pkt_cls.h>
__attribute__((section("tc"), used)) int cls(struct __sk_buff *skb) { return skb->len > 100 ? TC_ACT_SHOT : TC_ACT_OK; }
char _license[] __attribute__((section("license"), used)) = "GPL";
"""

# (name, argv after `tc`, note). Run in this order in one namespace.
COMMANDS = [
    ("qdisc-add-clsact", ["qdisc", "add", "dev", "v0", "clsact"], "create the clsact qdisc on v0"),
    ("qdisc-add-clsact-again", ["qdisc", "add", "dev", "v0", "clsact"], "error: it exists"),
    ("qdisc-add-ingress-v1", ["qdisc", "add", "dev", "v1", "ingress"], "ingress qdisc on v1"),
    ("qdisc-show", ["qdisc", "show", "dev", "v0"], "dump qdiscs of v0"),
    ("filter-add-bpf-classid", ["filter", "add", "dev", "v0", "ingress", "prio", "1", "handle", "1", "protocol", "ip", "bpf", "bytecode", BYTECODE, "classid", "1:1"], "cBPF filter with a classid"),
    ("filter-add-bpf-exists", ["filter", "add", "dev", "v0", "ingress", "prio", "1", "handle", "1", "protocol", "ip", "bpf", "bytecode", BYTECODE, "classid", "1:1"], "error: same handle with NLM_F_EXCL"),
    ("filter-add-bpf-da", ["filter", "add", "dev", "v0", "ingress", "prio", "2", "bpf", "da", "bytecode", BYTECODE1], "direct-action, kernel-assigned handle"),
    ("filter-add-bpf-skiphw", ["filter", "add", "dev", "v0", "egress", "prio", "3", "handle", "7", "bpf", "skip_hw", "bytecode", BYTECODE1, "classid", "1:2"], "egress, skip_hw gen flag"),
    ("filter-add-bpf-skipsw", ["filter", "add", "dev", "v0", "egress", "prio", "4", "bpf", "skip_sw", "bytecode", BYTECODE1], "error: skip_sw without an offload device"),
    ("filter-add-bpf-chain", ["filter", "add", "dev", "v0", "ingress", "chain", "5", "prio", "1", "handle", "3", "bpf", "bytecode", BYTECODE1, "classid", "1:5"], "filter in chain 5"),
    ("filter-add-bpf-mirred", ["filter", "add", "dev", "v0", "ingress", "prio", "6", "handle", "6", "bpf", "da", "bytecode", BYTECODE1, "action", "mirred", "egress", "redirect", "dev", "v1"], "filter with a mirred redirect action"),
    ("filter-add-bpf-mirred-cookie", ["filter", "add", "dev", "v0", "egress", "prio", "8", "handle", "8", "bpf", "bytecode", BYTECODE1, "action", "mirred", "ingress", "mirror", "dev", "v1", "pipe", "cookie", "a1b2c3d4"], "mirred ingress mirror, pipe, cookie"),
    ("filter-replace-bpf", ["filter", "replace", "dev", "v0", "ingress", "prio", "1", "handle", "1", "protocol", "ip", "bpf", "bytecode", BYTECODE1, "classid", "1:3"], "replace (NLM_F_CREATE only)"),
    ("filter-change-bpf", ["filter", "change", "dev", "v0", "ingress", "prio", "1", "handle", "1", "protocol", "ip", "bpf", "bytecode", BYTECODE, "classid", "1:4"], "change (no create flags)"),
    ("filter-show-ingress", ["filter", "show", "dev", "v0", "ingress"], "dump ingress filters (chain 0)"),
    ("filter-show-egress-stats", ["-s", "filter", "show", "dev", "v0", "egress"], "dump egress filters with stats"),
    ("filter-show-chain5", ["filter", "show", "dev", "v0", "ingress", "chain", "5"], "dump one chain"),
    ("filter-get", ["filter", "get", "dev", "v0", "ingress", "prio", "1", "handle", "1", "protocol", "ip", "bpf"], "RTM_GETTFILTER of one filter"),
    ("filter-add-ebpf-obj", ["filter", "add", "dev", "v0", "egress", "prio", "9", "handle", "9", "bpf", "obj", "prog.o", "sec", "tc", "da"], "eBPF program by fd, with its name"),
    ("filter-show-ebpf", ["filter", "show", "dev", "v0", "egress"], "dump with TCA_BPF_ID/TAG/NAME"),
    ("chain-add", ["chain", "add", "dev", "v0", "ingress", "chain", "7"], "RTM_NEWCHAIN"),
    ("chain-del", ["chain", "del", "dev", "v0", "ingress", "chain", "7"], "RTM_DELCHAIN"),
    ("qdisc-del-ingress-v1", ["qdisc", "del", "dev", "v1", "ingress"], "make room for a shared block"),
    ("qdisc-add-clsact-block", ["qdisc", "add", "dev", "v1", "ingress_block", "22", "clsact"], "clsact with TCA_INGRESS_BLOCK"),
    ("filter-add-block", ["filter", "add", "block", "22", "prio", "1", "handle", "2", "bpf", "bytecode", BYTECODE1, "classid", "1:9"], "filter on a shared block (TCM_IFINDEX_MAGIC_BLOCK)"),
    ("filter-show-block", ["filter", "show", "block", "22"], "dump a shared block"),
    ("chain-show", ["chain", "show", "dev", "v0", "ingress"], "dump chains"),
    ("qdisc-add-htb-est", ["qdisc", "add", "dev", "v1", "root", "handle", "1:", "est", "1sec", "8sec", "htb", "default", "10"], "HTB root qdisc with a rate estimator (TCA_RATE)"),
    ("class-add-htb", ["class", "add", "dev", "v1", "parent", "1:", "classid", "1:10", "est", "1sec", "8sec", "htb", "rate", "1mbit", "ceil", "2mbit"], "RTM_NEWTCLASS: tc_htb_opt rate specs, rate tables"),
    ("class-show-stats", ["-s", "class", "show", "dev", "v1"], "class dump: TCA_STATS2 with RATE_EST, TCA_XSTATS"),
    ("qdisc-del-htb", ["qdisc", "del", "dev", "v1", "root"], "delete the HTB qdisc"),
    ("action-add-mirred", ["actions", "add", "action", "mirred", "egress", "mirror", "dev", "v1", "index", "10"], "standalone mirred action"),
    ("action-add-mirred-exists", ["actions", "add", "action", "mirred", "egress", "mirror", "dev", "v1", "index", "10"], "error: index exists"),
    ("action-replace-mirred", ["actions", "replace", "action", "mirred", "egress", "redirect", "dev", "v1", "index", "10"], "replace the action"),
    ("action-get-mirred", ["actions", "get", "action", "mirred", "index", "10"], "RTM_GETACTION"),
    ("action-show-mirred", ["actions", "show", "action", "mirred"], "dump mirred actions"),
    ("action-delete-mirred", ["actions", "delete", "action", "mirred", "index", "10"], "delete the action"),
    ("action-add-gact", ["actions", "add", "action", "gact", "drop"], "error: act_gact not built in this kernel"),
    ("filter-delete-handle", ["filter", "delete", "dev", "v0", "ingress", "prio", "1", "handle", "1", "protocol", "ip", "bpf"], "delete one filter"),
    ("filter-delete-missing", ["filter", "delete", "dev", "v0", "ingress", "prio", "1", "handle", "1", "protocol", "ip", "bpf"], "error: already gone"),
    ("filter-delete-prio", ["filter", "delete", "dev", "v0", "ingress", "prio", "2"], "delete a whole priority"),
    ("filter-delete-all-egress", ["filter", "delete", "dev", "v0", "egress"], "flush egress"),
    ("qdisc-del-clsact", ["qdisc", "del", "dev", "v0", "clsact"], "delete the clsact qdisc"),
]

TC_TYPES = set(range(36, 51)) | {100, 101, 102}
NLMSG_ERROR, NLMSG_DONE = 2, 3


def split_msgs(b):
    out, off = [], 0
    while len(b) - off >= 16:
        ln = int.from_bytes(b[off:off + 4], "little")
        if ln < 16 or ln > len(b) - off:
            break
        typ = int.from_bytes(b[off + 4:off + 6], "little")
        seq = int.from_bytes(b[off + 8:off + 12], "little")
        out.append((typ, seq))
        off += (ln + 3) & ~3
    return out


def parse_strace(path):
    """[(dir, bytes)] of every sendmsg/recvmsg with data, in order."""
    calls, cur = [], None
    dump_re = re.compile(r"^ \| [0-9a-f]{5}  (.{48})")
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("sendmsg(") or line.startswith("recvmsg("):
                cur = {"dir": "send" if line.startswith("sendmsg") else "recv", "data": bytearray()}
                calls.append(cur)
                continue
            m = dump_re.match(line)
            if m and cur is not None:
                cur["data"] += bytes.fromhex(m.group(1).replace(" ", ""))
    return [(c["dir"], bytes(c["data"])) for c in calls if c["data"]]


def run(ns, argv, cwd):
    with tempfile.NamedTemporaryFile(prefix="tcbpf-strace-", delete=False) as t:
        path = t.name
    try:
        r = subprocess.run(["ip", "netns", "exec", ns, "strace", "-o", path, "-e", "trace=sendmsg,recvmsg",
                            "-e", "write=all", "-e", "read=all", "-s", "0", "tc"] + argv,
                           capture_output=True, text=True, cwd=cwd)
        calls = parse_strace(path)
    finally:
        os.unlink(path)
    seqs, kept = set(), []
    for d, data in calls:
        msgs = split_msgs(data)
        if d == "send" and msgs and all(t in TC_TYPES for t, _ in msgs):
            seqs.update(s for _, s in msgs)
            kept.append({"dir": d, "hex": data.hex()})
        elif d == "recv" and msgs and all(t in TC_TYPES or (t in (NLMSG_ERROR, NLMSG_DONE) and s in seqs) for t, s in msgs) \
                and any(s in seqs for _, s in msgs):
            kept.append({"dir": d, "hex": data.hex()})
    return {"status": r.returncode, "stdout": r.stdout, "stderr": r.stderr, "exchanges": kept}


def capture():
    ns = f"tcbpf-golden-{os.getpid()}"
    work = tempfile.mkdtemp(prefix="tcbpf-golden-")
    with open(os.path.join(work, "prog.c"), "w") as f:
        f.write(EBPF_SOURCE)
    subprocess.run(["clang-19", "-O2", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu", "-c", "prog.c", "-o", "prog.o"], cwd=work, check=True)
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        # no IPv6 autoconfiguration traffic: counters in the dumps must stay 0
        for key in ("all", "default"):
            subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", f"net.ipv6.conf.{key}.disable_ipv6=1"], check=True)
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        subprocess.run(["ip", "-n", ns, "link", "add", "v0", "type", "veth", "peer", "name", "v1"], check=True)
        subprocess.run(["ip", "-n", ns, "link", "set", "v0", "up"], check=True)
        subprocess.run(["ip", "-n", ns, "link", "set", "v1", "up"], check=True)
        links = subprocess.run(["ip", "-n", ns, "-o", "link"], capture_output=True, text=True, check=True).stdout
        vectors = []
        for name, argv, note in COMMANDS:
            rec = run(ns, argv, work)
            vectors.append({"name": name, "command": "tc " + " ".join(argv), "note": note, **rec})
        kernel = subprocess.run(["uname", "-r"], capture_output=True, text=True).stdout.strip()
        tcv = subprocess.run(["tc", "-V"], capture_output=True, text=True).stdout.strip()
        return {
            "capturedWith": "packages/netlink/test/golden/capture.py",
            "kernel": kernel,
            "tc": tcv,
            "setup": ["ip netns add NS", "sysctl -w net.ipv6.conf.{all,default}.disable_ipv6=1 (in NS)", "ip -n NS link set lo up", "ip -n NS link add v0 type veth peer name v1",
                      "ip -n NS link set v0 up", "ip -n NS link set v1 up"],
            "links": [l.split("\\")[0] for l in links.strip().split("\n")],
            "vectors": vectors,
        }
    finally:
        subprocess.run(["ip", "netns", "del", ns])
        for name in ("prog.c", "prog.o"):
            os.unlink(os.path.join(work, name))
        os.rmdir(work)


if __name__ == "__main__":
    data = capture()
    text = json.dumps(data, indent=1) + "\n"
    if "--stdout" in sys.argv:
        sys.stdout.write(text)
    else:
        with open(os.path.join(HERE, "vectors.json"), "w") as f:
            f.write(text)
        n = sum(len(v["exchanges"]) for v in data["vectors"])
        print(f"wrote vectors.json: {len(data['vectors'])} commands, {n} exchanges")
