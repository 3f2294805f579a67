#!/usr/bin/env python3
# Send frames out of a device with an AF_PACKET raw socket (through the
# device's qdiscs, like tcbpf's `replay`/`send dev X egress`).
# Usage (inside a namespace): send_pcap.py DEV FILE.pcap | send_pcap.py DEV --hex HEX
import socket
import struct
import sys

dev = sys.argv[1]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
if sys.argv[2] == '--hex':
    s.send(bytes.fromhex(sys.argv[3]))
    print(1)
    sys.exit(0)
data = open(sys.argv[2], 'rb').read()
magic = struct.unpack('<I', data[:4])[0]
if magic not in (0xa1b2c3d4, 0xa1b23c4d):
    sys.exit('not a little-endian pcap')
off = 24
n = 0
while off + 16 <= len(data):
    _sec, _frac, caplen, _orig = struct.unpack('<IIII', data[off:off + 16])
    off += 16
    s.send(data[off:off + caplen])
    off += caplen
    n += 1
print(n)
