/* SPDX-License-Identifier: MIT */
/* The demo's eBPF classifier (examples/demo.tcbpf): attached direct-action to
 * va's htb root with `classid 1:`, it picks the htb class through
 * skb->tc_classid (16 bits; the filter's classid gives the major 1:):
 * TCP -> 1:10, UDP -> 1:20, anything else -> 1:30, and counts packets per
 * class in the array map class_pkts (slot 0 TCP, 1 UDP, 2 other).
 * Written for this project; only the kernel UAPI headers are needed.
 * Build: ./build.sh (clang-19 -O2 -g -target bpf). */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) __typeof__(val) *name

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)BPF_FUNC_map_lookup_elem;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 3);
} class_pkts SEC(".maps");

SEC("tc")
int demo_classify(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__u32 slot = 2;
	__u8 proto = 0;

	if ((void *)(eth + 1) <= data_end) {
		if (eth->h_proto == __builtin_bswap16(ETH_P_IP)) {
			struct iphdr *iph = (void *)(eth + 1);
			if ((void *)(iph + 1) <= data_end)
				proto = iph->protocol;
		} else if (eth->h_proto == __builtin_bswap16(ETH_P_IPV6)) {
			struct ipv6hdr *ip6 = (void *)(eth + 1);
			if ((void *)(ip6 + 1) <= data_end)
				proto = ip6->nexthdr;
		}
	}
	if (proto == IPPROTO_TCP)
		slot = 0;
	else if (proto == IPPROTO_UDP)
		slot = 1;
	__u64 *n = bpf_map_lookup_elem(&class_pkts, &slot);
	if (n)
		__sync_fetch_and_add(n, 1);
	skb->tc_classid = 0x10 * (slot + 1);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
