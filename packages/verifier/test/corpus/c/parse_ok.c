// Valid: parse Ethernet + IPv4 with bounds checks, count protocols in an array map.
#include "common.h"
// map counts 2 4 8 256
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 256); __type(key, __u32); __type(value, __u64); } counts SEC(".maps");

SEC("tc")
int parse_ok(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > end) return TC_ACT_OK;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return TC_ACT_OK;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > end) return TC_ACT_OK;
  __u32 key = ip->protocol;
  __u64 *v = bpf_map_lookup_elem(&counts, &key);
  if (v) __sync_fetch_and_add(v, 1);
  skb->mark = ip->ttl;
  return TC_ACT_OK;
}
char _license[] SEC("license") = "GPL";
