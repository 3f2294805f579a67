#!/usr/bin/env python3
"""Send hand-made rtnetlink requests to the running kernel and print its replies.

Reads a JSON array of requests from stdin: [{"hex": "<request bytes>", "capAck": false, "proto": 0}, ...]
("untilSeq": N reads until the ERROR/DONE of sequence N, for datagrams of several messages).
Each request is sent on an AF_NETLINK socket of protocol `proto` (default
NETLINK_ROUTE; 16 = NETLINK_GENERIC) with NETLINK_EXT_ACK
on (and NETLINK_CAP_ACK when asked); the replies are read until the
NLMSG_ERROR or NLMSG_DONE carrying the request's sequence number. Prints a
JSON array, one entry per request: {"replies": ["<datagram hex>", ...], "portid": N}.

Run it inside a throw-away namespace: `ip netns exec NS python3 nlprobe.py`.
Used by packages/netlink/test/kernel/*.test.ts; needs root (CAP_NET_ADMIN).
"""
import json
import socket
import struct
import sys

SOL_NETLINK = 270
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
NLMSG_ERROR, NLMSG_DONE = 2, 3


def open_sock(cap_ack, proto):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, proto)
    s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    if cap_ack:
        s.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
    s.bind((0, 0))
    s.settimeout(2)
    return s


def exchange(s, req, until_seq=None):
    seq = struct.unpack_from("<I", req, 8)[0] if len(req) >= 12 else 0
    if until_seq is not None:
        seq = until_seq
    s.send(req)
    replies = []
    while True:
        data = s.recv(1 << 20)
        replies.append(data.hex())
        off, done = 0, False
        while len(data) - off >= 16:
            ln, typ, _fl, sq = struct.unpack_from("<IHHI", data, off)
            if ln < 16:
                break
            if typ in (NLMSG_ERROR, NLMSG_DONE) and sq == seq:
                done = True
            off += (ln + 3) & ~3
        if done:
            return replies


def main():
    reqs = json.load(sys.stdin)
    socks = {}
    out = []
    for r in reqs:
        key = (bool(r.get("capAck", False)), int(r.get("proto", 0)))
        if key not in socks:
            socks[key] = open_sock(*key)
        s = socks[key]
        try:
            replies = exchange(s, bytes.fromhex(r["hex"]), r.get("untilSeq"))
        except socket.timeout:
            replies = []
        out.append({"replies": replies, "portid": s.getsockname()[0]})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
