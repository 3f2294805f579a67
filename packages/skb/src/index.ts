// @tcbpf/skb — see README.md. Linux 6.18 is the modelled kernel.
// sk_buff, network devices and namespaces, packet headers, checksums and
// pcap/pcapng capture I/O.

/** Kernel sources this package models (Linux 6.18), for docs and the demo. */
export const MODELS: readonly string[] = Object.freeze([
  'include/linux/skbuff.h',
  'net/core/skbuff.c',
  'net/core/dev.c (rx/tx paths)',
  'drivers/net/veth.c',
  'drivers/net/loopback.c',
  'drivers/net/dummy.c',
  'net/ethernet/eth.c',
  'include/net/checksum.h',
  'net/core/utils.c (inet_proto_csum_replace*)',
  'arch/x86/lib/csum-partial_64.c',
  'net/ipv4/fib_trie.c, fib_frontend.c, devinet.c, net/ipv6/route.c, ip6_fib.c, addrconf.c, net/core/neighbour.c (routing model)',
]);

export { SkBuff, NET_SKB_PAD, QDISC_CB_PRIV_LEN, VLAN_HLEN, VLAN_ETH_HLEN, CHECKSUM, SKB_CLOCK } from './sk-buff.js';
export { NetDevice, NET_RX, NET_XMIT, HOOK, DRIVERS } from './net-device.js';
export type { SkbHook, QdiscHook, PacketTap, DeviceKind, LinkStats } from './net-device.js';
export { NetNamespace, NETDEV_MAX_BACKLOG, XMIT_RECURSION_LIMIT, devValidName } from './net-namespace.js';
export type { NetNamespaceOptions, DeviceOptions, DropReason } from './net-namespace.js';
export { ethTypeTrans, ethTypeVlan, skbVlanUntag, ethRandomAddr, isValidEtherAddr, formatMac, parseMac } from './eth.js';
export {
  csumAdd, csumSub, csum16Add, csum16Sub, csumFold, csumUnfold, csumPartial, ipComputeCsum,
  csumTcpudpNofold, csumTcpudpMagic, csumIpv6Magic, csumReplace2, csumReplace4, csumReplaceByDiff,
  inetProtoCsumReplace2, inetProtoCsumReplace4, inetProtoCsumReplace16, inetProtoCsumReplaceByDiff,
  inetChecksum, ipv4HeaderChecksum, l4ChecksumV4, l4ChecksumV6,
} from './checksum.js';
export {
  ETHHDR, VLANHDR, ARPHDR, IPHDR, IP_FRAG, IPV6HDR, FRAGHDR, TCPHDR, TCP_FLAG, UDPHDR, ICMPHDR,
  buildFrame, buildIpv4, buildIpv6, buildArp, dissect,
} from './headers.js';
export type { VlanTagSpec, L4Spec, L3Spec, Ipv6ExtSpec, FrameSpec, Dissection } from './headers.js';
export { generatePackets, packetStream, GENERATED_KINDS } from './packet-generator.js';
export type { GeneratedPacket, GeneratedKind, GeneratorOptions } from './packet-generator.js';
export {
  CaptureDecoder, CaptureError, PcapWriter, PcapngWriter, decodeCapture, decodeCaptureAsync,
  parseSllHeader, buildSllHeader, LINKTYPE, PCAP_MAGIC, PCAPNG_BLOCK, MAXIMUM_SNAPLEN,
} from './capture.js';
export type {
  CaptureFormat, CaptureRecord, CaptureCursor, CaptureInfo, ByteSink, PcapWriterOptions, PcapngInterface,
  PcapngWriterOptions, SllHeader,
} from './capture.js';
export { readCaptureFile, readCaptureFd, scanCaptureFile, FileSink, CAPTURE_CHUNK } from './capture-file.js';
export { Fib, FIB_TYPE_ERROR } from './fib.js';
export type { InetFamily, InetAddressSpec, FibAddress, RouteSpec, FibRoute, Neighbour, RouteMatch } from './fib.js';
