#!/usr/bin/env python3
# Send every frame of a pcap out of a device with an AF_PACKET raw socket
# (through the device's qdiscs, like tcbpf's `replay dev X egress`).
# Usage (inside a namespace): send_pcap.py DEV FILE.pcap
import socket
import struct
import sys

dev, path = sys.argv[1], sys.argv[2]
data = open(path, 'rb').read()
magic = struct.unpack('<I', data[:4])[0]
if magic not in (0xa1b2c3d4, 0xa1b23c4d):
    sys.exit('not a little-endian pcap')
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
off = 24
n = 0
while off + 16 <= len(data):
    _sec, _frac, caplen, _orig = struct.unpack('<IIII', data[off:off + 16])
    off += 16
    s.send(data[off:off + caplen])
    off += caplen
    n += 1
print(n)
