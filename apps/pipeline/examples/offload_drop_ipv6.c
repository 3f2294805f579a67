/* SPDX-License-Identifier: MIT */
/* The demo's offloaded program (examples/demo.tcbpf): attached `skip_sw da` to
 * a netdevsim port, so tc loads it bound to the device and the simulated NIC
 * runs it on frames from the wire: IPv6 is dropped (TC_ACT_SHOT), the rest
 * passes (TC_ACT_OK); verdicts are counted in a 2-entry array map (slot 0
 * passed, 1 dropped; netdevsim offloads ARRAY/HASH maps of at most 2 entries).
 * Written for this project; only the kernel UAPI headers are needed.
 * Build: ./build.sh (clang-19 -O2 -g -target bpf). */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) __typeof__(val) *name

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)BPF_FUNC_map_lookup_elem;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} verdicts SEC(".maps");

SEC("tc")
int drop_ipv6(struct __sk_buff *skb)
{
	__u32 slot = skb->protocol == __builtin_bswap16(ETH_P_IPV6) ? 1 : 0;
	__u64 *n = bpf_map_lookup_elem(&verdicts, &slot);

	if (n)
		*n += 1;
	return slot ? TC_ACT_SHOT : TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
