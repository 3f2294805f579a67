#!/usr/bin/env python3
"""Per-packet outcomes from this machine's kernel for @tcbpf/cls-bpf's
per-packet differential test (test/per-packet-kernel.test.ts).

Runs inside a namespace the test prepared (va <-> vb, d1 <-> d1p, d2 <-> d2p,
d3 <-> d3p, lo; filters on va). Reads {"frames": [{"dir": "egress"|"ingress",
"hex": ...}]} on stdin; sends each frame with an AF_PACKET socket (egress: out
of va; ingress: out of vb, so it enters va's ingress) and prints, per frame,
the errno of the send (0 or ENOBUFS) and the change of the observed counters: rx packets of vb, d1p, d2p, d3p, tx of lo,
packets of each class of va's root qdisc and drops of va's clsact qdisc.
Written for tcbpf (MIT); no kernel code.
"""
import json
import re
import socket
import subprocess
import sys


def sysfs(dev, what):
    with open('/sys/class/net/%s/statistics/%s' % (dev, what)) as f:
        return int(f.read())


def tc_text(args):
    return subprocess.run(['tc', '-s'] + args, check=True, capture_output=True, text=True).stdout


SENT = re.compile(r'Sent (\d+) bytes (\d+) pkt \(dropped (\d+)')


def snapshot(n_classes):
    # iproute2 6.1 prints HTB classes as text only: "class htb 1:N ..." then " Sent B bytes P pkt (dropped D, ..."
    classes = [0] * n_classes
    minor = None
    for line in tc_text(['class', 'show', 'dev', 'va']).splitlines():
        if line.startswith('class htb '):
            minor = int(line.split()[2].split(':')[1], 16)
            continue
        m = SENT.search(line)
        if m and minor is not None and 1 <= minor <= n_classes:
            classes[minor - 1] = int(m.group(2))
            minor = None
    drops = 0
    kind = None
    for line in tc_text(['qdisc', 'show', 'dev', 'va']).splitlines():
        if line.startswith('qdisc '):
            kind = line.split()[1]
            continue
        m = SENT.search(line)
        if m and kind == 'clsact':
            drops = int(m.group(3))
    return {
        'vb': sysfs('vb', 'rx_packets'), 'd1p': sysfs('d1p', 'rx_packets'), 'd2p': sysfs('d2p', 'rx_packets'),
        'd3p': sysfs('d3p', 'rx_packets'), 'lo': sysfs('lo', 'tx_packets'), 'classes': classes, 'drops': drops,
    }


def delta(a, b):
    out = {}
    for k in a:
        out[k] = [y - x for x, y in zip(a[k], b[k])] if isinstance(a[k], list) else b[k] - a[k]
    return out


def main():
    spec = json.load(sys.stdin)
    n_classes = spec['classes']
    socks = {}
    for dev in ('va', 'vb'):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        s.bind((dev, 0))
        socks[dev] = s
    out = []
    prev = snapshot(n_classes)
    for f in spec['frames']:
        err = 0
        try:
            socks['va' if f['dir'] == 'egress' else 'vb'].send(bytes.fromhex(f['hex']))
        except OSError as e:  # a drop at the sender's egress: dev_queue_xmit's NET_XMIT_DROP as ENOBUFS
            err = e.errno
        cur = snapshot(n_classes)
        d = delta(prev, cur)
        d['sendErrno'] = err
        out.append(d)
        prev = cur
    print(json.dumps(out))


if __name__ == '__main__':
    main()
