// Scenarios whose dumps the show tests print (simulator side).

/** One show case: scenario lines, then the `tc` words of the dump to print. */
export interface ShowCase {
  readonly name: string;
  readonly lines: readonly string[];
  readonly show: string;
}

const VETH = ['ip link add va type veth peer name vb', 'ip link add dm type dummy', 'ip link set va up', 'ip link set vb up', 'ip link set dm up'];
const ARP = 'send dev va egress ffffffffffff020000000001080600010800060400010200000000010a0000010000000000000a000002';
const UDP = 'send dev va egress 02000000000202000000000108004500001c00010000401166cd0a0000010a00000203e800350008fc0a';
const CLASSIC = "'4,40 0 0 12,21 0 1 2048,6 0 0 262144,6 0 0 0'";

/** Filter dumps: matchall and bpf (classic, eBPF objects) with nested actions, after traffic. */
export const FILTER_CASES: readonly ShowCase[] = Object.freeze([
  {
    name: 'matchall-actions',
    lines: [...VETH, 'tc qdisc add dev vb clsact',
      'tc filter add dev vb ingress prio 1 matchall action mirred egress mirror dev dm continue index 5 cookie aabb',
      'tc filter add dev vb ingress prio 2 protocol arp matchall classid 1:2 skip_hw action drop',
      'tc filter add dev vb ingress prio 4 chain 3 matchall action pass',
      ARP, UDP],
    show: 'filter show dev vb ingress',
  },
  {
    name: 'bpf-classic',
    lines: [...VETH, 'tc qdisc add dev vb clsact',
      `tc filter add dev vb ingress prio 3 protocol ip bpf bytecode ${CLASSIC} classid 1:3 action skbedit priority 1:10 mark 7 pipe action pass`,
      `tc filter add dev vb ingress prio 3 protocol ip handle 7 bpf da bytecode ${CLASSIC}`,
      "tc filter add dev vb egress prio 9 bpf bytecode '1,6 0 0 4294967295' flowid ffff:1 skip_hw action mirred egress redirect dev dm",
      ARP, UDP, 'send dev vb egress 02000000000102000000000208004500001c0001000040110000'],
    show: 'filter show dev vb ingress',
  },
  {
    name: 'bpf-egress',
    lines: [...VETH, 'tc qdisc add dev vb clsact',
      "tc filter add dev vb egress prio 9 bpf bytecode '1,6 0 0 4294967295' flowid ffff:1 skip_hw action mirred egress redirect dev dm",
      'send dev vb egress 02000000000102000000000208004500001c0001000040110000'],
    show: 'filter show dev vb egress',
  },
  {
    name: 'bpf-obj',
    lines: [...VETH, 'tc qdisc add dev vb clsact',
      'tc filter add dev vb ingress prio 1 bpf da obj ../../packages/bpf-skb/test/fixtures/progs/parse_classify.o sec tc',
      UDP],
    show: 'filter show dev vb ingress',
  },
]);

const PROGS = '../../packages/bpf-skb/test/fixtures/progs';

/**
 * Filter dumps made only of what this machine's Linux 6.18 has built in
 * (cls_bpf, act_mirred, veth): the same lines run on the kernel too.
 */
export const KERNEL_FILTER_CASES: readonly ShowCase[] = Object.freeze([
  {
    name: 'kernel-bpf-mirred',
    lines: ['ip link add va type veth peer name vb', 'ip link add vc type veth peer name vd',
      'ip link set va up', 'ip link set vb up', 'ip link set vc up', 'ip link set vd up', 'tc qdisc add dev vb clsact',
      `tc filter add dev vb ingress prio 3 protocol ip handle 5 bpf bytecode ${CLASSIC} classid 1:3 action mirred egress mirror dev vc action mirred egress mirror dev vd index 9`,
      "tc filter add dev vb ingress prio 3 protocol ip bpf da bytecode '1,6 0 0 0'",
      "tc filter add dev vb ingress prio 7 bpf bytecode '1,6 0 0 4294967295' flowid ffff:1 skip_hw action mirred egress redirect dev vc",
      `tc filter add dev vb ingress prio 9 chain 2 bpf da obj ${PROGS}/parse_classify.o sec tc`,
      ARP, UDP, UDP],
    show: 'filter show dev vb ingress',
  },
]);

/** Standalone action dumps (`tc actions ls|get`) after traffic. */
export const ACTION_CASES: readonly ShowCase[] = Object.freeze([
  ...['actions ls action gact', 'actions ls action mirred', 'actions ls action skbedit', 'actions ls action csum', 'actions get action csum index 4', 'actions ls action police', 'actions get action skbedit index 3', 'actions get action mirred index 5'].map((show) => ({
    name: show.replaceAll(' ', '-'),
    lines: [...VETH, 'tc qdisc add dev vb clsact', 'tc qdisc add dev va clsact',
      'tc filter add dev vb ingress prio 1 matchall action mirred egress mirror dev dm index 5 cookie aabb action drop',
      'tc filter add dev vb ingress prio 2 matchall action skbedit mark 5 index 3',
      'tc filter add dev vb egress prio 2 matchall action skbedit priority 1:2 pipe action pass',
      'tc filter add dev vb ingress prio 3 protocol ip matchall action csum ip4h and udp index 4 action csum tcp pipe',
      'tc filter add dev va ingress prio 1 matchall action police rate 1mbit burst 10k conform-exceed drop/pipe index 6 action police rate 8kbit burst 1600 mtu 1500',
      ARP, UDP],
    show,
  })),
]);
